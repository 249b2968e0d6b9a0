"""What an agent fetches to match with its school's phrases."""
from __future__ import annotations

from fastapi import APIRouter

from api.deps import CurrentDevice, ServicesDep, SessionDep
from api.errors import responses
from api.models import School
from api.routes.school import overlay_response
from api.schemas.school import OverlayResponse

router = APIRouter(prefix="/api/v1/phrases", tags=["devices"])


@router.get("/overlay", response_model=OverlayResponse, responses=responses(401))
def device_overlay(device: CurrentDevice, session: SessionDep,
                   services: ServicesDep) -> OverlayResponse:
    """The device's school overlay, in PhraseLibrary's overlay format."""
    return overlay_response(session.get(School, device.school_id), services.library_version)
