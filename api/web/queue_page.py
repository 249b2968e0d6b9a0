"""The review queue, and the decisions taken from it or from an incident's page.

The list is the API's `list_incidents` (ranked, authorised, audited); a decision is the API's
`review_incident`. This module only turns a filter form into their arguments and their answers
into a page. Filters live in the URL, so a filtered queue can be bookmarked and shared.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, HTTPException, Request, Response, status
from fastapi.responses import JSONResponse, RedirectResponse
from pydantic import ValidationError
from sqlalchemy import select

from api.deps import SessionDep, SettingsDep
from api.domain import Decision, IncidentStatus
from api.models import Device
from api.queue import Sort
from api.routes.incidents import list_incidents, promote_incident, review_incident
from api.schemas.incidents import PromoteRequest, ReviewCreate
from api.web.auth import IncidentReaderPage, IncidentReviewerForm
from api.web.calls import invoke
from api.web.pages import PageRoute, render, safe_next, validation_message, wants_json
from api.web.stats import local_day_start
from api.web.templating import category_label
from classifier.taxonomy import UnknownCategoryError, category, check_severity

router = APIRouter(route_class=PageRoute, include_in_schema=False)

PAGE_SIZE = 50
STATUSES: dict[str, list[IncidentStatus]] = {
    "new": [IncidentStatus.NEW], "suppressed": [IncidentStatus.SUPPRESSED],
    "reviewed": [IncidentStatus.REVIEWED], "all": list(IncidentStatus),
}
STATUS_LABELS = {"new": "To review", "reviewed": "Reviewed",
                 "suppressed": "Suppressed by model", "all": "All"}
DECISION_KEYS = {Decision.INNOCENT: "i", Decision.CONCERN: "c", Decision.URGENT: "u"}


def _bad_filter(field: str, message: str) -> HTTPException:
    return HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, f"{field}: {message}")


def _day(field: str, value: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise _bad_filter(field, f"{value!r} is not a date (YYYY-MM-DD)") from None


@dataclass(frozen=True, slots=True)
class QueueView:
    """The queue's filters as they appear in the URL."""

    status: str = "new"
    category: str = ""
    min_severity: int | None = None
    pupil: str = ""
    since: date | None = None
    until: date | None = None
    q: str = ""
    sort: str = Sort.RISK.value
    cursor: str = ""

    @classmethod
    def from_params(cls, params: Mapping[str, str]) -> QueueView:
        """Read the filter form; an empty field means 'any', a wrong one says what is wrong."""
        def get(name: str) -> str:
            return (params.get(name) or "").strip()

        view_status = get("status") or "new"
        if view_status not in STATUSES:
            raise _bad_filter("status", f"must be one of {', '.join(STATUSES)}")
        category_id = get("category")
        if category_id:
            try:
                category(category_id)
            except UnknownCategoryError as exc:
                raise _bad_filter("category", str(exc)) from None
        severity = None
        if get("min_severity"):
            try:
                severity = check_severity(int(get("min_severity")))
            except ValueError as exc:
                raise _bad_filter("min_severity", str(exc)) from None
        sort = get("sort") or Sort.RISK.value
        if sort not in {s.value for s in Sort}:
            raise _bad_filter("sort", "must be risk or newest")
        for name, limit in (("pupil", 512), ("q", 200), ("cursor", 1000)):
            if len(get(name)) > limit:
                raise _bad_filter(name, f"is longer than {limit} characters")
        since, until = _day("since", get("since")), _day("until", get("until"))
        if since and until and until < since:
            raise _bad_filter("until", "is before since")
        return cls(status=view_status, category=category_id, min_severity=severity,
                   pupil=get("pupil"), since=since, until=until, q=get("q"), sort=sort,
                   cursor=get("cursor"))

    def params(self, **changes: Any) -> dict[str, str]:
        view = replace(self, **changes)
        out = {}
        for f in fields(view):
            value = getattr(view, f.name)
            if value in (None, "") or (f.name == "status" and value == "new") or (
                    f.name == "sort" and value == Sort.RISK.value):
                continue
            out[f.name] = value.isoformat() if isinstance(value, date) else str(value)
        return out

    def url(self, **changes: Any) -> str:
        query = urlencode(self.params(**changes))
        return "/queue" + (f"?{query}" if query else "")

    @property
    def filtered(self) -> bool:
        return bool(self.params(cursor=""))

    def api_arguments(self) -> dict[str, Any]:
        """The same filters as `list_incidents` takes them (dates become the school's days)."""
        return {"status_": STATUSES[self.status],
                "category": [self.category] if self.category else None,
                "min_severity": self.min_severity, "pupil": self.pupil or None,
                "since": local_day_start(self.since) if self.since else None,
                "until": (local_day_start(self.until + timedelta(days=1))
                          if self.until else None),
                "q": self.q or None, "sort": Sort(self.sort), "cursor": self.cursor or None}


