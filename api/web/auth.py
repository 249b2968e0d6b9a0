"""Who is at the browser: the API's own session and role checks, adapted to pages and forms.

Pages use the same `current_staff` and `require` as the API. Two adaptations only: a missing
or expired session sends the person to the sign-in page instead of answering 401, and an HTML
form, which cannot set headers, carries the CSRF token in a hidden field that is handed to the
API's check as the `X-CSRF-Token` header it expects. Sign-in and sign-out are the API's own
handlers, called with a redirect as the response, so lockout, audit and cookies stay theirs.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Form, HTTPException, Request, Response, status
from fastapi.responses import RedirectResponse
from pydantic import ValidationError

from api.deps import CSRF_HEADER, SessionCookie, SessionDep, SettingsDep, current_staff, require
from api.domain import Role
from api.models import Staff
from api.permissions import Permission
from api.routes.auth import login as api_login
from api.routes.auth import logout as api_logout
from api.schemas.staff import LoginRequest
from api.web.calls import invoke
from api.web.pages import PageRoute, SignInRequired, render, safe_next

router = APIRouter(route_class=PageRoute, include_in_schema=False)

FORM_EXPIRED = ("This form has expired or did not come from this site. Reload the page and "
                "try again.")


def same_origin(request: Request) -> bool:
    """A form posted from another site must not sign the browser in (login CSRF).

    The sign-in form has no session to bind a CSRF token to, so it relies on the Origin
    header browsers send with every form post; a request without one (a script) passes.
    """
    origin = request.headers.get("origin")
    return origin is None or urlsplit(origin).netloc == request.headers.get("host")


def landing(role: Role | str) -> str:
    """Where a role starts its day: reviewers and DSLs at the queue, IT admins in settings."""
    return "/settings" if Role(role) == Role.ADMIN else "/queue"


def _signed_in(request: Request, session, settings, cookie: str | None) -> Staff:
    if not cookie:
        raise SignInRequired
    try:
        staff = current_staff(request, session, settings, None, cookie)
    except HTTPException as exc:
        if exc.status_code == status.HTTP_401_UNAUTHORIZED:
            raise SignInRequired from None
        if exc.status_code == status.HTTP_403_FORBIDDEN:  # only the CSRF check answers 403
            raise HTTPException(status.HTTP_403_FORBIDDEN, FORM_EXPIRED) from None
        raise
    request.state.staff = staff
    return staff


def page_staff(request: Request, session: SessionDep, settings: SettingsDep,
               cookie: SessionCookie) -> Staff:
    return _signed_in(request, session, settings, cookie)


def _with_csrf_header(request: Request, token: str | None) -> Request:
    """The request as the API's check expects it: the form's token in the CSRF header."""
    if request.headers.get(CSRF_HEADER) or not token:
        return request
    name = CSRF_HEADER.lower().encode()
    headers = [(k, v) for k, v in request.scope["headers"] if k != name]
    headers.append((name, token.encode("latin-1", "replace")))
    return Request({**request.scope, "headers": headers}, request.receive)


def form_staff(request: Request, session: SessionDep, settings: SettingsDep,
               cookie: SessionCookie,
               csrf_token: Annotated[str | None, Form(max_length=200)] = None) -> Staff:
    staff = _signed_in(_with_csrf_header(request, csrf_token), session, settings, cookie)
    request.state.staff = staff
    return staff


PageStaff = Annotated[Staff, Depends(page_staff)]
FormStaff = Annotated[Staff, Depends(form_staff)]


def page_for(permission: Permission) -> Callable[..., Staff]:
    def check(staff: PageStaff) -> Staff:
        return require(permission)(staff)
    check.__name__ = f"page_{permission}"
    return check


def form_for(permission: Permission) -> Callable[..., Staff]:
    def check(staff: FormStaff) -> Staff:
        return require(permission)(staff)
    check.__name__ = f"form_{permission}"
    return check


# One alias per need, so a page's signature says who may open it.
IncidentReaderPage = Annotated[Staff, Depends(page_for(Permission.READ_INCIDENTS))]
IncidentReviewerForm = Annotated[Staff, Depends(form_for(Permission.REVIEW_INCIDENTS))]
PupilReaderPage = Annotated[Staff, Depends(page_for(Permission.READ_PUPILS))]
AuditReaderPage = Annotated[Staff, Depends(page_for(Permission.READ_AUDIT))]


@router.get("/")
def home(staff: PageStaff) -> Response:
    return RedirectResponse(landing(staff.role), status_code=status.HTTP_303_SEE_OTHER)


@router.get("/login")
def login_page(request: Request, session: SessionDep, settings: SettingsDep,
               cookie: SessionCookie, next: str = "", signed_out: bool = False) -> Response:
    if cookie:
        try:
            staff = _signed_in(request, session, settings, cookie)
            return RedirectResponse(safe_next(next, landing(staff.role)), status_code=303)
        except SignInRequired:
            pass
    return render(request, "login.html", {"next": safe_next(next, ""), "email": "",
                                          "signed_out": signed_out, "login_error": None})


@router.post("/login")
def login_submit(request: Request, session: SessionDep, settings: SettingsDep,
                 email: Annotated[str, Form(max_length=1000)] = "",
                 password: Annotated[str, Form(max_length=1000)] = "",
                 next: Annotated[str, Form(max_length=2000)] = "") -> Response:
    if not same_origin(request):
        raise HTTPException(status.HTTP_403_FORBIDDEN,
                            "sign in from this site's own sign-in page")
    context = {"next": safe_next(next, ""), "email": email.strip(), "signed_out": False,
               "login_error": None}
    if not email.strip() or not password:
        return render(request, "login.html", {**context, "login_error": "Enter your email address "
                                                                  "and your password."},
                      status_code=status.HTTP_422_UNPROCESSABLE_CONTENT)
    try:
        body = LoginRequest(email=email, password=password)
    except ValidationError:
        body = None
    response = RedirectResponse("/", status_code=status.HTTP_303_SEE_OTHER)
    try:
        if body is None:
            raise HTTPException(status.HTTP_401_UNAUTHORIZED, "wrong email or password")
        signed_in = invoke(api_login, body=body, session=session, settings=settings,
                           request=request, response=response)
    except HTTPException as exc:
        if exc.status_code == status.HTTP_423_LOCKED:
            message = (f"This account is locked: {exc.detail}. If you cannot wait, ask your "
                       "IT admin to reset your password.")
        else:
            message = (f"Wrong email address or password. After "
                       f"{settings.login_max_failures} failed attempts the account is locked "
                       f"for {settings.login_lockout_minutes:g} minutes.")
        return render(request, "login.html", {**context, "login_error": message},
                      status_code=exc.status_code)
    response.headers["location"] = safe_next(next, landing(signed_in.staff.role))
    return response


@router.post("/logout")
def logout_submit(request: Request, staff: FormStaff, session: SessionDep,
                  cookie: SessionCookie) -> Response:
    response = RedirectResponse("/login?signed_out=true", status_code=303)
    invoke(api_logout, staff=staff, session=session, cookie=cookie, request=request,
           response=response)
    return response
