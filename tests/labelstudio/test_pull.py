"""Pulling annotations: what becomes a training row, what is dropped, and which
disagreements with the reviewer the DSL is told about. Tasks are in the shape of Label
Studio's JSON export (checked against the real server in the end-to-end test)."""
from __future__ import annotations

import json

import pytest

from training.labelstudio.interface import choice_result
from training.labelstudio.pull import read_export, save
from training.labelstudio.rows import family_of


def exported(incident: str, *, decision: str = "concern", category: str = "suicide",
             annotations: list[dict] | None = None, text: str = "i want to die tonight",
             task_id: int = 1) -> dict:
    return {"id": task_id, "created_at": "2026-11-02T09:00:00Z", "annotations": annotations or [],
            "data": {"incident_id": incident, "text": text, "start": 2, "end": 13,
                     "phrase": "want to die", "phrase_category": "suicide", "genre": "chat",
                     "source": "screen", "status": "reviewed" if decision else "suppressed",
                     "reviewer_decision": decision, "reviewer_category": category,
                     "model_label": "none", "model_score": 0.4, "uncertainty": 0.8,
                     "severity": 5}}


def annotation(label: str, *, cancelled: bool = False, at: str = "2026-11-03T10:00:00Z"):
    return {"result": [] if cancelled else choice_result(label), "was_cancelled": cancelled,
            "created_at": at, "updated_at": at}


@pytest.mark.parametrize("annotations, state, label", [
    ([], "unlabelled", None),
    ([annotation("", cancelled=True)], "skipped", None),
    ([annotation("suicide")], "labelled", "suicide"),
    ([annotation("suicide"), annotation("", cancelled=True)], "labelled", "suicide"),
    ([annotation("suicide"), annotation("suicide")], "labelled", "suicide"),
    ([annotation("suicide"), annotation("none")], "labellers disagree", None),
    ([{"result": [], "was_cancelled": False}], "invalid", None),
])
def test_only_agreed_completed_annotations_become_rows(annotations, state, label):
    result = read_export([exported("inc-1", annotations=annotations)])
    (progress,) = result.progress
    assert (progress["state"], progress["label"]) == (state, label)
    assert [r["label"] for r in result.rows] == ([label] if state == "labelled" else [])


def test_a_row_has_the_seed_fields_plus_offsets_and_provenance():
    (row,) = read_export([exported("inc-1", annotations=[annotation("suicide")])]).rows
    assert row == {"family": family_of("i want to die tonight"), "label": "suicide",
                   "source": "chat", "phrase": "want to die", "text": "i want to die tonight",
                   "start": 2, "end": 13, "phrase_category": "suicide", "incident_id": "inc-1",
                   "reviewer_decision": "concern", "annotated_at": "2026-11-03T10:00:00Z"}


@pytest.mark.parametrize("decision, category, label, kind", [
    ("urgent", "suicide", "suicide", None),
    ("concern", "suicide", "none", "false alert"),
    ("innocent", "suicide", "suicide", "reviewer said innocent"),
    ("innocent", "suicide", "none", None),
    ("concern", "suicide", "emotional_distress", "category"),
    ("", "suicide", "suicide", "missed concern"),       # suppressed, nobody looked
    ("", "suicide", "none", None),
])
def test_disagreements_with_the_reviewer_are_reported_and_the_annotation_wins(
        decision, category, label, kind):
    result = read_export([exported("inc-7", decision=decision, category=category,
                                   annotations=[annotation(label)])])
    assert [d.kind for d in result.disagreements] == ([kind] if kind else [])
    assert result.rows[0]["label"] == label


def test_repeated_sightings_of_one_message_share_a_family():
    assert family_of("I want to die  tonight") == family_of("i want to die tonight")
    assert family_of("i want to die tonight") != family_of("i want to die today")
    assert family_of("x").startswith("review-")


def test_tasks_added_by_hand_are_ignored():
    assert read_export([{"id": 9, "data": {"text": "hello"}, "annotations": []}]).progress == []


def test_a_task_whose_data_was_edited_by_hand_is_invalid_not_a_crash():
    task = exported("inc-1", annotations=[annotation("suicide")])
    del task["data"]["phrase"]
    result = read_export([task])
    assert result.rows == [] and result.progress[0]["state"] == "invalid"


def test_save_writes_rows_progress_and_disagreements_whole(tmp_path):
    result = read_export([
        exported("inc-1", annotations=[annotation("suicide")], task_id=1),
        exported("inc-2", decision="innocent", annotations=[annotation("suicide")], task_id=2,
                 text="i want to die of embarrassment lol"),
        exported("inc-3", task_id=3)])
    paths = [tmp_path / name for name in ("labelled.jsonl", "tasks.jsonl", "dis.jsonl")]
    save(result, *paths)
    rows, progress, disagreements = ([json.loads(line) for line in p.read_text().splitlines()]
                                     for p in paths)
    assert [r["incident_id"] for r in rows] == ["inc-1", "inc-2"]
    assert [p["state"] for p in progress] == ["labelled", "labelled", "unlabelled"]
    assert all("text" not in p for p in progress)  # the progress file holds no pupil text
    assert disagreements == [{"incident_id": "inc-2", "kind": "reviewer said innocent",
                              "reviewer": "innocent", "annotation": "suicide"}]
    assert not list(tmp_path.glob(".*.tmp"))
    lines = result.lines()
    assert lines[0].startswith("3 tasks: 2 labelled -> 2 training rows; dropped 1 unlabelled")
