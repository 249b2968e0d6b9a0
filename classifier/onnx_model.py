"""Stage 2 at run time: the shipped context model, served by onnxruntime and tokenizers only.

Agents run on old school laptops, so nothing here needs torch or transformers. A model is a
folder `models/context/<version>/` whose files are checked against `SHA256SUMS` before
anything is read: an artefact that was damaged in transit or edited by hand is refused with
a clear error, never half-used. The session is built once per process with an explicit
thread count, and inputs are built from the names the session reports.

The decision rule (the one place it is written; training tunes the thresholds for it):
- the concern score is the probability that the hit is any concern at all, 1 - p(none).
  Summing the concern labels rather than taking the best one matters for recall: "everyone
  would be better off without me" may be split between suicide and emotional distress, and
  must not slip under both;
- the category is the phrase's own category (stage 1's, reviewed by safeguarding staff),
  unless the model finds another concern category at least `category_override` times as
  likely: the model corrects `kill` in "i want to kill myself" to suicide, but does not
  re-file a clear bullying message as discrimination on a near tie;
- the hit alerts when the concern score reaches that category's threshold.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort
from tokenizers import Tokenizer

from classifier.judge import ContextInput, Verdict
from classifier.model_input import INPUT_FORMAT, INPUT_NAMES, HitEncoder
from classifier.paths import context_models_dir
from classifier.taxonomy import MODEL_LABELS, NONE

MODEL_FILE = "model.onnx"
TOKENIZER_FILE = "tokenizer.json"
LABELS_FILE = "labels.json"
THRESHOLDS_FILE = "thresholds.json"
METRICS_FILE = "metrics.json"
CARD_FILE = "MODEL_CARD.md"
CHECKSUMS_FILE = "SHA256SUMS"
#: Files the runtime reads; each must be listed in SHA256SUMS.
RUNTIME_FILES = (MODEL_FILE, TOKENIZER_FILE, LABELS_FILE, THRESHOLDS_FILE)
ARTEFACT_FILES = (*RUNTIME_FILES, METRICS_FILE, CARD_FILE)
DEFAULT_BATCH_SIZE = 32

DECISION_RULE = ("alert when the concern score 1 - p(none) reaches the threshold of the hit's "
                 "category: the phrase's own category unless another concern label is at "
                 "least category_override times as likely")


class ModelArtefactError(ValueError):
    """A context-model folder that cannot be used; the message says which file and why."""


# --- checksums ---------------------------------------------------------------------------------

def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_checksums(directory: Path, names: Iterable[str] = ARTEFACT_FILES) -> Path:
    """Write `SHA256SUMS` in `sha256sum` format, so `sha256sum -c` checks it too."""
    lines = [f"{sha256_file(directory / name)}  {name}\n" for name in sorted(names)]
    target = directory / CHECKSUMS_FILE
    target.write_text("".join(lines), encoding="utf-8")
    return target


def verify_checksums(directory: Path) -> None:
    """Refuse a folder whose files do not match their recorded sums, or that lacks one."""
    sums_path = directory / CHECKSUMS_FILE
    try:
        lines = sums_path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ModelArtefactError(f"{sums_path}: cannot read the checksum file ({exc.strerror}); "
                                 "a model folder must be published by safeguard-train") from None
    recorded: dict[str, str] = {}
    for number, line in enumerate(lines, 1):
        match = re.fullmatch(r"([0-9a-f]{64}) [ *](\S+)", line.strip())
        if not match:
            raise ModelArtefactError(f"{sums_path}:{number}: not a 'sha256  file' line")
        recorded[match.group(2)] = match.group(1)
    missing = [name for name in RUNTIME_FILES if name not in recorded]
    if missing:
        raise ModelArtefactError(f"{sums_path}: no checksum for {', '.join(missing)}")
    for name, expected in recorded.items():
        path = directory / name
        if not path.is_file():
            raise ModelArtefactError(f"{path}: listed in {CHECKSUMS_FILE} but missing")
        if sha256_file(path) != expected:
            raise ModelArtefactError(
                f"{path}: checksum mismatch (the file was damaged or edited after it was "
                "published); refusing to load this model")


# --- finding and describing a model ------------------------------------------------------------

def _version_key(name: str) -> tuple:
    """Natural order, so version 2026.11.10 sorts after 2026.11.9."""
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"(\d+)", name))


def newest_model_dir(root: Path | None = None) -> Path | None:
    """The newest published version under `models/context/`, or None when none ships."""
    root = context_models_dir() if root is None else root
    if not root.is_dir():
        return None
    versions = [d for d in root.iterdir() if d.is_dir() and (d / CHECKSUMS_FILE).is_file()]
    return max(versions, key=lambda d: _version_key(d.name)) if versions else None


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelArtefactError(f"{path}: cannot read JSON: {exc}") from None


def read_labels(directory: Path) -> tuple[str, ...]:
    """The model's output labels in output order; they must be taxonomy labels with `none`."""
    path = directory / LABELS_FILE
    data = _read_json(path)
    if not isinstance(data, dict) or not isinstance(data.get("labels"), list):
        raise ModelArtefactError(f"{path}: expected {{\"labels\": [...]}}")
    if data.get("input_format") != INPUT_FORMAT:
        raise ModelArtefactError(f"{path}: input format {data.get('input_format')!r} is not "
                                 f"{INPUT_FORMAT!r}, the one this runtime builds")
    labels = tuple(data["labels"])
    unknown = [label for label in labels if label not in MODEL_LABELS]
    if unknown or NONE not in labels or len(set(labels)) != len(labels):
        raise ModelArtefactError(
            f"{path}: labels must be distinct taxonomy categories plus {NONE!r}; "
            f"unknown: {unknown or 'none'}")
    return labels


