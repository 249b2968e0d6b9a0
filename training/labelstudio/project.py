"""The Label Studio project: found by title or created from the taxonomy, and what it holds.

A project made by hand with another labelling config would label with the wrong names, so a
project found by title is checked against the generated config and refused (with a clear
message) when they differ, rather than silently pushed into.
"""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
from label_studio_sdk import LabelStudio
from label_studio_sdk.core.api_error import ApiError

from training.labelstudio.interface import INSTRUCTIONS, labelling_config
from training.labelstudio.settings import Endpoint

#: Label Studio serves the task whose prediction score is lowest first (active learning).
UNCERTAINTY_SAMPLING = "Uncertainty sampling"
PAGE_SIZE = 500
#: What the SDK raises: an answer it did not like, or no answer at all.
FAILURES = (ApiError, httpx.HTTPError)


class LabelStudioError(RuntimeError):
    """Label Studio is unreachable, refused, or holds a project we must not write into."""


def connect(endpoint: Endpoint, *, timeout: float = 60.0) -> LabelStudio:
    return LabelStudio(base_url=endpoint.url, api_key=endpoint.token.get_secret_value(),
                       timeout=timeout)


def describe(exc: Exception) -> str:
    """An SDK or network failure in one line, without headers (they may echo cookies)."""
    if isinstance(exc, ApiError):
        body = exc.body.get("detail", exc.body) if isinstance(exc.body, dict) else exc.body
        return f"HTTP {exc.status_code}: {str(body)[:300]}"
    return f"{type(exc).__name__}: {exc}"


def find_project(ls: LabelStudio, title: str) -> Any | None:
    try:
        matches = [p for p in ls.projects.list(title=title) if p.title == title]
        if len(matches) > 1:
            raise LabelStudioError(f"{len(matches)} Label Studio projects are called "
                                   f"{title!r}; rename all but one")
        return ls.projects.get(id=matches[0].id) if matches else None
    except FAILURES as exc:
        raise LabelStudioError(f"cannot list Label Studio projects ({describe(exc)})") from None


def _same_config(a: str, b: str) -> bool:
    return " ".join(a.split()) == " ".join(b.split())


def ensure_project(ls: LabelStudio, title: str, model_version: str) -> tuple[Any, bool]:
    """The project (created if missing), set to serve the current model's most uncertain
    predictions first. Returns (project, created)."""
    config = labelling_config()
    project = find_project(ls, title)
    try:
        if project is None:
            project = ls.projects.create(
                title=title, label_config=config, expert_instruction=INSTRUCTIONS,
                show_instruction=True, sampling=UNCERTAINTY_SAMPLING, model_version=model_version,
                description="Reviewed and suppressed safeguarding hits, pseudonymised, for the "
                            "context model (pushed by safeguard-train labelstudio push).")
            return ls.projects.get(id=project.id), True
        if not _same_config(project.label_config or "", config):
            raise LabelStudioError(
                f"Label Studio project {title!r} (id {project.id}) has a labelling config that "
                "does not match the taxonomy's; update it from `safeguard-train labelstudio "
                "config` or push to a new project with --project")
        if project.sampling != UNCERTAINTY_SAMPLING:
            project = ls.projects.update(id=project.id, sampling=UNCERTAINTY_SAMPLING)
    except FAILURES as exc:
        raise LabelStudioError(f"cannot set up project {title!r} ({describe(exc)})") from None
    return project, False


def serve_predictions_of(ls: LabelStudio, project: Any, model_version: str) -> None:
    """Make uncertainty sampling rank by this model's predictions. Label Studio accepts a
    model version only once predictions of it exist, so this runs after an import."""
    if project.model_version == model_version:
        return
    try:
        ls.projects.update(id=project.id, model_version=model_version)
    except FAILURES as exc:
        raise LabelStudioError(f"cannot set project {project.id} to serve predictions of "
                               f"{model_version} ({describe(exc)})") from None


def tasks(ls: LabelStudio, project_id: int) -> Iterator[Any]:
    """Every task of the project (data only)."""
    try:
        yield from ls.tasks.list(project=project_id, page_size=PAGE_SIZE)
    except FAILURES as exc:
        raise LabelStudioError(f"cannot list tasks of project {project_id} "
                               f"({describe(exc)})") from None


def incident_ids(ls: LabelStudio, project_id: int) -> set[str]:
    """The external ids already pushed: what makes a second push add nothing."""
    return {str(t.data["incident_id"]) for t in tasks(ls, project_id)
            if isinstance(t.data, dict) and t.data.get("incident_id")}
