"""The figures a safeguarding lead asks of a model, computed one way for every report:
`safeguard-train evaluate`, metrics.json and the model card.

They are taken on whole texts run through the real scanner (`scan_verdicts`), as a school
would see them: a text alerts when any of its hits does, filed under the category of the
surest alerting hit. Keywords-only alerts on every text with a hit.

- recall of genuine concerns: of the hits that are real concerns, how many alert;
- false alerts on innocent hits, and how many fewer than keywords-only (where every hit
  alerts);
- category accuracy on true alerts: of the concerns that alert, how many in the right
  category (the queue files them by category);
- precision and recall per category.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from classifier.judge import Judge, Verdict
from classifier.phrases import PhraseLibrary
from classifier.scan import Scanner
from classifier.taxonomy import CATEGORY_IDS, NONE
from training.dataset import Example


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def score_verdicts(examples: Sequence[Example], verdicts: Sequence[Verdict]) -> dict[str, Any]:
    """Metrics of one judge's verdicts on labelled examples (same order)."""
    if len(examples) != len(verdicts):
        raise ValueError("one verdict per example is needed")
    concerns = [(e, v) for e, v in zip(examples, verdicts) if e.label != NONE]
    innocent = [(e, v) for e, v in zip(examples, verdicts) if e.label == NONE]
    caught = [(e, v) for e, v in concerns if v.alert]
    false_alerts = sum(v.alert for _, v in innocent)
    per_category = {}
    for cat in CATEGORY_IDS:
        support = sum(e.label == cat for e, _ in concerns)
        filed = [(e, v) for e, v in zip(examples, verdicts) if v.alert and v.category == cat]
        right = sum(e.label == cat for e, _ in filed)
        per_category[cat] = {"support": support, "alerts": len(filed),
                             "precision": _ratio(right, len(filed)),
                             "recall": _ratio(right, support)}
    by_source: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    by_phrase_category: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for e, v in zip(examples, verdicts):
        counts = by_source[e.source]
        if e.label != NONE:
            counts[0] += 1
            counts[1] += v.alert
        else:
            counts[2] += 1
            counts[3] += v.alert
            by_phrase_category[e.file_category][0] += 1
            by_phrase_category[e.file_category][1] += v.alert
    return {
        "examples": len(examples),
        "concerns": len(concerns),
        "innocent": len(innocent),
        "concern_recall": _ratio(len(caught), len(concerns)),
        "false_alerts": false_alerts,
        "false_alert_rate": _ratio(false_alerts, len(innocent)),
        "category_accuracy_on_true_alerts": _ratio(
            sum(v.category == e.label for e, v in caught), len(caught)),
        "per_category": per_category,
        "by_source": {s: {"concern_recall": _ratio(c[1], c[0]),
                          "false_alert_rate": _ratio(c[3], c[2])}
                      for s, c in sorted(by_source.items())},
        "innocent_false_alert_rate_by_phrase_category": {
            cat: _ratio(n[1], n[0]) for cat, n in sorted(by_phrase_category.items())},
    }


def scan_verdicts(rows: Sequence[Example], library: PhraseLibrary, judge: Judge
                  ) -> list[Verdict]:
    """One verdict per text: the scanner's decision over all of its hits."""
    results = Scanner(library, judge).scan_many([row.text for row in rows])
    return [Verdict(r.alert, r.category, r.score, r.scores, judge.version) for r in results]


def false_alert_cut(model: dict[str, Any], keywords: dict[str, Any]) -> float | None:
    """How many fewer false alerts than keywords-only, as a fraction (0.8 = 80% fewer)."""
    if not keywords["false_alerts"]:
        return None
    return 1.0 - model["false_alerts"] / keywords["false_alerts"]


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1%}"


def format_report(model: dict[str, Any], keywords: dict[str, Any], title: str) -> list[str]:
    """The evaluate printout: headline figures first, then the per-category table."""
    cut = false_alert_cut(model, keywords)
    lines = [
        title,
        f"  texts with a phrase hit: {model['examples']} ({model['concerns']} genuine "
        f"concerns, {model['innocent']} innocent)",
        f"  recall of genuine concerns:        {_pct(model['concern_recall'])}"
        f"   (keywords only: {_pct(keywords['concern_recall'])})",
        f"  false alerts on innocent texts:    {model['false_alerts']} "
        f"({_pct(model['false_alert_rate'])})   (keywords only: {keywords['false_alerts']})",
        f"  false alerts cut vs keywords-only: {_pct(cut)}",
        f"  category right on true alerts:     "
        f"{_pct(model['category_accuracy_on_true_alerts'])}",
        "",
        f"  {'category':<20} {'support':>7} {'alerts':>7} {'precision':>9} {'recall':>7}",
    ]
    for cat, row in model["per_category"].items():
        lines.append(f"  {cat:<20} {row['support']:>7} {row['alerts']:>7} "
                     f"{_pct(row['precision']):>9} {_pct(row['recall']):>7}")
    return lines
