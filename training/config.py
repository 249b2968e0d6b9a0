"""The training recipe, read from `training/config.toml` into typed, frozen settings.

One file holds every number that shapes a model, so two runs with the same file and seed
give the same model, and the card can say exactly how a version was made.
"""
from __future__ import annotations

import tomllib
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from classifier.paths import REPO_ROOT

DEFAULT_CONFIG = Path(__file__).resolve().parent / "config.toml"
CLASS_WEIGHTINGS = ("none", "inverse", "sqrt_inverse")
#: TOML value types accepted for each annotated field type.
_TOML: dict[str, type | tuple[type, ...]] = {
    "Path": str, "float": (int, float), "int": int, "str": str, "bool": bool}


class ConfigError(ValueError):
    """A config file that cannot be used; the message names the file and the setting."""


@dataclass(frozen=True)
class DataConfig:
    seed_dir: Path
    splits: Path
    train: float
    dev: float
    test: float
    augment_fraction: float


@dataclass(frozen=True)
class ModelConfig:
    base: str
    max_length: int


@dataclass(frozen=True)
class FitConfig:
    seed: int
    threads: int
    epochs: int
    batch_size: int
    learning_rate: float
    weight_decay: float
    warmup_ratio: float
    class_weighting: str
    label_smoothing: float
    freeze_word_embeddings: bool
    freeze_layers: int


@dataclass(frozen=True)
class ThresholdConfig:
    recall_target: float
    recall_margin: float
    floor: float
    ceiling: float
    category_override: float


@dataclass(frozen=True)
class ExportConfig:
    opset: int
    per_channel: bool
    fp32_ffn_layers: int
    min_int8_agreement: float
    max_model_mb: float


@dataclass(frozen=True)
class TrainingConfig:
    data: DataConfig
    model: ModelConfig
    fit: FitConfig
    thresholds: ThresholdConfig
    export: ExportConfig
    source: Path

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, for metrics.json and the model card."""
        out = asdict(self)
        out["source"] = _relative(self.source)
        out["data"]["seed_dir"] = _relative(self.data.seed_dir)
        out["data"]["splits"] = _relative(self.data.splits)
        return out


def _relative(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(REPO_ROOT))
    except ValueError:
        return str(path)


def _section(raw: dict[str, Any], name: str, cls: type, where: Path) -> Any:
    table = raw.get(name)
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: missing [{name}] table")
    values: dict[str, Any] = {}
    for f in fields(cls):
        if f.name not in table:
            raise ConfigError(f"{where}: [{name}] needs {f.name}")
        value = table[f.name]
        if isinstance(value, bool) != (f.type == "bool") or not isinstance(value, _TOML[f.type]):
            raise ConfigError(f"{where}: [{name}] {f.name} must be {f.type}, got {value!r}")
        values[f.name] = {"Path": lambda v: REPO_ROOT / v, "float": float}.get(
            f.type, lambda v: v)(value)
    unknown = sorted(set(table) - {f.name for f in fields(cls)})
    if unknown:
        raise ConfigError(f"{where}: [{name}] has unknown setting(s): {', '.join(unknown)}")
    return cls(**values)


def load_config(path: Path | str | None = None) -> TrainingConfig:
    where = Path(path) if path is not None else DEFAULT_CONFIG
    try:
        raw = tomllib.loads(where.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{where}: cannot read config: {exc}") from None
    config = TrainingConfig(
        data=_section(raw, "data", DataConfig, where),
        model=_section(raw, "model", ModelConfig, where),
        fit=_section(raw, "fit", FitConfig, where),
        thresholds=_section(raw, "thresholds", ThresholdConfig, where),
        export=_section(raw, "export", ExportConfig, where),
        source=where)
    _check(config, where)
    return config


def _check(config: TrainingConfig, where: Path) -> None:
    d = config.data
    if abs(d.train + d.dev + d.test - 1.0) > 1e-9 or min(d.train, d.dev, d.test) <= 0:
        raise ConfigError(f"{where}: [data] train + dev + test must be positive and sum to 1")
    if not 0 <= d.augment_fraction < 1:
        raise ConfigError(f"{where}: [data] augment_fraction must be in [0, 1)")
    if config.fit.class_weighting not in CLASS_WEIGHTINGS:
        raise ConfigError(f"{where}: [fit] class_weighting must be one of "
                          f"{', '.join(CLASS_WEIGHTINGS)}")
    if config.model.max_length < 16:
        raise ConfigError(f"{where}: [model] max_length must be at least 16 tokens")
    t = config.thresholds
    if not 0 < t.floor <= t.ceiling < 1 or not 0 < t.recall_target <= 1:
        raise ConfigError(f"{where}: [thresholds] need 0 < floor <= ceiling < 1 and a "
                          "recall_target in (0, 1]")
    if t.category_override < 1:
        raise ConfigError(f"{where}: [thresholds] category_override must be at least 1")
    if not 0 <= config.fit.freeze_layers < 6 or not 0 <= config.export.fp32_ffn_layers <= 6:
        raise ConfigError(f"{where}: [fit] freeze_layers must be 0-5 and [export] "
                          "fp32_ffn_layers 0-6")
