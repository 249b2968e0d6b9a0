"""Agents: enrolment, heartbeats, and the devices list IT and the DSL look at."""
from __future__ import annotations

from datetime import datetime, timedelta

from fastapi import APIRouter, HTTPException, Request, status
from sqlalchemy import select

from api import audit
from api.db import utcnow
from api.deps import CurrentDevice, DeviceManager, DeviceReader, ServicesDep, SessionDep
from api.errors import STAFF_ERRORS, responses
from api.library import overlay_version
from api.models import Device, EnrolmentKey, School
from api.schemas.devices import (
    DevicePublic,
    EnrolRequest,
    EnrolResponse,
    HeartbeatRequest,
    HeartbeatResponse,
)
from api.security import DEVICE_TOKEN_PREFIX, hash_token, new_token

router = APIRouter(prefix="/api/v1/devices", tags=["devices"])


@router.post("/enrol", status_code=status.HTTP_201_CREATED, response_model=EnrolResponse,
             responses=responses(401, 422))
def enrol(body: EnrolRequest, session: SessionDep, request: Request) -> EnrolResponse:
    """Trade a school's enrolment key for a device identity and token (shown once)."""
    key = session.scalar(select(EnrolmentKey).where(
        EnrolmentKey.key_hash == hash_token(body.enrolment_key)))
    if key is None or key.revoked_at is not None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "enrolment key is wrong or revoked")
    token = new_token(DEVICE_TOKEN_PREFIX)
    device = Device(school_id=key.school_id, hostname=body.hostname,
                    agent_version=body.agent_version, token_hash=hash_token(token),
                    enrolment_key_id=key.id, last_seen_at=utcnow())
    key.uses += 1
    session.add(device)
    session.flush()
    audit.record(session, "device.enrolled", actor=device, target_type="device",
                 target_id=device.id, request=request, hostname=body.hostname,
                 enrolment_key=key.id)
    session.commit()
    return EnrolResponse(device_id=device.id, device_token=token, school_id=key.school_id)


@router.post("/heartbeat", response_model=HeartbeatResponse, responses=responses(401, 422))
def heartbeat(body: HeartbeatRequest, device: CurrentDevice, session: SessionDep,
              services: ServicesDep) -> HeartbeatResponse:
    """An agent's sign of life; the answer tells it whether its phrase overlay is current."""
    now = utcnow()
    device.last_seen_at = now
    device.agent_version = body.agent_version
    device.spool_depth = body.spool_depth
    device.dropped_screenshots = body.dropped_screenshots
    device.last_capture_at = body.last_capture_at
    device.last_error = body.last_error[:512] if body.last_error else None
    school = session.get(School, device.school_id)
    session.commit()
    return HeartbeatResponse(server_time=now, library_version=services.library_version,
                             overlay_version=overlay_version(school.overlay if school else None))


def _public(device: Device, silent_after: timedelta, now: datetime) -> DevicePublic:
    silent = device.revoked_at is None and (
        device.last_seen_at is None or now - device.last_seen_at > silent_after)
    return DevicePublic.model_validate({**{c: getattr(device, c) for c in (
        "id", "hostname", "agent_version", "enrolled_at", "revoked_at", "last_seen_at",
        "spool_depth", "dropped_screenshots", "last_capture_at", "last_error")},
        "silent": silent})


@router.get("", response_model=list[DevicePublic], responses=STAFF_ERRORS)
def list_devices(staff: DeviceReader, session: SessionDep,
                 silent: bool | None = None) -> list[DevicePublic]:
    """The school's devices; `silent=true` lists those not heard from within the silent period."""
    school = session.get(School, staff.school_id)
    after = timedelta(minutes=school.device_silent_after_minutes)
    now = utcnow()
    rows = session.scalars(select(Device).where(Device.school_id == staff.school_id)
                           .order_by(Device.hostname, Device.id)).all()
    devices = [_public(d, after, now) for d in rows]
    return [d for d in devices if silent is None or d.silent == silent]


def _own_device(session: SessionDep, school_id: str, device_id: str) -> Device:
    device = session.get(Device, device_id)
    if device is None or device.school_id != school_id:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such device")
    return device


@router.get("/{device_id}", response_model=DevicePublic,
            responses={**STAFF_ERRORS, **responses(404)})
def get_device(device_id: str, staff: DeviceReader, session: SessionDep) -> DevicePublic:
    device = _own_device(session, staff.school_id, device_id)
    school = session.get(School, staff.school_id)
    return _public(device, timedelta(minutes=school.device_silent_after_minutes), utcnow())


@router.post("/{device_id}/revoke", response_model=DevicePublic,
             responses={**STAFF_ERRORS, **responses(404)})
def revoke_device(device_id: str, staff: DeviceManager, session: SessionDep,
                  request: Request) -> DevicePublic:
    """Stop a device's token working at once (a stolen laptop, a decommissioned machine)."""
    device = _own_device(session, staff.school_id, device_id)
    if device.revoked_at is None:
        device.revoked_at = utcnow()
        audit.record(session, "device.revoked", actor=staff, target_type="device",
                     target_id=device.id, request=request)
        session.commit()
    school = session.get(School, staff.school_id)
    return _public(device, timedelta(minutes=school.device_silent_after_minutes), utcnow())