def check_thresholds(thresholds: Mapping[str, Any], labels: Sequence[str],
                     where: str = THRESHOLDS_FILE) -> dict[str, float]:
    """Every concern label needs a threshold in [0, 1]; thresholds for other labels are
    refused, because a typo there would silently leave a category on a default."""
    concerns = [label for label in labels if label != NONE]
    unknown = sorted(set(thresholds) - set(concerns))
    missing = [label for label in concerns if label not in thresholds]
    if unknown or missing:
        raise ModelArtefactError(f"{where}: thresholds do not match the model's labels "
                                 f"(missing: {missing or 'none'}, unknown: {unknown or 'none'})")
    checked: dict[str, float] = {}
    for label in concerns:
        value = thresholds[label]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
            raise ModelArtefactError(f"{where}: threshold for {label} must be a number in "
                                     f"[0, 1], got {value!r}")
        checked[label] = float(value)
    return checked


@dataclass(frozen=True)
class DecisionRule:
    """What `thresholds.json` holds: a threshold per concern category and the override ratio."""

    thresholds: dict[str, float]
    category_override: float = 5.0

    def to_dict(self) -> dict[str, Any]:
        return {"rule": DECISION_RULE, "thresholds": self.thresholds,
                "category_override": self.category_override}


def read_rule(directory: Path, labels: Sequence[str]) -> DecisionRule:
    path = directory / THRESHOLDS_FILE
    data = _read_json(path)
    if not isinstance(data, dict) or not isinstance(data.get("thresholds"), dict):
        raise ModelArtefactError(f"{path}: expected {{\"thresholds\": {{category: value}}}}")
    override = data.get("category_override", DecisionRule.category_override)
    if isinstance(override, bool) or not isinstance(override, (int, float)) or override < 1:
        raise ModelArtefactError(f"{path}: category_override must be a number >= 1")
    return DecisionRule(check_thresholds(data["thresholds"], labels, str(path)),
                        float(override))


# --- the decision ------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Decision:
    alert: bool
    category: str  # the hit's category (see the rule), also when it does not alert
    score: float   # the concern score, 1 - p(none)


