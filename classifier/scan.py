"""The scan pipeline: stage 1 (phrases) then stage 2 (the judge) for a batch of texts.

One hit is judged in its own context window; a text alerts when any of its hits does, and
reports the alerting hit the judge is surest of. Batching across texts keeps the model's
calls large enough to be efficient.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

from classifier.context import context_window
from classifier.judge import ContextInput, Judge, KeywordJudge, Verdict
from classifier.matcher import Matcher
from classifier.phrases import PhraseLibrary
from classifier.records import PhraseMatch
from classifier.taxonomy import NONE


@dataclass(frozen=True, slots=True)
class JudgedHit:
    hit: PhraseMatch
    context: str
    context_start: int
    context_end: int
    verdict: Verdict


@dataclass(frozen=True, slots=True)
class ScanResult:
    alert: bool
    category: str | None
    severity: int | None
    score: float
    scores: dict[str, float]
    hits: list[JudgedHit] = field(default_factory=list)

    def to_dict(self, record_id: Any, *, library_version: str, model_version: str
                ) -> dict[str, Any]:
        """The `safeguard-scan` output line of DESIGN.md (plus per-hit verdicts)."""
        return {
            "id": record_id, "alert": self.alert, "category": self.category,
            "severity": self.severity, "score": round(self.score, 6),
            "scores": {k: round(v, 6) for k, v in self.scores.items()},
            "hits": [{**j.hit.to_dict(), "alert": j.verdict.alert,
                      "judged_category": j.verdict.category,
                      "score": round(j.verdict.score, 6)} for j in self.hits],
            "library_version": library_version, "model_version": model_version,
        }


def _concern_score(verdict: Verdict) -> float:
    return max((p for label, p in verdict.scores.items() if label != NONE), default=0.0)


def summarise(judged: list[JudgedHit]) -> ScanResult:
    if not judged:
        return ScanResult(False, None, None, 0.0, {}, [])
    alerting = [j for j in judged if j.verdict.alert]
    if alerting:
        best = max(alerting, key=lambda j: (j.verdict.score, j.hit.severity))
        return ScanResult(True, best.verdict.category, best.hit.severity, best.verdict.score,
                          dict(best.verdict.scores), judged)
    best = max(judged, key=lambda j: _concern_score(j.verdict))
    return ScanResult(False, None, None, _concern_score(best.verdict),
                      dict(best.verdict.scores), judged)


class Scanner:
    """Joins the phrase matcher and a judge. Build one per process and reuse it."""

    def __init__(self, library: PhraseLibrary | None = None, judge: Judge | None = None) -> None:
        self.library = library if library is not None else PhraseLibrary.load()
        self.matcher = Matcher.for_library(self.library)
        self.judge = judge if judge is not None else KeywordJudge()

    def scan(self, text: str) -> ScanResult:
        return self.scan_many([text])[0]

    def scan_many(self, texts: Sequence[str]) -> list[ScanResult]:
        found: list[list[tuple[PhraseMatch, str, int, int]]] = []
        inputs: list[ContextInput] = []
        for text, hits in zip(texts, self.matcher.find_many(texts)):
            per_text = []
            for hit in hits:
                ctx, start, end = context_window(text, hit.start, hit.end)
                per_text.append((hit, ctx, start, end))
                inputs.append(ContextInput(ctx, start, end, hit.category))
            found.append(per_text)
        verdicts = iter(self.judge.judge(inputs) if inputs else [])
        return [summarise([JudgedHit(h, c, s, e, next(verdicts)) for h, c, s, e in per_text])
                for per_text in found]
