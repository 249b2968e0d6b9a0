"""What a labeller is shown about an incident, and what is kept from them."""
from __future__ import annotations

import json
from dataclasses import asdict, replace

import pytest

from classifier.judge import ContextInput, KeywordJudge
from classifier.onnx_model import OnnxContextModel
from tests.training.builders import tiny_model_folder
from training.labelstudio.incidents import Incident, ReviewServerError, sampled
from training.labelstudio.pseudonym import Pseudonymiser
from training.labelstudio.tasks import Prediction, genre, predict, task, uncertainty

NAMES = Pseudonymiser(b"a-salt-of-at-least-sixteen-bytes")


INCIDENT = Incident(
    id="0b9c7c9e-1d7e-4a53-9f0c-3f1f3c3d2a10", status="reviewed", decision="concern",
    category="bullying", phrase_category="bullying", phrase="everyone hates you", severity=4,
    context="lol everyone hates you, leave the group", start=4, end=22, source="screen",
    application="Microsoft Teams", window_title="Teams - Chat with Jamie Carter",
    pupil="NFA\\j.carter", device_id="7d1f0c0e-58b5-4b7f-a1d8-3c5d9a1e2f00",
    model_version="2026.11.01")


def incident(**changes) -> Incident:
    return replace(INCIDENT, **changes)


# --- pseudonyms -------------------------------------------------------------------------------

@pytest.mark.parametrize("a, b, same", [
    ("NFA\\j.carter", "NFA\\j.carter", True),
    ("NFA\\j.carter", "nfa\\J.Carter", True),      # logins are case-blind on Windows
    ("NFA\\j.carter", " NFA\\j.carter ", True),
    ("NFA\\j.carter", "NFA\\j.carter2", False),
    ("NFA\\j.carter", "NFA\\m.okafor", False),
])
def test_a_pupil_keeps_one_pseudonym(a, b, same):
    assert (NAMES.pupil(a) == NAMES.pupil(b)) is same


def test_pseudonyms_depend_on_the_salt_and_hide_the_login():
    other = Pseudonymiser(b"another-salt-of-sixteen-bytes!!")
    assert NAMES.pupil("NFA\\j.carter") != other.pupil("NFA\\j.carter")
    assert "carter" not in NAMES.pupil("NFA\\j.carter")
    assert NAMES.pupil("x") != NAMES.device("x")
    with pytest.raises(ValueError):
        Pseudonymiser(b"short")


# --- what the task holds ----------------------------------------------------------------------

def test_a_task_is_text_only_and_pseudonymised():
    item = incident()
    built = task(item, Prediction("bullying", 0.93, 0.14, "2026.11.01"), NAMES)
    sent = json.dumps(built)
    for private in ("j.carter", "NFA", "Jamie Carter", item.device_id, "Teams - Chat"):
        assert private not in sent
    data = built["data"]
    assert data["pupil"] == NAMES.pupil("NFA\\j.carter")
    assert data["device"] == NAMES.device(item.device_id)
    assert data["incident_id"] == item.id  # the stable external id
    assert data["text"][data["start"]:data["end"]] == "everyone hates you"
    assert (data["reviewer_decision"], data["genre"], data["status"]) == (
        "concern", "chat", "reviewed")


def test_the_pre_annotation_is_the_models_decision_scored_by_its_confidence():
    built = task(incident(), Prediction("none", 0.41, 0.9, "2026.11.01"), NAMES)
    (prediction,) = built["predictions"]
    assert prediction["model_version"] == "2026.11.01"
    assert prediction["result"][0]["value"]["choices"] == ["none"]
    assert prediction["score"] == pytest.approx(0.1)  # least confident is served first


def test_a_suppressed_incident_says_nobody_decided():
    built = task(incident(status="suppressed", decision=None),
                 Prediction("none", 0.2, 0.3, "v"), NAMES)
    assert built["data"]["reviewer_decision"] == ""
    assert "suppressed by the model" in built["data"]["about"]


@pytest.mark.parametrize("application, title, kind", [
    ("Google Chrome", "how to stop feeling sad - Google Search", "search"),
    ("Google Chrome", "BBC News - Chrome", "web"),
    ("Discord", "Discord - #year9-chat", "chat"),
    ("Microsoft Teams", "Teams", "chat"),
    ("Outlook", "Inbox - Outlook", "email"),
    ("Microsoft Word", "History essay.docx - Word", "document"),
    ("Microsoft Edge", "Wikipedia - Edge", "web"),
    ("", "", "web"),
])
def test_the_kind_of_text_is_told_from_where_it_was_seen(application, title, kind):
    assert genre(application, title) == kind


# --- uncertainty ------------------------------------------------------------------------------

@pytest.mark.parametrize("score, threshold, expected", [
    (0.5, 0.5, 1.0),     # on the threshold: a coin toss between alert and suppress
    (1.0, 0.5, 0.0),     # certain concern
    (0.0, 0.5, 0.0),     # certain innocent
    (0.25, 0.5, 0.5),    # halfway below
    (0.95, 0.9, 0.5),    # halfway above a high threshold
    (0.3, 0.9, 0.3333),
    (0.7, 1.0, 0.7),     # a threshold nothing reaches: closeness from below
])
def test_uncertainty_is_closeness_to_the_alert_threshold(score, threshold, expected):
    assert uncertainty(score, threshold) == pytest.approx(expected, abs=1e-4)


def test_keywords_only_is_certain_of_everything():
    (prediction,) = predict(KeywordJudge(), [incident()])
    assert (prediction.label, prediction.uncertainty) == ("bullying", 0.0)


def test_a_model_predicts_through_the_runtime_decision_rule(tmp_path):
    tiny_model_folder(tmp_path / "2026.11.01", threshold=0.5)
    judge = OnnxContextModel.load(tmp_path / "2026.11.01", threads=1)
    items = [incident(), incident(context="i want to kill myself", start=10, end=21,
                                  phrase="kill myself", phrase_category="suicide")]
    predictions = predict(judge, items)
    verdicts = judge.judge([ContextInput(i.context, i.start, i.end, i.phrase_category)
                            for i in items])
    for prediction, verdict in zip(predictions, verdicts):
        assert prediction.label == (verdict.category if verdict.alert else "none")
        assert prediction.score == pytest.approx(verdict.score)
        assert prediction.uncertainty == pytest.approx(uncertainty(verdict.score, 0.5))
        assert prediction.model_version == "2026.11.01"


# --- reading incidents ------------------------------------------------------------------------

def test_the_suppressed_sample_is_stable_and_about_the_asked_size():
    ids = [f"incident-{n}" for n in range(2000)]
    chosen = [i for i in ids if sampled(i, 0.2)]
    assert chosen == [i for i in ids if sampled(i, 0.2)]
    assert 300 < len(chosen) < 500
    assert not any(sampled(i, 0.0) for i in ids) and all(sampled(i, 1.0) for i in ids)


@pytest.mark.parametrize("change, problem", [
    ({"start": 30, "end": 10}, "offsets"),
    ({"end": 999}, "offsets"),
    ({"severity": "high"}, "unexpected detail"),
])
def test_an_incident_the_loop_cannot_use_is_refused_by_name(change, problem):
    detail = {**asdict(incident()), **change}
    with pytest.raises(ReviewServerError, match=problem):
        Incident.from_detail(detail)
