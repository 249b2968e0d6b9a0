"""`safeguard-train labelstudio pull`: completed annotations become training rows.

A row has the seed corpus's fields (family, label, source, phrase, text) plus the hit's
offsets and where it came from, so `training.dataset` reads it like any seed row. The export
holds every task, labelled or not: tasks with no completed annotation are dropped (and
counted, for the progress notebook); skipped ones likewise. Where labellers disagree with
each other the row is held back until they agree; where the annotation disagrees with the
reviewer's decision the annotation wins, and the disagreement is reported so the DSL can
look at the incident again (a suppressed hit labelled a concern is a missed concern).
"""
from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from label_studio_sdk import LabelStudio

from classifier.taxonomy import NONE
from training.labelstudio.interface import AnnotationError, chosen_label
from training.labelstudio.project import FAILURES, LabelStudioError, describe, find_project
from training.labelstudio.rows import training_row

#: Task states in the progress file.
LABELLED, UNLABELLED, SKIPPED, CONFLICT, INVALID = (
    "labelled", "unlabelled", "skipped", "labellers disagree", "invalid")
CONCERN_DECISIONS = ("concern", "urgent")


@dataclass(frozen=True)
class Disagreement:
    incident_id: str
    kind: str       # "missed concern" | "false alert" | "category" | "reviewer said innocent"
    reviewer: str   # what the reviewer (or the model, for suppressed hits) decided
    annotation: str

    def line(self) -> str:
        return (f"  incident {self.incident_id}: {self.kind}: reviewer {self.reviewer}, "
                f"labelled {self.annotation}")


@dataclass
class PullResult:
    rows: list[dict[str, Any]] = field(default_factory=list)
    progress: list[dict[str, Any]] = field(default_factory=list)
    disagreements: list[Disagreement] = field(default_factory=list)

    @property
    def counts(self) -> Counter:
        return Counter(p["state"] for p in self.progress)

    def lines(self) -> list[str]:
        c = self.counts
        out = [(f"{len(self.progress)} tasks: {c[LABELLED]} labelled -> {len(self.rows)} "
                f"training rows; dropped {c[UNLABELLED]} unlabelled, {c[SKIPPED]} skipped, "
                f"{c[CONFLICT]} where labellers disagree, {c[INVALID]} invalid"),
               (f"{len(self.disagreements)} disagreement(s) between reviewer and annotation "
                "(the annotation wins; ask the DSL to look again):")]
        return out + [d.line() for d in self.disagreements]


def disagreement(data: dict[str, Any], label: str) -> Disagreement | None:
    incident, decision = str(data["incident_id"]), data.get("reviewer_decision") or ""
    category = data.get("reviewer_category", "")
    if not decision:  # suppressed: the model's "innocent" was the only decision
        return (Disagreement(incident, "missed concern", "none (suppressed by the model)", label)
                if label != NONE else None)
    if decision in CONCERN_DECISIONS and label == NONE:
        return Disagreement(incident, "false alert", f"{decision} ({category})", label)
    if decision == "innocent" and label != NONE:
        return Disagreement(incident, "reviewer said innocent", decision, label)
    if decision in CONCERN_DECISIONS and label != category:
        return Disagreement(incident, "category", f"{decision} ({category})", label)
    return None


def _progress(task: dict[str, Any], state: str, label: str | None,
              annotated_at: str | None) -> dict[str, Any]:
    data = task.get("data", {})
    keep = ("incident_id", "status", "reviewer_decision", "reviewer_category", "model_label",
            "model_score", "uncertainty", "phrase_category", "genre", "source", "severity")
    return {"task_id": task.get("id"), **{k: data.get(k) for k in keep}, "state": state,
            "label": label, "pushed_at": task.get("created_at"), "annotated_at": annotated_at}


def read_export(tasks: Iterable[dict[str, Any]]) -> PullResult:
    """Rows, progress and disagreements from Label Studio's JSON export."""
    result = PullResult()
    for task in tasks:
        data = task.get("data") or {}
        if not data.get("incident_id"):
            continue  # not one of ours (added by hand)
        done = [a for a in task.get("annotations") or [] if not a.get("was_cancelled")]
        if not done:
            skipped = any(a.get("was_cancelled") for a in task.get("annotations") or [])
            result.progress.append(_progress(task, SKIPPED if skipped else UNLABELLED,
                                             None, None))
            continue
        try:
            labels = {chosen_label(a.get("result")) for a in done}
        except AnnotationError:
            result.progress.append(_progress(task, INVALID, None, None))
            continue
        annotated_at = max(str(a.get("updated_at") or a.get("created_at") or "") for a in done)
        if len(labels) > 1:
            result.progress.append(_progress(task, CONFLICT, None, annotated_at))
            continue
        (label,) = labels
        try:
            row = training_row(data, label, annotated_at)
        except KeyError:  # a task whose data was edited by hand: nothing to train on
            result.progress.append(_progress(task, INVALID, None, annotated_at))
            continue
        result.progress.append(_progress(task, LABELLED, label, annotated_at))
        result.rows.append(row)
        found = disagreement(data, label)
        if found is not None:
            result.disagreements.append(found)
    return result


def export(ls: LabelStudio, project_title: str) -> list[dict[str, Any]]:
    """Every task of the project with its annotations (Label Studio's JSON export)."""
    project = find_project(ls, project_title)
    if project is None:
        raise LabelStudioError(f"no Label Studio project called {project_title!r}; push first")
    try:
        raw = b"".join(ls.projects.exports.download_sync(
            project.id, export_type="JSON", download_all_tasks=True))
        return json.loads(raw)
    except FAILURES as exc:
        raise LabelStudioError(f"exporting project {project.id} failed ({describe(exc)})") from None
    except ValueError as exc:
        raise LabelStudioError(f"project {project.id}: the export is not JSON ({exc})") from None


def write_jsonl(path: Path, rows: Iterable[dict[str, Any]]) -> Path:
    """Replace `path` whole, or not at all: a crash never leaves half a file to train on."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    with tmp.open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    tmp.replace(path)
    return path


def save(result: PullResult, labelled: Path, progress: Path, disagreements: Path) -> None:
    write_jsonl(labelled, result.rows)
    write_jsonl(progress, result.progress)
    write_jsonl(disagreements, (asdict(d) for d in result.disagreements))
