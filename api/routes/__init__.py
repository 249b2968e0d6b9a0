"""One router per resource. A new surface (the review UI) is one more entry in ROUTERS."""
from fastapi import APIRouter

from api.routes import (
                        alert_rules,
                        audit_log,
                        auth,
                        devices,
                        enrolment_keys,
                        exports,
                        health,
                        hits,
                        incidents,
                        phrases,
                        pupils,
                        retention,
                        school,
                        staff,
)

ROUTERS: tuple[APIRouter, ...] = (
    health.router, devices.router, hits.router, phrases.router, auth.router, staff.router,
    enrolment_keys.router, school.router, incidents.router, pupils.router, alert_rules.router,
    audit_log.router, exports.router, retention.router,
)
