"""An incident as a Label Studio task: the words, the hit, what the reviewer and the model said.

What leaves the review server for Label Studio is text only: the context window with the hit
marked, the phrase, where it was seen (screen, title or feed, and the application's name),
the reviewer's decision and the current model's prediction. Pupil logins and device ids are
replaced by pseudonyms; window titles (which often carry names) and screenshots are never
sent.

Tasks are ordered for labelling by the model's uncertainty (active learning): how close its
concern score lies to the threshold that decides an alert. The prediction's `score` is the
model's confidence, 1 - uncertainty, which is what Label Studio's uncertainty sampling
serves lowest first.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from classifier.judge import ContextInput, Judge
from classifier.onnx_model import OnnxContextModel, decide
from classifier.taxonomy import NONE
from training.dataset import SOURCES
from training.labelstudio.incidents import Incident
from training.labelstudio.interface import choice_result, marked_html
from training.labelstudio.pseudonym import Pseudonymiser

#: The kind of text (the seed corpus's `source`), told from the window title and then the
#: application; first match wins, anything else is "web". Browser names say nothing of the
#: kind ("Google Chrome" shows searches, news and chats alike), so they are not hints.
GENRE_HINTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("search", ("search", "duckduckgo")),
    ("email", ("outlook", "gmail", "mail", "inbox")),
    ("chat", ("discord", "teams", "snapchat", "whatsapp", "messenger", "messages", "chat",
              "instagram", "tiktok", "telegram", "signal", "roblox")),
    ("document", ("word", "docs", ".docx", "pages", "notepad", "powerpoint", "onenote",
                  "pdf", "classroom")),
)
DEFAULT_GENRE = "web"
assert {g for g, _ in GENRE_HINTS} | {DEFAULT_GENRE} <= set(SOURCES)


def genre(application: str, window_title: str) -> str:
    for where in (window_title.casefold(), application.casefold()):
        for name, hints in GENRE_HINTS:
            if any(h in where for h in hints):
                return name
    return DEFAULT_GENRE


@dataclass(frozen=True, slots=True)
class Prediction:
    label: str          # the model's decision: its category when it alerts, else none
    score: float        # the concern score, 1 - p(none)
    uncertainty: float  # 1 at the alert threshold, 0 far from it
    model_version: str


def uncertainty(score: float, threshold: float) -> float:
    """How close a concern score lies to the threshold that decides the alert, scaled to
    [0, 1] on each side of it: 1 on the threshold, 0 at certainty (0 or 1)."""
    gap = score - threshold
    span = (1.0 - threshold) if gap >= 0 else threshold
    return float(max(0.0, 1.0 - abs(gap) / span)) if span > 0 else 0.0


def predict(judge: Judge, incidents: Sequence[Incident]) -> list[Prediction]:
    """The current model's view of each incident, scored now (not the score stored at ingest,
    which may come from an older version), through the runtime's own decision rule. A judge
    without probabilities (keywords only) is certain by construction."""
    items = [ContextInput(i.context, i.start, i.end, i.phrase_category) for i in incidents]
    if not isinstance(judge, OnnxContextModel):
        return [Prediction(v.category if v.alert and v.category else NONE, v.score, 0.0,
                           v.model_version) for v in judge.judge(items)]
    probabilities = judge.probabilities(items)
    decisions = decide(probabilities, judge.labels, judge.rule, [i.category for i in items])
    return [Prediction(d.category if d.alert else NONE, d.score,
                       uncertainty(d.score, judge.rule.thresholds[d.category]), judge.version)
            for d in decisions]


def task(incident: Incident, prediction: Prediction, names: Pseudonymiser) -> dict[str, Any]:
    """The Label Studio task for one incident. `incident_id` is the stable external id that
    makes pushes idempotent and lets a disagreement be traced back for the DSL."""
    decision = incident.decision or "none (suppressed by the model)"
    about = (f"Reviewer: {decision}, category {incident.category} · seen on "
             f"{incident.source} in {incident.application or 'an unknown application'} · "
             f"phrase '{incident.phrase}' ({incident.phrase_category}, severity "
             f"{incident.severity}) · {names.pupil(incident.pupil)}")
    data = {
        "incident_id": incident.id,
        "html": marked_html(incident.context, incident.start, incident.end),
        "text": incident.context,
        "start": incident.start,
        "end": incident.end,
        "phrase": incident.phrase,
        "phrase_category": incident.phrase_category,
        "severity": incident.severity,
        "source": incident.source,
        "genre": genre(incident.application, incident.window_title),
        "application": incident.application,
        "status": incident.status,
        "reviewer_decision": incident.decision or "",
        "reviewer_category": incident.category,
        "model_label": prediction.label,
        "model_score": round(prediction.score, 4),
        "uncertainty": round(prediction.uncertainty, 4),
        "pupil": names.pupil(incident.pupil),
        "device": names.device(incident.device_id),
        "about": about,
    }
    return {"data": data, "predictions": [{
        "model_version": prediction.model_version,
        "score": round(1.0 - prediction.uncertainty, 4),
        "result": choice_result(prediction.label)}]}
