"""Accounts and keys: sign-in with lockout, sessions, people and enrolment keys (CLI and API
alike)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.db import utcnow
from api.domain import Role
from api.models import EnrolmentKey, School, Staff, StaffSession
from api.security import (
    ENROLMENT_KEY_PREFIX,
    SESSION_PREFIX,
    check_password_strength,
    display_prefix,
    hash_password,
    hash_token,
    new_token,
    password_needs_rehash,
    verify_password,
)


class LoginFailed(Exception):
    """Wrong email or password (deliberately not saying which to the client)."""

    def __init__(self, school_id: str | None = None) -> None:
        super().__init__("wrong email or password")
        self.school_id = school_id  # so the school's DSL sees attempts on its accounts


class AccountLocked(Exception):
    def __init__(self, until: datetime, school_id: str) -> None:
        super().__init__(f"too many failed sign-ins; try again after {until:%H:%M} UTC")
        self.until = until
        self.school_id = school_id


class AccountExists(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class SignedIn:
    staff: Staff
    session_token: str
    expires_at: datetime


def authenticate(session: Session, email: str, password: str, *, max_failures: int,
                 lockout: timedelta) -> Staff:
    """Check a password; repeated failures lock the account for a while (not for ever)."""
    now = utcnow()
    staff = session.scalar(select(Staff).where(Staff.email == email.strip().lower()))
    if staff is not None and staff.locked_until and staff.locked_until > now:
        raise AccountLocked(staff.locked_until, staff.school_id)
    ok = verify_password(staff.password_hash if staff else None, password)
    if staff is None or not staff.active or not ok:
        if staff is not None and not ok:
            staff.failed_logins += 1
            if staff.failed_logins >= max_failures:
                staff.locked_until = now + lockout
                staff.failed_logins = 0
            session.commit()
        raise LoginFailed(staff.school_id if staff is not None else None)
    staff.failed_logins = 0
    staff.locked_until = None
    staff.last_login_at = now
    if password_needs_rehash(staff.password_hash):
        staff.password_hash = hash_password(password)
    return staff


def start_session(session: Session, staff: Staff, hours: float, ip: str | None) -> SignedIn:
    token = new_token(SESSION_PREFIX)
    expires = utcnow() + timedelta(hours=hours)
    session.add(StaffSession(staff_id=staff.id, token_hash=hash_token(token), expires_at=expires,
                             ip=ip))
    return SignedIn(staff, token, expires)


def end_session(session: Session, token: str) -> None:
    row = session.scalar(select(StaffSession).where(StaffSession.token_hash == hash_token(token)))
    if row is not None:
        session.delete(row)


def end_all_sessions(session: Session, staff_id: str) -> None:
    for row in session.scalars(select(StaffSession).where(StaffSession.staff_id == staff_id)):
        session.delete(row)


def get_or_create_school(session: Session, name: str) -> School:
    school = session.scalar(select(School).where(School.name == name))
    if school is None:
        school = School(name=name)
        session.add(school)
        session.flush()
    return school


def create_staff(session: Session, school: School, email: str, name: str, role: Role,
                 password: str) -> Staff:
    email = email.strip().lower()
    if session.scalar(select(Staff.id).where(Staff.email == email)) is not None:
        raise AccountExists(f"an account for {email} already exists")
    check_password_strength(password)
    staff = Staff(school_id=school.id, email=email, name=name, role=role,
                  password_hash=hash_password(password))
    session.add(staff)
    session.flush()
    return staff


def issue_enrolment_key(session: Session, school_id: str, name: str,
                        created_by: str | None) -> tuple[EnrolmentKey, str]:
    """A new key for the agent installer; only its hash is kept, the key is returned once."""
    key = new_token(ENROLMENT_KEY_PREFIX)
    row = EnrolmentKey(school_id=school_id, name=name, key_hash=hash_token(key),
                       prefix=display_prefix(key), created_by=created_by)
    session.add(row)
    session.flush()
    return row, key