def decide(probabilities: np.ndarray, labels: Sequence[str], rule: DecisionRule,
           phrase_categories: Sequence[str]) -> list[Decision]:
    """Apply `DECISION_RULE` to rows of probabilities (one column per label), one row per
    hit whose phrase category is in `phrase_categories`."""
    index = {label: n for n, label in enumerate(labels)}
    concern_columns = [n for n, label in enumerate(labels) if label != NONE]
    best = probabilities[:, concern_columns].argmax(axis=1)
    scores = 1.0 - probabilities[:, index[NONE]]
    decisions = []
    for row, (column, score, own) in enumerate(zip(best, scores, phrase_categories)):
        label = labels[concern_columns[column]]
        if own in index and own != label and (
                probabilities[row, concern_columns[column]]
                < rule.category_override * probabilities[row, index[own]]):
            label = own
        decisions.append(Decision(bool(score >= rule.thresholds[label]), label, float(score)))
    return decisions


def softmax(logits: np.ndarray) -> np.ndarray:
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


# --- the judge ---------------------------------------------------------------------------------

class OnnxContextModel:
    """A shipped context model; implements `classifier.judge.Judge`. Load once per process."""

    def __init__(self, directory: Path, session: ort.InferenceSession, encoder: HitEncoder,
                 labels: tuple[str, ...], rule: DecisionRule,
                 batch_size: int = DEFAULT_BATCH_SIZE) -> None:
        self.directory = directory
        self.version = directory.name
        self.labels = labels
        self.rule = rule
        self.thresholds = rule.thresholds
        self.batch_size = batch_size
        self._session = session
        self._encoder = encoder
        self._input_names = [i.name for i in session.get_inputs()]
        unknown = [name for name in self._input_names if name not in INPUT_NAMES]
        if unknown:
            raise ModelArtefactError(f"{directory / MODEL_FILE}: the model asks for inputs "
                                     f"this runtime does not build: {unknown}")

    @classmethod
    def load(cls, directory: Path | str, threads: int | None = None, *,
             batch_size: int = DEFAULT_BATCH_SIZE) -> OnnxContextModel:
        """Verify checksums, then build the session with `threads` intra-op threads (default:
        every core this process may use)."""
        directory = Path(directory)
        if not directory.is_dir():
            raise ModelArtefactError(f"{directory}: no such model folder")
        verify_checksums(directory)
        labels = read_labels(directory)
        rule = read_rule(directory, labels)
        try:
            tokenizer = Tokenizer.from_file(str(directory / TOKENIZER_FILE))
        except Exception as exc:  # noqa: BLE001 - tokenizers raises a bare Exception
            raise ModelArtefactError(f"{directory / TOKENIZER_FILE}: {exc}") from None
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or len(os.sched_getaffinity(0))
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        session = ort.InferenceSession(str(directory / MODEL_FILE), options,
                                       providers=["CPUExecutionProvider"])
        outputs = session.get_outputs()[0].shape
        if outputs[-1] != len(labels):
            raise ModelArtefactError(f"{directory}: the model has {outputs[-1]} outputs but "
                                     f"{LABELS_FILE} lists {len(labels)} labels")
        return cls(directory, session, HitEncoder.for_tokenizer(tokenizer), labels, rule,
                   batch_size)

    def probabilities(self, items: Sequence[ContextInput]) -> np.ndarray:
        """Label probabilities per hit (rows in input order). Hits are batched by length so
        that each batch pads only to its own longest input."""
        result = np.zeros((len(items), len(self.labels)), dtype=np.float32)
        if not items:
            return result
        rows = self._encoder.token_rows(items)
        order = np.argsort([len(r) for r in rows], kind="stable")
        for first in range(0, len(items), self.batch_size):
            chosen = order[first:first + self.batch_size]
            arrays = self._encoder.pad([rows[i] for i in chosen])
            (logits,) = self._session.run(None, {n: arrays[n] for n in self._input_names})
            result[chosen] = softmax(logits.astype(np.float32))
        return result

    def judge(self, items: Sequence[ContextInput]) -> list[Verdict]:
        probabilities = self.probabilities(items)
        verdicts = []
        decisions = decide(probabilities, self.labels, self.rule, [i.category for i in items])
        for row, decision in zip(probabilities, decisions):
            verdicts.append(Verdict(
                alert=decision.alert,
                category=decision.category if decision.alert else None,
                score=decision.score,
                scores={label: float(p) for label, p in zip(self.labels, row)},
                model_version=self.version))
        return verdicts
