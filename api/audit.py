"""Writing the audit log: who did what, when, from where.

Rows are added to the caller's transaction, so a read that is returned is a read that is
recorded; and the log is append-only (the ORM refuses changes here, the database in the
migration's triggers).
"""
from __future__ import annotations

from typing import Any

from fastapi import Request
from sqlalchemy import event
from sqlalchemy.orm import Session

from api.domain import ActorType
from api.models import AuditEvent, Device, Staff


class AuditLogIsAppendOnly(RuntimeError):
    pass


@event.listens_for(AuditEvent, "before_update")
@event.listens_for(AuditEvent, "before_delete")
def _refuse_change(*_args: Any) -> None:
    raise AuditLogIsAppendOnly("the audit log is append-only")


def client_ip(request: Request | None) -> str | None:
    return request.client.host if request is not None and request.client else None


def record(session: Session, action: str, *, actor: Staff | Device | None = None,
           school_id: str | None = None, target_type: str | None = None,
           target_id: str | None = None, request: Request | None = None,
           ip: str | None = None, **detail: Any) -> AuditEvent:
    """Add one audit row; `detail` must never hold secrets, tokens, context text or paths."""
    if isinstance(actor, Staff):
        actor_type, actor_id = ActorType.STAFF, actor.id
    elif isinstance(actor, Device):
        actor_type, actor_id = ActorType.DEVICE, actor.id
    else:
        actor_type, actor_id = ActorType.SYSTEM, None
    if school_id is None and actor is not None:
        school_id = actor.school_id
    row = AuditEvent(action=action, actor_type=actor_type, actor_id=actor_id,
                     school_id=school_id, target_type=target_type, target_id=target_id,
                     ip=client_ip(request) or ip, detail=detail)
    session.add(row)
    return row
