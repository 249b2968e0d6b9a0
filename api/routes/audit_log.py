"""The audit log, as the DSL queries it. Read-only: there is no route that changes it."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, status
from pydantic import AwareDatetime
from sqlalchemy import select

from api.deps import AuditReader, SessionDep, SettingsDep
from api.errors import STAFF_ERRORS, responses
from api.models import AuditEvent
from api.schemas.audit import AuditEventPublic, AuditPage
from api.security import BadCursorError, read_cursor, sign_cursor

router = APIRouter(prefix="/api/v1/audit", tags=["audit"])


@router.get("", response_model=AuditPage, responses={**STAFF_ERRORS, **responses(400)})
def query_audit(dsl: AuditReader, session: SessionDep, settings: SettingsDep,
                action: Annotated[list[str] | None, Query(max_length=64)] = None,
                actor_id: Annotated[str | None, Query(max_length=36)] = None,
                target_id: Annotated[str | None, Query(max_length=128)] = None,
                since: AwareDatetime | None = None, until: AwareDatetime | None = None,
                cursor: Annotated[str | None, Query(max_length=1000)] = None,
                limit: Annotated[int, Query(ge=1, le=500)] = 100) -> AuditPage:
    """Who read or changed what in this school, newest first."""
    secret = settings.secret_key.get_secret_value()
    query = select(AuditEvent).where(AuditEvent.school_id == dsl.school_id)
    if action:  # any of these actions
        query = query.where(AuditEvent.action.in_(action))
    if actor_id:
        query = query.where(AuditEvent.actor_id == actor_id)
    if target_id:
        query = query.where(AuditEvent.target_id == target_id)
    if since:
        query = query.where(AuditEvent.at >= since)
    if until:
        query = query.where(AuditEvent.at < until)
    if cursor:
        try:
            after = read_cursor(secret, cursor)
        except BadCursorError as exc:
            raise HTTPException(status.HTTP_400_BAD_REQUEST, str(exc)) from None
        if not isinstance(after, int):
            raise HTTPException(status.HTTP_400_BAD_REQUEST, "not an audit cursor")
        query = query.where(AuditEvent.id < after)
    rows = list(session.scalars(query.order_by(AuditEvent.id.desc()).limit(limit + 1)))
    items = [AuditEventPublic.model_validate(r) for r in rows[:limit]]
    more = sign_cursor(secret, rows[limit - 1].id) if len(rows) > limit else None
    return AuditPage(items=items, next_cursor=more)
