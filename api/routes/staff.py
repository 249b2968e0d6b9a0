"""Accounts of one school, managed by its admin."""
from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request, status
from sqlalchemy import select

from api import audit
from api.accounts import AccountExists, create_staff, end_all_sessions
from api.db import utcnow
from api.deps import SessionDep, StaffManager
from api.errors import STAFF_ERRORS, responses
from api.models import ApiToken, School, Staff
from api.routes.auth import staff_public
from api.schemas.staff import PasswordReset, StaffCreate, StaffCreated, StaffPublic, StaffUpdate
from api.security import WeakPasswordError, generate_password, hash_password

router = APIRouter(prefix="/api/v1/staff", tags=["staff"])


def _own_staff(session: SessionDep, school_id: str, staff_id: str) -> Staff:
    staff = session.get(Staff, staff_id)
    if staff is None or staff.school_id != school_id:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such staff member")
    return staff


@router.get("", response_model=list[StaffPublic], responses=STAFF_ERRORS)
def list_staff(admin: StaffManager, session: SessionDep) -> list[StaffPublic]:
    rows = session.scalars(select(Staff).where(Staff.school_id == admin.school_id)
                           .order_by(Staff.name, Staff.id)).all()
    return [staff_public(s) for s in rows]


@router.post("", status_code=status.HTTP_201_CREATED, response_model=StaffCreated,
             responses={**STAFF_ERRORS, **responses(409)})
def add_staff(body: StaffCreate, admin: StaffManager, session: SessionDep,
              request: Request) -> StaffCreated:
    generated = None if body.password else generate_password()
    password = body.password.get_secret_value() if body.password else generated
    school = session.get(School, admin.school_id)
    try:
        staff = create_staff(session, school, body.email, body.name, body.role, password)
    except AccountExists as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from None
    except WeakPasswordError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from None
    audit.record(session, "staff.created", actor=admin, target_type="staff", target_id=staff.id,
                 request=request, role=str(body.role), email=staff.email)
    session.commit()
    return StaffCreated(staff=staff_public(staff), password=generated)


@router.get("/{staff_id}", response_model=StaffPublic,
            responses={**STAFF_ERRORS, **responses(404)})
def get_staff(staff_id: str, admin: StaffManager, session: SessionDep) -> StaffPublic:
    return staff_public(_own_staff(session, admin.school_id, staff_id))


@router.patch("/{staff_id}", response_model=StaffPublic,
              responses={**STAFF_ERRORS, **responses(404, 409)})
def update_staff(staff_id: str, body: StaffUpdate, admin: StaffManager, session: SessionDep,
                 request: Request) -> StaffPublic:
    """Rename, change role, or disable (disabling signs the person out everywhere)."""
    staff = _own_staff(session, admin.school_id, staff_id)
    changes = body.model_dump(exclude_unset=True, exclude_none=True)
    if staff.id == admin.id and (changes.get("active") is False or
                                 changes.get("role", admin.role) != admin.role):
        raise HTTPException(status.HTTP_409_CONFLICT,
                            "you cannot disable yourself or change your own role")
    for name, value in changes.items():
        setattr(staff, name, value)
    if changes.get("active") is False or "role" in changes:
        end_all_sessions(session, staff.id)
        for token in session.scalars(select(ApiToken).where(ApiToken.staff_id == staff.id,
                                                            ApiToken.revoked_at.is_(None))):
            token.revoked_at = utcnow()
    audit.record(session, "staff.updated", actor=admin, target_type="staff", target_id=staff.id,
                 request=request, changes={k: str(v) for k, v in changes.items()})
    session.commit()
    return staff_public(staff)


@router.post("/{staff_id}/reset-password", response_model=PasswordReset,
             responses={**STAFF_ERRORS, **responses(404)})
def reset_password(staff_id: str, admin: StaffManager, session: SessionDep,
                   request: Request) -> PasswordReset:
    """A new generated password (shown once); the person is signed out everywhere."""
    staff = _own_staff(session, admin.school_id, staff_id)
    password = generate_password()
    staff.password_hash = hash_password(password)
    staff.failed_logins = 0
    staff.locked_until = None
    end_all_sessions(session, staff.id)
    audit.record(session, "staff.password_reset", actor=admin, target_type="staff",
                 target_id=staff.id, request=request)
    session.commit()
    return PasswordReset(password=password)
