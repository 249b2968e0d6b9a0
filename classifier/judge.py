"""Stage 2's contract: a judge reads a hit in its context and says alert or not, and why.

The server, the agent (when a school scores on the device) and `safeguard-scan` all go through
`load_judge`, so "keywords only" and "context model" are one switch, not two code paths.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, Sequence

KEYWORDS_ONLY_VERSION = "keywords-only"


@dataclass(frozen=True, slots=True)
class ContextInput:
    """A hit in its context window: `start`/`end` locate the phrase inside `text`."""

    text: str
    start: int
    end: int
    category: str  # the phrase's own category (the model may correct it)


@dataclass(frozen=True, slots=True)
class Verdict:
    """What stage 2 decided for one hit. `scores` holds a probability per model label."""

    alert: bool
    category: str | None
    score: float
    scores: dict[str, float]
    model_version: str


class Judge(Protocol):
    version: str

    def judge(self, items: Sequence[ContextInput]) -> list[Verdict]: ...


class KeywordJudge:
    """Every hit alerts in its phrase's category: the baseline keyword-only products give."""

    version = KEYWORDS_ONLY_VERSION

    def judge(self, items: Sequence[ContextInput]) -> list[Verdict]:
        return [Verdict(alert=True, category=item.category, score=1.0,
                        scores={item.category: 1.0}, model_version=self.version)
                for item in items]


def load_judge(model_dir: Path | str | None = None, *, keywords_only: bool = False,
               threads: int | None = None) -> Judge:
    """The newest shipped context model, a given one, or the keyword baseline.

    Without any shipped model version the keyword baseline is returned, so a fresh checkout
    still scans; a `model_dir` that is given but broken is an error, never a silent fallback.
    """
    if keywords_only:
        return KeywordJudge()
    from classifier import onnx_model  # onnxruntime is imported only when a model is used

    directory = Path(model_dir) if model_dir is not None else onnx_model.newest_model_dir()
    if directory is None:
        return KeywordJudge()
    return onnx_model.OnnxContextModel.load(directory, threads=threads)
