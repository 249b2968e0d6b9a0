"""The audit log as the DSL reads it: who read or changed what, newest first.

The query is the API's `query_audit`; reading the log is itself written to the log.
"""
from __future__ import annotations

import json
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy import select

from api import audit
from api.deps import SessionDep, SettingsDep
from api.models import Device, Staff
from api.routes.audit_log import query_audit
from api.web.auth import AuditReaderPage
from api.web.calls import invoke
from api.web.pages import PageRoute, render

router = APIRouter(route_class=PageRoute, include_in_schema=False)

PAGE_SIZE = 100


def actor_names(session, school_id: str) -> dict[str, str]:
    staff = session.execute(select(Staff.id, Staff.name).where(Staff.school_id == school_id))
    devices = session.execute(select(Device.id, Device.hostname)
                              .where(Device.school_id == school_id))
    return {**dict(devices.all()), **dict(staff.all())}


def compact(detail: dict) -> str:
    return json.dumps(detail, ensure_ascii=False, sort_keys=True, default=str)[:400] \
        if detail else ""


@router.get("/audit")
def audit_page(request: Request, dsl: AuditReaderPage, session: SessionDep,
               settings: SettingsDep,
               action: Annotated[str, Query(max_length=64)] = "",
               target_id: Annotated[str, Query(max_length=128)] = "",
               cursor: Annotated[str, Query(max_length=1000)] = "") -> Response:
    page = invoke(query_audit, staff=dsl, session=session, settings=settings,
                  action=[action] if action else None, target_id=target_id or None,
                  cursor=cursor or None, limit=PAGE_SIZE)
    audit.record(session, "audit.read", actor=dsl, request=request,
                 filters={"action": action, "target_id": target_id})
    session.commit()
    more = None
    if page.next_cursor:
        more = "/audit?" + urlencode({k: v for k, v in (("action", action),
                                                        ("target_id", target_id),
                                                        ("cursor", page.next_cursor)) if v})
    return render(request, "audit.html", {
        "events": page.items, "names": actor_names(session, dsl.school_id),
        "action": action, "target_id": target_id, "next_url": more, "compact": compact,
    }, active="/audit")
