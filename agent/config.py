"""The agent's TOML configuration: read once, validated whole, refused with a reason.

IT staff push one file to hundreds of laptops; a typo there must stop the agent with a line
that names the file, the key and what is wrong, not run with a silent default.
"""
from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Literal, get_args, get_origin, get_type_hints

CONFIG_ENV = "SAFEGUARD_AGENT_CONFIG"
STATE_ENV = "SAFEGUARD_AGENT_STATE_DIR"


class ConfigError(ValueError):
    """A config file that cannot be used; the message names the file and the key."""


def default_state_dir() -> Path:
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(os.environ.get(STATE_ENV) or Path(base) / "safeguard-agent")


def default_config_path() -> Path:
    env = os.environ.get(CONFIG_ENV)
    if env:
        return Path(env)
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "safeguard-agent" / "agent.toml"


@dataclass(frozen=True)
class AgentSection:
    state_dir: str = ""          # empty: $SAFEGUARD_AGENT_STATE_DIR or ~/.local/state/...
    user: str = ""               # empty: the login of the user the agent runs as
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"


@dataclass(frozen=True)
class ServerSection:
    url: str = ""                # empty: the URL given to `enrol`
    timeout_seconds: float = 15.0
    heartbeat_seconds: float = 60.0
    ca_file: str = ""            # a private CA for the school's server, if any


@dataclass(frozen=True)
class ScreenSection:
    enabled: bool = True
    cadence_seconds: float = 5.0
    monitors: list[int] = field(default_factory=list)   # empty: every monitor
    tile_size: int = 32
    languages: str = "eng"
    screenshot_format: Literal["webp", "png"] = "webp"
    screenshot_lossless: bool = True   # lossy WebP blurs light text on coloured bubbles
    screenshot_quality: int = 80       # lossy WebP only
    display: str = ""            # empty: $DISPLAY


@dataclass(frozen=True)
class TitleSection:
    enabled: bool = True
    cadence_seconds: float = 2.0


@dataclass(frozen=True)
class FeedSection:
    files: list[str] = field(default_factory=list)      # JSON lines, followed as they grow
    pipes: list[str] = field(default_factory=list)      # FIFOs; "-" is standard input
    sockets: list[str] = field(default_factory=list)    # Unix socket paths the agent listens on
    follow: bool = True          # keep reading files as they grow (False: replay once)


@dataclass(frozen=True)
class PrefilterSection:
    repeat_suppression_seconds: float = 180.0
    phrases_dir: str = ""        # empty: the shipped library


@dataclass(frozen=True)
class SpoolSection:
    max_megabytes: float = 200.0


@dataclass(frozen=True)
class UploadSection:
    backoff_initial_seconds: float = 1.0
    backoff_max_seconds: float = 300.0


@dataclass(frozen=True)
class ScoringSection:
    on_device: bool = False      # score with the context model here; innocent screenshots stay
    model_dir: str = ""          # empty: the newest shipped context model


@dataclass(frozen=True)
class AgentConfig:
    agent: AgentSection = field(default_factory=AgentSection)
    server: ServerSection = field(default_factory=ServerSection)
    screen: ScreenSection = field(default_factory=ScreenSection)
    title: TitleSection = field(default_factory=TitleSection)
    feed: FeedSection = field(default_factory=FeedSection)
    prefilter: PrefilterSection = field(default_factory=PrefilterSection)
    spool: SpoolSection = field(default_factory=SpoolSection)
    upload: UploadSection = field(default_factory=UploadSection)
    scoring: ScoringSection = field(default_factory=ScoringSection)
    source_path: Path | None = None

    @property
    def state_dir(self) -> Path:
        return Path(self.agent.state_dir).expanduser() if self.agent.state_dir \
            else default_state_dir()


#: Ranges a value must lie in: (section, key) -> (low, high), inclusive.
RANGES: dict[tuple[str, str], tuple[float, float]] = {
    ("server", "timeout_seconds"): (1, 600),
    ("server", "heartbeat_seconds"): (1, 86400),
    ("screen", "cadence_seconds"): (0.2, 3600),
    ("screen", "tile_size"): (8, 256),
    ("screen", "screenshot_quality"): (1, 100),
    ("title", "cadence_seconds"): (0.2, 3600),
    ("prefilter", "repeat_suppression_seconds"): (0, 86400),
    ("spool", "max_megabytes"): (0.05, 1_000_000),
    ("upload", "backoff_initial_seconds"): (0.05, 3600),
    ("upload", "backoff_max_seconds"): (0.1, 86400),
}


def load_config(path: Path | str | None = None, *, required: bool = False) -> AgentConfig:
    """Read and validate a config file; a missing optional file means all defaults."""
    path = Path(path) if path is not None else default_config_path()
    if not path.exists():
        if required:
            raise ConfigError(f"{path}: config file not found")
        return AgentConfig()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None
    return parse_config(data, path)


def parse_config(data: dict[str, Any], path: Path | str = "<config>") -> AgentConfig:
    sections: dict[str, Any] = {}
    hints = get_type_hints(AgentConfig)
    known = [f.name for f in fields(AgentConfig) if f.name != "source_path"]
    for name, value in data.items():
        if name not in known:
            raise ConfigError(f"{path}: unknown section [{name}]; known sections: "
                              f"{', '.join(known)}")
        if not isinstance(value, dict):
            raise ConfigError(f"{path}: [{name}] must be a table of settings")
        sections[name] = _parse_section(hints[name], name, value, path)
    config = AgentConfig(**sections, source_path=Path(path))
    if config.upload.backoff_max_seconds < config.upload.backoff_initial_seconds:
        raise ConfigError(f"{path}: [upload] backoff_max_seconds must be at least "
                          "backoff_initial_seconds")
    return config


def _parse_section(cls: type, section: str, values: dict[str, Any], path: Path | str) -> Any:
    hints = get_type_hints(cls)
    parsed: dict[str, Any] = {}
    for key, value in values.items():
        if key not in hints:
            raise ConfigError(f"{path}: [{section}] {key}: unknown key; known keys: "
                              f"{', '.join(hints)}")
        parsed[key] = _check_value(hints[key], value, f"{path}: [{section}] {key}")
        limits = RANGES.get((section, key))
        if limits and not limits[0] <= parsed[key] <= limits[1]:
            raise ConfigError(f"{path}: [{section}] {key}: must be between {limits[0]:g} and "
                              f"{limits[1]:g}, got {parsed[key]!r}")
    return cls(**parsed)


def _check_value(hint: Any, value: Any, where: str) -> Any:
    origin = get_origin(hint)
    if origin is Literal:
        choices = get_args(hint)
        if value not in choices:
            raise ConfigError(f"{where}: must be one of {', '.join(map(repr, choices))}, "
                              f"got {value!r}")
        return value
    if origin is list:
        (item,) = get_args(hint)
        if not isinstance(value, list):
            raise ConfigError(f"{where}: must be a list, got {type(value).__name__}")
        return [_check_value(item, v, f"{where}[{i}]") for i, v in enumerate(value)]
    if hint is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{where}: must be true or false, got {value!r}")
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{where}: must be a number, got {value!r}")
        return float(value)
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{where}: must be a whole number, got {value!r}")
        return value
    if hint is str:
        if not isinstance(value, str):
            raise ConfigError(f"{where}: must be a string, got {value!r}")
        return value
    raise ConfigError(f"{where}: unsupported setting type {hint!r}")  # pragma: no cover
