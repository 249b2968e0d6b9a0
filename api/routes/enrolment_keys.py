"""Enrolment keys: what IT staff give the agent installer to join a school."""
from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request, status
from sqlalchemy import select

from api import audit
from api.accounts import issue_enrolment_key
from api.db import utcnow
from api.deps import DeviceManager, SessionDep
from api.errors import STAFF_ERRORS, responses
from api.models import EnrolmentKey
from api.schemas.devices import EnrolmentKeyCreate, EnrolmentKeyCreated, EnrolmentKeyPublic

router = APIRouter(prefix="/api/v1/enrolment-keys", tags=["devices"])

#: Old name, still imported by tests/ui; new code uses api.accounts.issue_enrolment_key.
issue_key = issue_enrolment_key


@router.post("", status_code=status.HTTP_201_CREATED, response_model=EnrolmentKeyCreated,
             responses=STAFF_ERRORS)
def create_key(body: EnrolmentKeyCreate, admin: DeviceManager, session: SessionDep,
               request: Request) -> EnrolmentKeyCreated:
    row, key = issue_enrolment_key(session, admin.school_id, body.name, admin.id)
    audit.record(session, "enrolment_key.created", actor=admin, target_type="enrolment_key",
                 target_id=row.id, request=request, name=body.name)
    session.commit()
    return EnrolmentKeyCreated(**EnrolmentKeyPublic.model_validate(row).model_dump(), key=key)


@router.get("", response_model=list[EnrolmentKeyPublic], responses=STAFF_ERRORS)
def list_keys(admin: DeviceManager, session: SessionDep) -> list[EnrolmentKeyPublic]:
    rows = session.scalars(select(EnrolmentKey).where(EnrolmentKey.school_id == admin.school_id)
                           .order_by(EnrolmentKey.created_at)).all()
    return [EnrolmentKeyPublic.model_validate(r) for r in rows]


@router.post("/{key_id}/revoke", response_model=EnrolmentKeyPublic,
             responses={**STAFF_ERRORS, **responses(404)})
def revoke_key(key_id: str, admin: DeviceManager, session: SessionDep,
               request: Request) -> EnrolmentKeyPublic:
    """Stop new enrolments with this key; devices already enrolled keep working."""
    row = session.get(EnrolmentKey, key_id)
    if row is None or row.school_id != admin.school_id:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such enrolment key")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        audit.record(session, "enrolment_key.revoked", actor=admin,
                     target_type="enrolment_key", target_id=row.id, request=request)
        session.commit()
    return EnrolmentKeyPublic.model_validate(row)
