from __future__ import annotations

from datetime import datetime
from typing import Any

from api.domain import ActorType
from api.schemas.common import Page, Schema


class AuditEventPublic(Schema):
    id: int
    at: datetime
    actor_type: ActorType
    actor_id: str | None
    action: str
    target_type: str | None
    target_id: str | None
    ip: str | None
    detail: dict[str, Any]


class AuditPage(Page[AuditEventPublic]):
    pass
