"""`safeguard-train labelstudio push`: reviewed incidents (and a sample of suppressed ones)
become Label Studio tasks, most uncertain first, each incident once."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from label_studio_sdk import LabelStudio

from classifier.judge import Judge
from training.labelstudio.incidents import ReviewServer
from training.labelstudio.project import (
    FAILURES,
    LabelStudioError,
    describe,
    ensure_project,
    incident_ids,
    serve_predictions_of,
)
from training.labelstudio.pseudonym import Pseudonymiser
from training.labelstudio.settings import DEFAULT_SUPPRESSED_FRACTION
from training.labelstudio.tasks import predict, task

IMPORT_BATCH = 200

Log = Callable[[str], None]


@dataclass
class PushReport:
    project_id: int
    project_created: bool
    model_version: str
    already_there: int
    added: int = 0
    reviewed: int = 0
    suppressed: int = 0
    task_ids: list[int] = field(default_factory=list)

    def lines(self) -> list[str]:
        made = " (created)" if self.project_created else ""
        return [(f"Label Studio project {self.project_id}{made}: {self.already_there} tasks "
                 f"already there, {self.added} added ({self.reviewed} reviewed, "
                 f"{self.suppressed} suppressed), pre-annotated by model {self.model_version}")]


def push(ls: LabelStudio, server: ReviewServer, judge: Judge, names: Pseudonymiser, *,
         project_title: str, suppressed_fraction: float = DEFAULT_SUPPRESSED_FRACTION,
         log: Log = print) -> PushReport:
    if not 0 <= suppressed_fraction <= 1:
        raise ValueError("the suppressed sample fraction must lie in [0, 1]")
    project, created = ensure_project(ls, project_title, judge.version)
    existing = incident_ids(ls, project.id)
    report = PushReport(project.id, created, judge.version, len(existing))
    incidents = server.for_labelling(suppressed_fraction=suppressed_fraction,
                                     skip=existing.__contains__)
    if not incidents:
        return report
    predictions = predict(judge, incidents)
    order = sorted(range(len(incidents)),
                   key=lambda n: (-predictions[n].uncertainty, incidents[n].id))
    batch = [task(incidents[n], predictions[n], names) for n in order]
    for first in range(0, len(batch), IMPORT_BATCH):
        chunk = batch[first:first + IMPORT_BATCH]
        try:
            result = ls.projects.import_tasks(id=project.id, request=chunk,
                                              return_task_ids=True)
        except FAILURES as exc:
            raise LabelStudioError(
                f"importing tasks into project {project.id} failed after {report.added} were "
                f"added ({describe(exc)}); push again: tasks already added are skipped") from None
        report.task_ids.extend(result.task_ids or [])
        report.added += len(chunk)
        log(f"  imported {report.added}/{len(batch)} tasks")
    serve_predictions_of(ls, project, judge.version)
    report.reviewed = sum(1 for i in incidents if i.decision)
    report.suppressed = len(incidents) - report.reviewed
    return report
