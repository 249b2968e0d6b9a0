"""Route dependencies, as type aliases so a signature reads as what the route needs.

`CurrentStaff` accepts a bearer token (scripts) or the session cookie (browsers); a cookie on a
state-changing request must come with the matching CSRF header. `CurrentDevice` accepts only a
device token. Neither kind of credential opens the other kind of route.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.db import utcnow
from api.models import ApiToken, Device, Staff, StaffSession
from api.permissions import Permission, allows
from api.security import DEVICE_TOKEN_PREFIX, STAFF_TOKEN_PREFIX, csrf_token_valid, hash_token
from api.services import Services
from api.settings import Settings

SESSION_COOKIE = "sg_session"
CSRF_COOKIE = "sg_csrf"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

_bearer = HTTPBearer(auto_error=False, description="A staff API token (sgs_...) or, on device "
                                                   "routes, a device token (sgd_...).")
_cookie = APIKeyCookie(name=SESSION_COOKIE, auto_error=False,
                       description="Browser session; state-changing requests also need the "
                                   f"{CSRF_HEADER} header.")


def get_services(request: Request) -> Services:
    return request.app.state.services


ServicesDep = Annotated[Services, Depends(get_services)]


def get_settings(services: ServicesDep) -> Settings:
    return services.settings


SettingsDep = Annotated[Settings, Depends(get_settings)]


def get_session(services: ServicesDep) -> Iterator[Session]:
    with services.session_factory() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
SessionCookie = Annotated[str | None, Depends(_cookie)]


def unauthorized(detail: str) -> HTTPException:
    return HTTPException(status.HTTP_401_UNAUTHORIZED, detail,
                         headers={"WWW-Authenticate": "Bearer"})


def _staff_from_token(session: Session, token: str, now: datetime) -> Staff:
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(token)))
    if row is None or row.revoked_at is not None or (row.expires_at and row.expires_at <= now):
        raise unauthorized("API token is unknown, expired or revoked")
    staff = session.get(Staff, row.staff_id)
    if staff is None or not staff.active:
        raise unauthorized("this account is disabled")
    row.last_used_at = now
    session.commit()
    return staff


def current_staff(request: Request, session: SessionDep, settings: SettingsDep,
                  credentials: Credentials, cookie: SessionCookie) -> Staff:
    now = utcnow()
    if credentials is not None:
        token = credentials.credentials
        if not token.startswith(STAFF_TOKEN_PREFIX):
            raise unauthorized("a staff API token is required here")
        staff = _staff_from_token(session, token, now)
    elif cookie:
        row = session.scalar(select(StaffSession).where(
            StaffSession.token_hash == hash_token(cookie)))
        if row is None or row.expires_at <= now:
            raise unauthorized("session expired; sign in again")
        staff = session.get(Staff, row.staff_id)
        if staff is None or not staff.active:
            raise unauthorized("this account is disabled")
        if request.method not in SAFE_METHODS and not csrf_token_valid(
                settings.secret_key.get_secret_value(), cookie, request.headers.get(CSRF_HEADER)):
            raise HTTPException(status.HTTP_403_FORBIDDEN,
                                f"missing or wrong {CSRF_HEADER} header for a signed-in request")
    else:
        raise unauthorized("sign in, or send 'Authorization: Bearer <token>'")
    request.state.staff = staff
    session.commit()  # end the read: no connection is held while the route does other work
    return staff


CurrentStaff = Annotated[Staff, Depends(current_staff)]


def require(permission: Permission) -> Callable[[Staff], Staff]:
    def check(staff: CurrentStaff) -> Staff:
        if not allows(staff.role, permission):
            raise HTTPException(status.HTTP_403_FORBIDDEN,
                                f"your role ({staff.role}) may not {permission.replace('_', ' ')}")
        return staff
    check.__name__ = f"require_{permission}"
    return check


def current_device(session: SessionDep, credentials: Credentials) -> Device:
    if credentials is None or not credentials.credentials.startswith(DEVICE_TOKEN_PREFIX):
        raise unauthorized("a device token is required (enrol the agent first)")
    device = session.scalar(select(Device).where(
        Device.token_hash == hash_token(credentials.credentials)))
    if device is None or device.revoked_at is not None:
        raise unauthorized("device token is unknown or revoked; enrol again")
    session.commit()  # end the read: ingest waits on the model without holding a connection
    return device


CurrentDevice = Annotated[Device, Depends(current_device)]

IncidentReader = Annotated[Staff, Depends(require(Permission.READ_INCIDENTS))]
IncidentReviewer = Annotated[Staff, Depends(require(Permission.REVIEW_INCIDENTS))]
PupilReader = Annotated[Staff, Depends(require(Permission.READ_PUPILS))]
Exporter = Annotated[Staff, Depends(require(Permission.EXPORT))]
AuditReader = Annotated[Staff, Depends(require(Permission.READ_AUDIT))]
SchoolManager = Annotated[Staff, Depends(require(Permission.MANAGE_SCHOOL))]
AlertManager = Annotated[Staff, Depends(require(Permission.MANAGE_ALERTS))]
RetentionRunner = Annotated[Staff, Depends(require(Permission.RUN_RETENTION))]
DeviceReader = Annotated[Staff, Depends(require(Permission.READ_DEVICES))]
DeviceManager = Annotated[Staff, Depends(require(Permission.MANAGE_DEVICES))]
StaffManager = Annotated[Staff, Depends(require(Permission.MANAGE_STAFF))]
OverlayManager = Annotated[Staff, Depends(require(Permission.MANAGE_OVERLAY))]