def device_names(session, school_id: str, device_ids: set[str]) -> dict[str, str]:
    if not device_ids:
        return {}
    rows = session.execute(select(Device.id, Device.hostname).where(
        Device.school_id == school_id, Device.id.in_(device_ids)))
    return dict(rows.all())


@router.get("/queue")
def queue_page(request: Request, staff: IncidentReaderPage, session: SessionDep,
               settings: SettingsDep) -> Response:
    view = QueueView.from_params(request.query_params)
    page = invoke(list_incidents, staff=staff, session=session, settings=settings,
                  request=request, **view.api_arguments(), limit=PAGE_SIZE)
    hosts = device_names(session, staff.school_id, {i.device_id for i in page.items})
    return render(request, "queue.html", {
        "view": view, "items": page.items, "hosts": hosts,
        "next_url": view.url(cursor=page.next_cursor) if page.next_cursor else None,
        "first_url": view.url(cursor="") if view.cursor else None,
        "back": view.url(), "statuses": STATUS_LABELS, "decision_keys": DECISION_KEYS,
        "now": datetime.now(UTC),
    }, active="/queue")


def _form_error(exc: ValidationError) -> HTTPException:
    return HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, validation_message(exc))


@router.post("/incidents/{incident_id}/review")
def review_submit(incident_id: str, request: Request, staff: IncidentReviewerForm,
                  session: SessionDep, decision: Annotated[str, Form(max_length=20)],
                  category: Annotated[str, Form(max_length=64)] = "",
                  note: Annotated[str, Form(max_length=4000)] = "",
                  back: Annotated[str, Form(max_length=2000)] = "") -> Response:
    """A decision from the queue (one key press) or from the incident page (with a category
    correction and a note)."""
    try:
        body = ReviewCreate(decision=decision, category=category or None, note=note)
    except ValidationError as exc:
        raise _form_error(exc) from None
    review = invoke(review_incident, staff=staff, incident_id=incident_id, body=body,
                    session=session, request=request)
    if wants_json(request):
        return JSONResponse({"incident_id": incident_id, "decision": str(review.decision),
                             "category": review.category_after,
                             "category_label": category_label(review.category_after),
                             "status": str(review.status_after)})
    target = safe_next(back, f"/incidents/{incident_id}?done=reviewed")
    return RedirectResponse(target, status_code=status.HTTP_303_SEE_OTHER)


@router.post("/incidents/{incident_id}/promote")
def promote_submit(incident_id: str, request: Request, staff: IncidentReviewerForm,
                   session: SessionDep, note: Annotated[str, Form(max_length=4000)] = ""
                   ) -> Response:
    """Put an incident the model suppressed back in the queue."""
    try:
        body = PromoteRequest(note=note)
    except ValidationError as exc:
        raise _form_error(exc) from None
    invoke(promote_incident, staff=staff, incident_id=incident_id, body=body, session=session,
           request=request)
    return RedirectResponse(f"/incidents/{incident_id}?done=promoted",
                            status_code=status.HTTP_303_SEE_OTHER)
