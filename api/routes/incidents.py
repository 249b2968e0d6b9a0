"""The review queue, incident detail and evidence, and decisions. Every read is audited."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request, Response, status
from pydantic import AwareDatetime
from sqlalchemy import select
from sqlalchemy.orm import Session

from api import audit
from api.db import utcnow
from api.deps import IncidentReader, IncidentReviewer, ServicesDep, SessionDep, SettingsDep
from api.domain import Decision, IncidentStatus, ReviewAction, Role
from api.errors import STAFF_ERRORS, responses
from api.models import Device, Incident, Review, Staff
from api.queue import Filters, Sort, highlight, next_cursor, page_query, summary
from api.risk import risk
from api.schemas.common import CategoryId
from api.schemas.incidents import (
    BoxPublic,
    IncidentDetail,
    IncidentPage,
    PromoteRequest,
    ReviewCreate,
    ReviewPublic,
)
from api.security import BadCursorError

router = APIRouter(prefix="/api/v1/incidents", tags=["incidents"])

NOT_FOUND = {**STAFF_ERRORS, **responses(404)}


def own_incident(session: Session, school_id: str, incident_id: str) -> Incident:
    """Another school's incident is 'not found', never 'forbidden': its existence is private."""
    incident = session.get(Incident, incident_id)
    if incident is None or incident.school_id != school_id:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such incident")
    return incident


@router.get("", response_model=IncidentPage, responses={**STAFF_ERRORS, **responses(400)})
def list_incidents(
        staff: IncidentReader, session: SessionDep, settings: SettingsDep, request: Request,
        status_: Annotated[list[IncidentStatus] | None, Query(
            alias="status", description="Default: new (the queue)")] = None,
        category: Annotated[list[CategoryId] | None, Query()] = None,
        decision: Annotated[list[Decision] | None, Query()] = None,
        min_severity: Annotated[int | None, Query(ge=1, le=5)] = None,
        pupil: Annotated[str | None, Query(max_length=512)] = None,
        device_id: Annotated[str | None, Query(max_length=36)] = None,
        since: AwareDatetime | None = None, until: AwareDatetime | None = None,
        q: Annotated[str | None, Query(max_length=200, description="Free text")] = None,
        sort: Sort = Sort.RISK, cursor: Annotated[str | None, Query(max_length=1000)] = None,
        limit: Annotated[int, Query(ge=1, le=200)] = 50) -> IncidentPage:
    """The ranked queue: by default new incidents, urgent first (see `api.risk`)."""
    filters = Filters(statuses=status_ or [IncidentStatus.NEW], categories=category or [],
                      decisions=decision or [], min_severity=min_severity, pupil=pupil,
                      device_id=device_id, since=since, until=until, text=q)
    secret = settings.secret_key.get_secret_value()
    try:
        query = page_query(staff.school_id, filters, sort, cursor, limit, secret)
    except BadCursorError as exc:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, str(exc)) from None
    rows = list(session.scalars(query))
    now = utcnow()
    items = [summary(i, now) for i in rows[:limit]]
    audit.record(session, "incident.list", actor=staff, request=request,
                 filters=filters.describe(), sort=str(sort),
                 incident_ids=[i.id for i in items])
    session.commit()
    return IncidentPage(items=items, next_cursor=next_cursor(rows, sort, limit, secret))


def review_public(review: Review, names: dict[str, str]) -> ReviewPublic:
    return ReviewPublic(id=review.id, action=review.action, decision=review.decision,
                        status_before=review.status_before, status_after=review.status_after,
                        category_before=review.category_before,
                        category_after=review.category_after, note=review.note,
                        staff_id=review.staff_id, staff_name=names.get(review.staff_id, ""),
                        created_at=review.created_at)


def history(session: Session, incident_id: str) -> list[ReviewPublic]:
    rows = session.execute(select(Review, Staff.name).join(Staff, Staff.id == Review.staff_id)
                           .where(Review.incident_id == incident_id)
                           .order_by(Review.created_at, Review.id)).all()
    return [review_public(r, {r.staff_id: name}) for r, name in rows]


def detail(session: Session, incident: Incident) -> IncidentDetail:
    device = session.get(Device, incident.device_id)
    base = summary(incident, utcnow()).model_dump()
    return IncidentDetail(
        **base, device_hostname=device.hostname if device else "", hit_key=incident.hit_key,
        context=incident.context, start=incident.start, end=incident.end,
        highlight=highlight(incident.context, incident.start, incident.end),
        boxes=[BoxPublic(**b) for b in incident.boxes or []], scores=incident.scores,
        model_version=incident.model_version, model_category=incident.model_category,
        model_alert=incident.model_alert, library_version=incident.library_version,
        risk_base=incident.risk_base,
        screenshot_url=(f"/api/v1/incidents/{incident.id}/screenshot"
                        if incident.screenshot_key else None),
        screenshot_type=incident.screenshot_type, reviewed_by=incident.reviewed_by,
        dsl_acknowledged_at=incident.dsl_acknowledged_at, alerted_at=incident.alerted_at,
        escalated_at=incident.escalated_at, reviews=history(session, incident.id))


