"""One error shape for every failure, `{"detail": "<reason>"}`, and the OpenAPI that says so."""
from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.schemas.common import ErrorResponse, ValidationErrorResponse

log = logging.getLogger(__name__)

_DESCRIPTIONS = {
    400: "Malformed request",
    401: "Not signed in, or the token is unknown, expired or revoked",
    403: "Signed in, but this role may not do this (or the CSRF header is missing)",
    404: "No such thing in your school",
    409: "Conflicts with the current state",
    413: "Upload too large",
    415: "Unsupported or undecodable media",
    422: "A field is missing or invalid",
    423: "Account locked after repeated failed sign-ins",
    503: "A dependency (database, classifier) is unavailable; retry later",
    507: "The server cannot store the upload (disk full); retry later",
}


def responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the error statuses a route can answer."""
    return {code: {"model": ValidationErrorResponse if code == 422 else ErrorResponse,
                   "description": _DESCRIPTIONS[code]} for code in codes}


#: What every signed-in staff route can answer besides its own errors.
STAFF_ERRORS = responses(401, 403, 422)


def _field(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header", "cookie")]
    return ".".join(parts) or "request"


async def _validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
    # Field, message and type only: the rejected input may be a password.
    errors = [{"field": _field(tuple(e.get("loc", ()))), "message": e.get("msg", ""),
               "type": e.get("type", "")} for e in exc.errors()]
    detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors) or "invalid request"
    return JSONResponse({"detail": detail, "errors": errors}, status_code=422)


async def _http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
    return JSONResponse({"detail": str(exc.detail)}, status_code=exc.status_code,
                        headers=getattr(exc, "headers", None))


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return JSONResponse({"detail": "internal server error"}, status_code=500)


def install(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
