"""Signing in and out, one's own password, and API tokens for scripts."""
from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, HTTPException, Request, Response, status
from sqlalchemy import select

from api import audit
from api.accounts import (
    AccountLocked,
    LoginFailed,
    authenticate,
    end_all_sessions,
    end_session,
    start_session,
)
from api.db import utcnow
from api.deps import (
    CSRF_COOKIE,
    SESSION_COOKIE,
    CurrentStaff,
    SessionCookie,
    SessionDep,
    SettingsDep,
)
from api.errors import STAFF_ERRORS, responses
from api.models import ApiToken
from api.schemas.staff import (
    LoginRequest,
    LoginResponse,
    PasswordChange,
    StaffPublic,
    TokenCreate,
    TokenCreated,
    TokenPublic,
)
from api.security import (
    STAFF_TOKEN_PREFIX,
    WeakPasswordError,
    check_password_strength,
    csrf_token_for,
    display_prefix,
    hash_password,
    hash_token,
    new_token,
    verify_password,
)

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


def _loggable(email: str) -> str:
    """People type passwords into the email box; only something shaped like an email is kept."""
    return email if "@" in email and " " not in email else "<not an email address>"


def staff_public(staff) -> StaffPublic:
    return StaffPublic(id=staff.id, school_id=staff.school_id, school_name=staff.school.name,
                       email=staff.email, name=staff.name, role=staff.role, active=staff.active,
                       created_at=staff.created_at, last_login_at=staff.last_login_at)


@router.post("/login", response_model=LoginResponse, responses=responses(401, 422, 423))
def login(body: LoginRequest, session: SessionDep, settings: SettingsDep, request: Request,
          response: Response) -> LoginResponse:
    """Sign in: sets an HttpOnly session cookie and returns the CSRF token for forms."""
    ip = audit.client_ip(request)
    try:
        staff = authenticate(session, body.email, body.password.get_secret_value(),
                             max_failures=settings.login_max_failures,
                             lockout=timedelta(minutes=settings.login_lockout_minutes))
    except AccountLocked as exc:
        audit.record(session, "auth.locked", school_id=exc.school_id, request=request,
                     email=body.email)
        session.commit()
        raise HTTPException(status.HTTP_423_LOCKED, str(exc)) from None
    except LoginFailed as exc:
        audit.record(session, "auth.login_failed", school_id=exc.school_id, request=request,
                     email=_loggable(body.email))
        session.commit()
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "wrong email or password") from None
    signed_in = start_session(session, staff, settings.session_hours, ip)
    audit.record(session, "auth.login", actor=staff, request=request)
    session.commit()
    csrf = csrf_token_for(settings.secret_key.get_secret_value(), signed_in.session_token)
    max_age = int(settings.session_hours * 3600)
    response.set_cookie(SESSION_COOKIE, signed_in.session_token, max_age=max_age, httponly=True,
                        secure=settings.secure_cookies, samesite="lax", path="/")
    response.set_cookie(CSRF_COOKIE, csrf, max_age=max_age, httponly=False,
                        secure=settings.secure_cookies, samesite="lax", path="/")
    return LoginResponse(staff=staff_public(staff), csrf_token=csrf,
                         expires_at=signed_in.expires_at)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT, responses=STAFF_ERRORS)
def logout(staff: CurrentStaff, session: SessionDep, cookie: SessionCookie, request: Request,
           response: Response) -> None:
    if cookie:
        end_session(session, cookie)
    audit.record(session, "auth.logout", actor=staff, request=request)
    session.commit()
    response.delete_cookie(SESSION_COOKIE, path="/")
    response.delete_cookie(CSRF_COOKIE, path="/")


@router.get("/me", response_model=StaffPublic, responses=STAFF_ERRORS)
def me(staff: CurrentStaff) -> StaffPublic:
    return staff_public(staff)


@router.post("/password", status_code=status.HTTP_204_NO_CONTENT, responses=STAFF_ERRORS)
def change_password(body: PasswordChange, staff: CurrentStaff, session: SessionDep,
                    request: Request) -> None:
    """Change one's own password; every other session of the account is signed out."""
    if not verify_password(staff.password_hash, body.current_password.get_secret_value()):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "current password is wrong")
    try:
        new = check_password_strength(body.new_password.get_secret_value())
    except WeakPasswordError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from None
    staff.password_hash = hash_password(new)
    end_all_sessions(session, staff.id)
    audit.record(session, "auth.password_changed", actor=staff, target_type="staff",
                 target_id=staff.id, request=request)
    session.commit()


@router.post("/tokens", status_code=status.HTTP_201_CREATED, response_model=TokenCreated,
             responses=STAFF_ERRORS)
def create_token(body: TokenCreate, staff: CurrentStaff, session: SessionDep,
                 request: Request) -> TokenCreated:
    """A bearer token for scripts; it acts with the creator's role and school."""
    token = new_token(STAFF_TOKEN_PREFIX)
    expires = utcnow() + timedelta(days=body.expires_days) if body.expires_days else None
    row = ApiToken(staff_id=staff.id, name=body.name, token_hash=hash_token(token),
                   prefix=display_prefix(token), expires_at=expires)
    session.add(row)
    session.flush()
    audit.record(session, "token.created", actor=staff, target_type="token", target_id=row.id,
                 request=request, name=body.name)
    session.commit()
    return TokenCreated(**TokenPublic.model_validate(row).model_dump(), token=token)


@router.get("/tokens", response_model=list[TokenPublic], responses=STAFF_ERRORS)
def list_tokens(staff: CurrentStaff, session: SessionDep) -> list[TokenPublic]:
    rows = session.scalars(select(ApiToken).where(ApiToken.staff_id == staff.id)
                           .order_by(ApiToken.created_at)).all()
    return [TokenPublic.model_validate(r) for r in rows]


@router.delete("/tokens/{token_id}", status_code=status.HTTP_204_NO_CONTENT,
               responses={**STAFF_ERRORS, **responses(404)})
def revoke_token(token_id: str, staff: CurrentStaff, session: SessionDep,
                 request: Request) -> None:
    row = session.get(ApiToken, token_id)
    if row is None or row.staff_id != staff.id:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such token")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        audit.record(session, "token.revoked", actor=staff, target_type="token",
                     target_id=row.id, request=request)
        session.commit()
