from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from api.deps import ServicesDep
from api.errors import responses
from api.schemas.system import Health

router = APIRouter(tags=["health"])


def _package_version() -> str:
    try:
        return version("safeguard-monitor")
    except PackageNotFoundError:
        return "unknown"


@router.get("/healthz", response_model=Health, responses=responses(503))
def healthz(services: ServicesDep) -> Health | JSONResponse:
    """Liveness and readiness: the database answers and the classifier is loaded."""
    try:
        with services.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError:
        return JSONResponse({"detail": "database unavailable"}, status_code=503)
    return Health(status="ok", database="ok", model_version=services.judge.version,
                  library_version=services.library_version, version=_package_version())
