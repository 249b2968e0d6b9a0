"""Ingest: the agent's hit (and screenshot) in, an incident id out, exactly once per hit."""
from __future__ import annotations

import json
from typing import Annotated

from fastapi import (
    APIRouter,
    BackgroundTasks,
    File,
    Form,
    HTTPException,
    Response,
    UploadFile,
    status,
)
from starlette.concurrency import run_in_threadpool

from api.alerts import deliver_due_alerts
from api.blobs import BlobStoreError
from api.deps import CurrentDevice, ServicesDep
from api.errors import responses
from api.images import CheckedImage, ImageRejected, check_screenshot
from api.ingest import Stored, find_existing, store_hit
from api.schemas.hits import HitAccepted
from api.scoring import ScoringUnavailable
from api.services import Services
from classifier.judge import ContextInput
from classifier.records import HitRecord, HitValidationError

router = APIRouter(prefix="/api/v1", tags=["ingest"])

HIT_FIELD_DOC = "JSON text of classifier.records.HitRecord.to_dict()"


def _parse_hit(text: str) -> HitRecord:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise HTTPException(status.HTTP_400_BAD_REQUEST,
                            f"hit is not valid JSON: {exc.msg} (char {exc.pos})") from None
    try:
        return HitRecord.from_dict(data)
    except HitValidationError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, f"hit: {exc}") from None


async def _read_screenshot(upload: UploadFile, max_bytes: int, max_pixels: int) -> CheckedImage:
    data = await upload.read(max_bytes + 1)
    try:
        return await run_in_threadpool(check_screenshot, data, max_bytes=max_bytes,
                                       max_pixels=max_pixels)
    except ImageRejected as exc:
        raise HTTPException(exc.status, str(exc)) from None


def _existing(services: Services, device_id: str, key: str) -> Stored | None:
    with services.session_factory() as session:
        found = find_existing(session, device_id, key)
        return Stored(found.id, found.status, duplicate=True) if found else None


@router.post("/hits", status_code=status.HTTP_201_CREATED, response_model=HitAccepted,
             responses={200: {"model": HitAccepted, "description": "A retry of a hit already "
                              "stored: the same incident id, duplicate=true"},
                        **responses(400, 401, 413, 415, 422, 503, 507)})
async def ingest_hit(device: CurrentDevice, services: ServicesDep, response: Response,
                     background: BackgroundTasks,
                     hit: Annotated[str, Form(description=HIT_FIELD_DOC)],
                     screenshot: Annotated[UploadFile | None, File(
                         description="PNG, WebP or JPEG, at most 5 MB")] = None) -> HitAccepted:
    """Score and store one hit. Idempotent on the hit's key; the device comes from the token.

    Every check runs before anything is written, so a refused request stores nothing.
    """
    record = _parse_hit(hit)
    settings = services.settings
    existing = await run_in_threadpool(_existing, services, device.id, record.key)
    if existing is None:
        image = None
        if screenshot is not None:
            image = await _read_screenshot(screenshot, settings.max_screenshot_bytes,
                                           settings.max_image_pixels)
        try:
            verdict = await services.judge.score(ContextInput(
                record.context, record.start, record.end, record.category))
        except ScoringUnavailable as exc:
            raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, str(exc)) from None
        try:
            stored = await run_in_threadpool(store_hit, services.session_factory,
                                             services.blobs, device.id, record, verdict, image)
        except BlobStoreError as exc:
            raise HTTPException(status.HTTP_507_INSUFFICIENT_STORAGE, str(exc)) from None
    else:
        stored = existing
    if stored.duplicate:
        response.status_code = status.HTTP_200_OK
    elif stored.alert_due:
        background.add_task(deliver_due_alerts, services.session_factory, services.mailer,
                            settings.public_url, [stored.incident_id])
    return HitAccepted(incident_id=stored.incident_id, status=stored.status,
                       duplicate=stored.duplicate)