@router.get("/{incident_id}", response_model=IncidentDetail, responses=NOT_FOUND)
def get_incident(incident_id: str, staff: IncidentReader, session: SessionDep,
                 request: Request) -> IncidentDetail:
    incident = own_incident(session, staff.school_id, incident_id)
    result = detail(session, incident)
    audit.record(session, "incident.read", actor=staff, target_type="incident",
                 target_id=incident.id, request=request)
    session.commit()
    return result


@router.get("/{incident_id}/screenshot", response_class=Response,
            responses={200: {"content": {t: {} for t in ("image/png", "image/webp",
                                                          "image/jpeg")},
                             "description": "The screenshot, exactly as uploaded"},
                       **NOT_FOUND})
def get_screenshot(incident_id: str, staff: IncidentReader, session: SessionDep,
                   services: ServicesDep, request: Request) -> Response:
    """The evidence image. Not cacheable, not guessable, and every view is audited."""
    incident = own_incident(session, staff.school_id, incident_id)
    if incident.screenshot_key is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "this incident has no screenshot")
    try:
        data = services.blobs.get(incident.screenshot_key)
    except FileNotFoundError:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "screenshot is missing from the store") from None
    audit.record(session, "screenshot.read", actor=staff, target_type="incident",
                 target_id=incident.id, request=request)
    session.commit()
    return Response(data, media_type=incident.screenshot_type, headers={
        "Cache-Control": "no-store, private", "X-Content-Type-Options": "nosniff",
        "Content-Disposition": f'inline; filename="incident-{incident.id}"'})


@router.get("/{incident_id}/reviews", response_model=list[ReviewPublic], responses=NOT_FOUND)
def list_reviews(incident_id: str, staff: IncidentReader, session: SessionDep,
                 request: Request) -> list[ReviewPublic]:
    incident = own_incident(session, staff.school_id, incident_id)
    result = history(session, incident.id)
    audit.record(session, "incident.history_read", actor=staff, target_type="incident",
                 target_id=incident.id, request=request)
    session.commit()
    return result


def _add_review(session: Session, incident: Incident, staff: Staff, action: ReviewAction,
                decision: Decision | None, new_status: IncidentStatus, new_category: str,
                note: str) -> Review:
    review = Review(incident_id=incident.id, staff_id=staff.id, action=action,
                    decision=decision, status_before=incident.status, status_after=new_status,
                    category_before=incident.category, category_after=new_category, note=note)
    session.add(review)
    return review


@router.post("/{incident_id}/reviews", status_code=status.HTTP_201_CREATED,
             response_model=ReviewPublic, responses=NOT_FOUND)
def review_incident(incident_id: str, body: ReviewCreate, staff: IncidentReviewer,
                    session: SessionDep, request: Request) -> ReviewPublic:
    """Decide innocent / concern / urgent, optionally correcting the category; a later
    decision replaces the current one and both stay in the history. A DSL's decision also
    acknowledges the incident, which stops it escalating."""
    incident = own_incident(session, staff.school_id, incident_id)
    category = body.category or incident.category
    review = _add_review(session, incident, staff, ReviewAction.DECISION, body.decision,
                         IncidentStatus.REVIEWED, category, body.note)
    now = utcnow()
    incident.status = IncidentStatus.REVIEWED
    incident.decision = body.decision
    incident.category = category
    incident.reviewed_by = staff.id
    incident.reviewed_at = now
    if staff.role == Role.DSL:
        incident.dsl_acknowledged_at = now
    session.flush()
    audit.record(session, "incident.reviewed", actor=staff, target_type="incident",
                 target_id=incident.id, request=request, decision=str(body.decision),
                 category_before=review.category_before, category_after=category)
    session.commit()
    return review_public(review, {staff.id: staff.name})


@router.post("/{incident_id}/promote", response_model=ReviewPublic,
             responses={**NOT_FOUND, **responses(409)})
def promote_incident(incident_id: str, body: PromoteRequest, staff: IncidentReviewer,
                     session: SessionDep, request: Request) -> ReviewPublic:
    """Put an incident the model suppressed back in the queue (the model was wrong)."""
    incident = own_incident(session, staff.school_id, incident_id)
    if incident.status != IncidentStatus.SUPPRESSED:
        raise HTTPException(status.HTTP_409_CONFLICT,
                            f"only suppressed incidents can be promoted (this one is "
                            f"{incident.status})")
    review = _add_review(session, incident, staff, ReviewAction.PROMOTE, None,
                         IncidentStatus.NEW, incident.category, body.note)
    incident.status = IncidentStatus.NEW
    # A person judged it worth a look: rank it by severity and age, not the model's doubt.
    promoted = risk(1.0, incident.severity, min(incident.observed_at, incident.received_at))
    incident.risk_base, incident.rank_key = promoted.base, promoted.rank_key
    session.flush()
    audit.record(session, "incident.promoted", actor=staff, target_type="incident",
                 target_id=incident.id, request=request)
    session.commit()
    return review_public(review, {staff.id: staff.name})
