"""How a page answers: rendered HTML, or a readable page when something is refused.

The API answers errors as JSON, which is right for scripts and wrong for a person in a
browser. `PageRoute` turns the same refusals (not signed in, wrong role, not found, a bad
filter) into a sign-in redirect or an HTML page, without changing how the API decides them.
A request from the page's own script (`Accept: application/json`) still gets JSON.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import Any
from urllib.parse import quote

from fastapi import HTTPException, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.routing import APIRoute
from pydantic import ValidationError

from api.deps import CSRF_HEADER, SESSION_COOKIE
from api.permissions import Permission, allows
from api.security import csrf_token_for
from api.web.templating import templates

log = logging.getLogger(__name__)

#: Headers on every page: pages hold evidence about children, so nothing is cached, framed,
#: or allowed to run or load from anywhere but this server.
PAGE_HEADERS = {
    "Cache-Control": "no-store, private",
    "Content-Security-Policy": ("default-src 'self'; img-src 'self' data:; style-src 'self'; "
                                "script-src 'self'; object-src 'none'; base-uri 'none'; "
                                "form-action 'self'; frame-ancestors 'none'"),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",  # nothing leaves; own forms keep their Origin
}

TITLES = {400: "That request was not understood", 401: "Please sign in",
          403: "Not available to your role", 404: "Not found",
          409: "That cannot be done now", 413: "Too large",
          422: "Please check what you entered", 423: "Account locked",
          500: "Something went wrong"}

#: The pages in the top navigation, and what a role needs to see each.
NAV: tuple[tuple[str, str, tuple[Permission, ...]], ...] = (
    ("Queue", "/queue", (Permission.READ_INCIDENTS,)),
    ("Pupils", "/pupils", (Permission.READ_PUPILS,)),
    ("Dashboard", "/dashboard", (Permission.READ_AUDIT,)),
    ("Audit log", "/audit", (Permission.READ_AUDIT,)),
    ("Settings", "/settings", (Permission.MANAGE_ALERTS, Permission.MANAGE_SCHOOL,
                               Permission.MANAGE_OVERLAY, Permission.MANAGE_STAFF,
                               Permission.READ_DEVICES)),
)


class SignInRequired(Exception):
    """No valid session: the person is sent to the sign-in page and brought back after."""


def wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "")


def safe_next(target: str | None, default: str = "/") -> str:
    """Only a path on this server: a crafted link must not send someone to another site."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target


def csrf_token(request: Request) -> str:
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return ""
    secret = request.app.state.services.settings.secret_key.get_secret_value()
    return csrf_token_for(secret, cookie)


def nav_for(staff: Any) -> list[tuple[str, str]]:
    if staff is None:
        return []
    return [(label, href) for label, href, needs in NAV
            if any(allows(staff.role, p) for p in needs)]


def render(request: Request, template: str, context: dict[str, Any] | None = None, *,
           status_code: int = 200, active: str = "") -> Response:
    staff = getattr(request.state, "staff", None)
    page = {"staff": staff, "nav": nav_for(staff), "active": active,
            "csrf_token": csrf_token(request), "csrf_header": CSRF_HEADER,
            "notice": None, "error": None, "canonical_url": None, **(context or {})}
    return templates.TemplateResponse(request, template, page, status_code=status_code,
                                      headers=PAGE_HEADERS)


def error_page(request: Request, status_code: int, detail: str) -> Response:
    if wants_json(request):
        return JSONResponse({"detail": detail}, status_code=status_code)
    title = TITLES.get(status_code, "Something went wrong")
    return render(request, "error.html", {"title": title, "detail": detail,
                                          "status_code": status_code},
                  status_code=status_code)


def sign_in_redirect(request: Request) -> Response:
    if wants_json(request):
        return JSONResponse({"detail": "session expired; sign in again"}, status_code=401)
    # A form posted with an expired session cannot be replayed after signing in; its page can.
    back = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if request.method != "GET":
        back = "/"
    return RedirectResponse(f"/login?next={quote(back, safe='')}", status_code=303,
                            headers=PAGE_HEADERS)


def validation_message(exc: ValidationError) -> str:
    """A pydantic refusal as one sentence a person can act on."""
    return "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'form'}: {e['msg']}"
                     for e in exc.errors()) or "the form was not valid"


def _describe(exc: RequestValidationError) -> str:
    parts = []
    for error in exc.errors():
        loc = [str(p) for p in error.get("loc", ()) if p not in ("query", "body", "path")]
        parts.append(f"{'.'.join(loc) or 'request'}: {error.get('msg', 'invalid')}")
    return "; ".join(parts) or "the request was not valid"


class PageRoute(APIRoute):
    """A route that answers refusals as pages (or JSON for the page's own script)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def page_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except SignInRequired:
                return sign_in_redirect(request)
            except RequestValidationError as exc:
                return error_page(request, 422, _describe(exc))
            except HTTPException as exc:
                if exc.status_code == 401:
                    return sign_in_redirect(request)
                return error_page(request, exc.status_code, str(exc.detail))
            except Exception:  # a person gets a page; the log gets the traceback
                log.exception("page %s %s failed", request.method, request.url.path)
                return error_page(request, 500, "Something went wrong on the server. It has "
                                                "been logged; please try again.")

        return page_handler
