"""Settings, one section per job: the DSL's alert rules and retention, IT's phrase overlay,
accounts, devices and enrolment keys.

Every read and change is the API's own route function (validation, permission, audit); a
section is shown only to a role the API lets do it. A form that fails comes back with the
API's reason; a secret the API shows once (a new key, a generated password) is shown once.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Request, Response, status
from fastapi.responses import RedirectResponse
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from api import audit
from api.deps import ServicesDep, SessionDep, require
from api.models import Staff
from api.permissions import Permission, allows
from api.routes import alert_rules, devices, enrolment_keys, school
from api.routes import staff as staff_routes
from api.routes.retention import purge_now
from api.schemas.alerts import AlertRuleCreate
from api.schemas.devices import EnrolmentKeyCreate
from api.schemas.school import Overlay, OverlayAdd, OverlayExclude, SchoolUpdate
from api.schemas.staff import StaffCreate, StaffUpdate
from api.services import Services
from api.web.auth import FormStaff, PageStaff
from api.web.calls import invoke
from api.web.pages import PageRoute, render, validation_message

router = APIRouter(prefix="/settings", route_class=PageRoute, include_in_schema=False)


@dataclass(frozen=True, slots=True)
class Section:
    slug: str
    title: str
    permission: Permission


SECTIONS = (
    Section("alerts", "Alert rules", Permission.MANAGE_ALERTS),
    Section("school", "Retention and silent devices", Permission.MANAGE_SCHOOL),
    Section("devices", "Devices and enrolment keys", Permission.READ_DEVICES),
    Section("accounts", "Accounts", Permission.MANAGE_STAFF),
    Section("overlay", "Phrase overlay", Permission.MANAGE_OVERLAY),
)
BY_SLUG = {s.slug: s for s in SECTIONS}

NOTICES = {
    "rule_created": "Alert rule added.", "rule_changed": "Alert rule changed.",
    "rule_deleted": "Alert rule deleted.", "school_saved": "Settings saved.",
    "overlay_saved": "Phrase overlay saved; devices pick it up at their next heartbeat.",
    "staff_changed": "Account changed.", "device_revoked": "Device revoked.",
    "key_revoked": "Enrolment key revoked.",
}


def _allowed(staff: Staff) -> list[Section]:
    return [s for s in SECTIONS if allows(staff.role, s.permission)]


def _section_for(staff: Staff, slug: str) -> Section:
    section = BY_SLUG.get(slug)
    if section is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such settings page")
    require(section.permission)(staff)
    return section


def _data(section: Section, staff: Staff, session: Session, services: Services
          ) -> dict[str, Any]:
    if section.slug == "alerts":
        return {"rules": invoke(alert_rules.list_rules, staff=staff, session=session)}
    if section.slug == "school":
        return {"school": invoke(school.get_school, staff=staff, session=session,
                                 services=services),
                "can_purge": allows(staff.role, Permission.RUN_RETENTION)}
    if section.slug == "overlay":
        return {"overlay": invoke(school.get_overlay, staff=staff, session=session,
                                  services=services)}
    if section.slug == "accounts":
        return {"accounts": invoke(staff_routes.list_staff, staff=staff, session=session)}
    can_manage = allows(staff.role, Permission.MANAGE_DEVICES)
    return {"devices": invoke(devices.list_devices, staff=staff, session=session),
            "keys": (invoke(enrolment_keys.list_keys, staff=staff, session=session)
                     if can_manage else []),
            "can_manage_devices": can_manage}


def section_page(request: Request, staff: Staff, session: Session, services: Services,
                 section: Section, *, status_code: int = 200, **extra: Any) -> Response:
    session.rollback()  # a refused change leaves nothing half-made behind the page
    data = _data(section, staff, session, services)
    audit.record(session, "settings.read", actor=staff, request=request, section=section.slug)
    session.commit()
    return render(request, "settings.html", {
        "sections": _allowed(staff), "section": section, "secret": None, "purged": None, **data, **extra,
        # A form's answer is shown at the form's URL; reloading it must not post again.
        "canonical_url": f"/settings/{section.slug}",
    }, status_code=status_code, active="/settings")


def _refused(request: Request, staff: Staff, session: Session, services: Services,
             section: Section, exc: Exception) -> Response:
    if isinstance(exc, ValidationError):
        return section_page(request, staff, session, services, section,
                            error=validation_message(exc), status_code=422)
    assert isinstance(exc, HTTPException)
    return section_page(request, staff, session, services, section, error=str(exc.detail),
                        status_code=exc.status_code)


def _done(section: str, notice: str) -> Response:
    return RedirectResponse(f"/settings/{section}?done={notice}",
                            status_code=status.HTTP_303_SEE_OTHER)


@router.get("")
def settings_home(staff: PageStaff) -> Response:
    allowed = _allowed(staff)
    if not allowed:
        raise HTTPException(status.HTTP_403_FORBIDDEN,
                            f"your role ({staff.role}) has no settings to change")
    return RedirectResponse(f"/settings/{allowed[0].slug}", status_code=303)


@router.get("/{slug}")
def settings_section(slug: str, request: Request, staff: PageStaff, session: SessionDep,
                     services: ServicesDep, done: str = "") -> Response:
    section = _section_for(staff, slug)
    return section_page(request, staff, session, services, section, notice=NOTICES.get(done))


# --- alert rules (DSL) ---------------------------------------------------------------------

def _split_addresses(text: str) -> list[str]:
    return [a for a in re.split(r"[\s,;]+", text.strip()) if a]


@router.post("/alerts")
def alert_rule_create(request: Request, staff: FormStaff, session: SessionDep,
                      services: ServicesDep, name: Annotated[str, Form(max_length=200)] = "",
                      trigger: Annotated[str, Form(max_length=20)] = "new_incident",
                      min_severity: Annotated[str, Form(max_length=2)] = "",
                      categories: Annotated[list[str], Form()] = [],  # noqa: B006
                      after_minutes: Annotated[str, Form(max_length=6)] = "",
                      recipients: Annotated[str, Form(max_length=5000)] = "") -> Response:
    section = _section_for(staff, "alerts")
    try:
        body = AlertRuleCreate(name=name, trigger=trigger, min_severity=min_severity or None,
                               categories=categories or None,
                               after_minutes=after_minutes or None,
                               recipients=_split_addresses(recipients))
        invoke(alert_rules.create_rule, staff=staff, body=body, session=session,
               request=request)
    except (ValidationError, HTTPException) as exc:
        return _refused(request, staff, session, services, section, exc)
    return _done("alerts", "rule_created")


@router.post("/alerts/{rule_id}/toggle")
def alert_rule_toggle(rule_id: str, request: Request, staff: FormStaff, session: SessionDep,
                      services: ServicesDep) -> Response:
    section = _section_for(staff, "alerts")
    try:
        rules = invoke(alert_rules.list_rules, staff=staff, session=session)
        current = next((r for r in rules if r.id == rule_id), None)
        if current is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, "no such alert rule")
        fields = current.model_dump(include=set(AlertRuleCreate.model_fields))
        body = AlertRuleCreate(**{**fields, "enabled": not current.enabled})
        invoke(alert_rules.replace_rule, staff=staff, rule_id=rule_id, body=body,
               session=session, request=request)
    except (ValidationError, HTTPException) as exc:
        return _refused(request, staff, session, services, section, exc)
    return _done("alerts", "rule_changed")


@router.post("/alerts/{rule_id}/delete")
def alert_rule_delete(rule_id: str, request: Request, staff: FormStaff, session: SessionDep,
                      services: ServicesDep) -> Response:
    section = _section_for(staff, "alerts")
    try:
        invoke(alert_rules.delete_rule, staff=staff, rule_id=rule_id, session=session,
               request=request)
    except HTTPException as exc:
        return _refused(request, staff, session, services, section, exc)
    return _done("alerts", "rule_deleted")


# --- retention (DSL) -----------------------------------------------------------------------

@router.post("/school")
def school_update(request: Request, staff: FormStaff, session: SessionDep,
                  services: ServicesDep,
                  retention_months: Annotated[str, Form(max_length=4)] = "",
                  device_silent_after_minutes: Annotated[str, Form(max_length=6)] = ""
                  ) -> Response:
    section = _section_for(staff, "school")
    try:
        body = SchoolUpdate(retention_months=retention_months or None,
                            device_silent_after_minutes=device_silent_after_minutes or None)
        invoke(school.update_school, staff=staff, body=body, session=session,
               services=services, request=request)
    except (ValidationError, HTTPException) as exc:
        return _refused(request, staff, session, services, section, exc)
    return _done("school", "school_saved")


@router.post("/school/purge")
async def school_purge(request: Request, staff: FormStaff, session: SessionDep,
                       services: ServicesDep) -> Response:
    section = _section_for(staff, "school")
    result = await invoke(purge_now, staff=staff, services=services, request=request)
    return await run_in_threadpool(section_page, request, staff, session, services, section,
                                   purged=result)


# --- phrase overlay (admin) ----------------------------------------------------------------

def _save_overlay(request: Request, staff: Staff, session: Session, services: Services,
                  change) -> Response:
    section = _section_for(staff, "overlay")
    try:
        current = invoke(school.get_overlay, staff=staff, session=session,
                         services=services).overlay
        body = Overlay.model_validate(change(current.model_dump(mode="json")))
        invoke(school.put_overlay, staff=staff, body=body, session=session, services=services,
               request=request)
    except (ValidationError, HTTPException) as exc:
        return _refused(request, staff, session, services, section, exc)
    return _done("overlay", "overlay_saved")


@router.post("/overlay/add")
def overlay_add(request: Request, staff: FormStaff, session: SessionDep, services: ServicesDep,
                phrase: Annotated[str, Form(max_length=300)] = "",
                category: Annotated[str, Form(max_length=64)] = "",
                severity: Annotated[str, Form(max_length=2)] = "",
                match: Annotated[str, Form(max_length=20)] = "word",
                note: Annotated[str, Form(max_length=600)] = "") -> Response:
    def change(overlay: dict) -> dict:
        entry = OverlayAdd(phrase=phrase, category=category, severity=severity or 0,
                           match=match, note=note)
        return {**overlay, "add": [*overlay["add"], entry.model_dump(mode="json")]}
    return _save_overlay(request, staff, session, services, change)


@router.post("/overlay/exclude")
def overlay_exclude(request: Request, staff: FormStaff, session: SessionDep,
                    services: ServicesDep, phrase: Annotated[str, Form(max_length=300)] = "",
                    category: Annotated[str, Form(max_length=64)] = "",
                    reason: Annotated[str, Form(max_length=600)] = "") -> Response:
    def change(overlay: dict) -> dict:
        entry = OverlayExclude(phrase=phrase, category=category or None, reason=reason)
        return {**overlay, "exclude": [*overlay["exclude"], entry.model_dump(mode="json")]}
    return _save_overlay(request, staff, session, services, change)


@router.post("/overlay/remove")
def overlay_remove(request: Request, staff: FormStaff, session: SessionDep,
                   services: ServicesDep, kind: Annotated[str, Form(max_length=10)] = "",
                   index: Annotated[int, Form(ge=0, le=10_000)] = 0,
                   phrase: Annotated[str, Form(max_length=300)] = "") -> Response:
    def change(overlay: dict) -> dict:
        entries = overlay.get(kind)
        if kind not in ("add", "exclude") or index >= len(entries or []) \
                or entries[index]["phrase"] != phrase:
            raise HTTPException(status.HTTP_409_CONFLICT,
                                "the overlay changed since this page was loaded; try again")
        return {**overlay, kind: [e for i, e in enumerate(entries) if i != index]}
    return _save_overlay(request, staff, session, services, change)


# --- accounts (admin) ----------------------------------------------------------------------

@router.post("/accounts")
def account_create(request: Request, staff: FormStaff, session: SessionDep,
                   services: ServicesDep, email: Annotated[str, Form(max_length=300)] = "",
                   name: Annotated[str, Form(max_length=200)] = "",
                   role: Annotated[str, Form(max_length=20)] = "reviewer") -> Response:
    section = _section_for(staff, "accounts")
    try:
        created = invoke(staff_routes.add_staff, staff=staff, session=session, request=request,
                         body=StaffCreate(email=email, name=name, role=role))
    except (ValidationError, HTTPException) as exc:
        return _refused(request, staff, session, services, section, exc)
    return section_page(request, staff, session, services, section, status_code=201,
                        secret={"what": f"Password for {created.staff.email}",
                                "value": created.password})


@router.post("/accounts/{staff_id}")
def account_update(staff_id: str, request: Request, staff: FormStaff, session: SessionDep,
                   services: ServicesDep, action: Annotated[str, Form(max_length=20)] = "",
                   role: Annotated[str, Form(max_length=20)] = "") -> Response:
    section = _section_for(staff, "accounts")
    try:
        if action == "reset_password":
            reset = invoke(staff_routes.reset_password, staff=staff, staff_id=staff_id,
                           session=session, request=request)
            person = session.get(Staff, staff_id)
            return section_page(request, staff, session, services, section,
                                secret={"what": f"New password for {person.email}",
                                        "value": reset.password})
        changes = {"disable": {"active": False}, "enable": {"active": True},
                   "role": {"role": role}}.get(action)
        if changes is None:
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "unknown action")
        invoke(staff_routes.update_staff, staff=staff, staff_id=staff_id,
               body=StaffUpdate(**changes), session=session, request=request)
    except (ValidationError, HTTPException) as exc:
        return _refused(request, staff, session, services, section, exc)
    return _done("accounts", "staff_changed")


# --- devices and enrolment keys (admin; the DSL can look) ----------------------------------

@router.post("/devices/{device_id}/revoke")
def device_revoke(device_id: str, request: Request, staff: FormStaff, session: SessionDep,
                  services: ServicesDep) -> Response:
    section = _section_for(staff, "devices")
    try:
        invoke(devices.revoke_device, staff=staff, device_id=device_id, session=session,
               request=request)
    except HTTPException as exc:
        return _refused(request, staff, session, services, section, exc)
    return _done("devices", "device_revoked")


@router.post("/keys")
def key_create(request: Request, staff: FormStaff, session: SessionDep, services: ServicesDep,
               name: Annotated[str, Form(max_length=300)] = "") -> Response:
    section = _section_for(staff, "devices")
    try:
        created = invoke(enrolment_keys.create_key, staff=staff, session=session,
                         request=request, body=EnrolmentKeyCreate(name=name))
    except (ValidationError, HTTPException) as exc:
        return _refused(request, staff, session, services, section, exc)
    return section_page(request, staff, session, services, section, status_code=201,
                        secret={"what": f"Enrolment key “{created.name}”", "value": created.key})


@router.post("/keys/{key_id}/revoke")
def key_revoke(key_id: str, request: Request, staff: FormStaff, session: SessionDep,
               services: ServicesDep) -> Response:
    section = _section_for(staff, "devices")
    try:
        invoke(enrolment_keys.revoke_key, staff=staff, key_id=key_id, session=session,
               request=request)
    except HTTPException as exc:
        return _refused(request, staff, session, services, section, exc)
    return _done("devices", "key_revoked")

