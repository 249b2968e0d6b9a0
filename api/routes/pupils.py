"""Per-pupil history, for the DSL: patterns matter more than any single incident."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request, status
from sqlalchemy import case, func, select

from api import audit
from api.db import utcnow
from api.deps import PupilReader, SessionDep, SettingsDep
from api.domain import IncidentStatus
from api.errors import STAFF_ERRORS, responses
from api.models import Incident
from api.queue import Filters, Sort, next_cursor, page_query, summary
from api.schemas.pupils import PupilPage, PupilSummary, PupilTimeline
from api.security import BadCursorError

router = APIRouter(prefix="/api/v1/pupils", tags=["pupils"])


@router.get("", response_model=PupilPage, responses=STAFF_ERRORS)
def list_pupils(dsl: PupilReader, session: SessionDep, request: Request,
                q: Annotated[str | None, Query(max_length=200)] = None,
                limit: Annotated[int, Query(ge=1, le=500)] = 100) -> PupilPage:
    """Pupils with incidents (suppressed ones excluded), most recent first."""
    open_case = case((Incident.status == IncidentStatus.NEW, 1), else_=0)
    query = (select(Incident.pupil, func.count(), func.sum(open_case), func.max(Incident.severity),
                    func.max(Incident.observed_at))
             .where(Incident.school_id == dsl.school_id,
                    Incident.status != IncidentStatus.SUPPRESSED)
             .group_by(Incident.pupil).order_by(func.max(Incident.observed_at).desc())
             .limit(limit))
    if q:
        query = query.where(func.lower(Incident.pupil).contains(q.lower(), autoescape=True))
    items = [PupilSummary(pupil=p, incidents=n, open_incidents=int(o or 0), highest_severity=s,
                          last_observed_at=last)
             for p, n, o, s, last in session.execute(query)]
    audit.record(session, "pupil.list", actor=dsl, request=request, q=q or "",
                 count=len(items))
    session.commit()
    return PupilPage(items=items)


@router.get("/timeline", response_model=PupilTimeline,
            responses={**STAFF_ERRORS, **responses(400)})
def pupil_timeline(dsl: PupilReader, session: SessionDep, settings: SettingsDep,
                   request: Request, pupil: Annotated[str, Query(min_length=1, max_length=512)],
                   include_suppressed: bool = True,
                   cursor: Annotated[str | None, Query(max_length=1000)] = None,
                   limit: Annotated[int, Query(ge=1, le=200)] = 50) -> PupilTimeline:
    """Every incident of one pupil (the login the agent saw), newest first."""
    statuses = list(IncidentStatus) if include_suppressed else [IncidentStatus.NEW,
                                                                 IncidentStatus.REVIEWED]
    filters = Filters(statuses=statuses, pupil=pupil)
    secret = settings.secret_key.get_secret_value()
    try:
        query = page_query(dsl.school_id, filters, Sort.NEWEST, cursor, limit, secret)
    except BadCursorError as exc:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, str(exc)) from None
    rows = list(session.scalars(query))
    now = utcnow()
    items = [summary(i, now) for i in rows[:limit]]
    audit.record(session, "pupil.timeline", actor=dsl, target_type="pupil", target_id=pupil,
                 request=request, incident_ids=[i.id for i in items])
    session.commit()
    return PupilTimeline(pupil=pupil, items=items,
                         next_cursor=next_cursor(rows, Sort.NEWEST, limit, secret))
