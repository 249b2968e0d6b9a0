"""A school's own settings (DSL) and phrase overlay (admin)."""
from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request, status

from api import audit
from api.db import utcnow
from api.deps import CurrentStaff, OverlayManager, SchoolManager, ServicesDep, SessionDep
from api.errors import STAFF_ERRORS
from api.library import OverlayError, clean_overlay, overlay_version
from api.models import School
from api.schemas.school import Overlay, OverlayResponse, SchoolPublic, SchoolUpdate

router = APIRouter(prefix="/api/v1/school", tags=["school"])


def _public(school: School, library_version: str) -> SchoolPublic:
    return SchoolPublic(id=school.id, name=school.name, retention_months=school.retention_months,
                        device_silent_after_minutes=school.device_silent_after_minutes,
                        library_version=library_version,
                        overlay_version=overlay_version(school.overlay))


@router.get("", response_model=SchoolPublic, responses=STAFF_ERRORS)
def get_school(staff: CurrentStaff, session: SessionDep, services: ServicesDep) -> SchoolPublic:
    return _public(session.get(School, staff.school_id), services.library_version)


@router.patch("", response_model=SchoolPublic, responses=STAFF_ERRORS)
def update_school(body: SchoolUpdate, dsl: SchoolManager, session: SessionDep,
                  services: ServicesDep, request: Request) -> SchoolPublic:
    """Retention period and when a quiet device counts as silent."""
    school = session.get(School, dsl.school_id)
    changes = body.model_dump(exclude_none=True)
    before = {k: getattr(school, k) for k in changes}
    for name, value in changes.items():
        setattr(school, name, value)
    audit.record(session, "school.settings_changed", actor=dsl, target_type="school",
                 target_id=school.id, request=request, before=before, after=changes)
    session.commit()
    return _public(school, services.library_version)


def overlay_response(school: School, library_version: str) -> OverlayResponse:
    return OverlayResponse(library_version=library_version,
                           overlay_version=overlay_version(school.overlay),
                           overlay=Overlay.model_validate(school.overlay or {}))


@router.get("/overlay", response_model=OverlayResponse, responses=STAFF_ERRORS)
def get_overlay(admin: OverlayManager, session: SessionDep,
                services: ServicesDep) -> OverlayResponse:
    return overlay_response(session.get(School, admin.school_id), services.library_version)


@router.put("/overlay", response_model=OverlayResponse, responses=STAFF_ERRORS)
def put_overlay(body: Overlay, admin: OverlayManager, session: SessionDep,
                services: ServicesDep, request: Request) -> OverlayResponse:
    """Replace the school's overlay; agents pick it up at their next heartbeat."""
    try:
        canonical = clean_overlay(body.model_dump(mode="json"))
    except OverlayError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from None
    school = session.get(School, admin.school_id)
    before = overlay_version(school.overlay)
    school.overlay = canonical
    school.overlay_updated_at = utcnow()
    audit.record(session, "overlay.changed", actor=admin, target_type="school",
                 target_id=school.id, request=request, before=before,
                 after=overlay_version(canonical), added=len(canonical["add"]),
                 excluded=len(canonical["exclude"]))
    session.commit()
    return overlay_response(school, services.library_version)
