"""All the review pages as one router, with the static files they use mounted beside them."""
from __future__ import annotations

from fastapi import APIRouter
from fastapi.staticfiles import StaticFiles

from api.web import (
    audit_page,
    auth,
    dashboard_page,
    incident_page,
    pupil_pages,
    queue_page,
    settings_pages,
)
from api.web.templating import STATIC_DIR, STATIC_URL

#: The mount's route name: how a caller can tell whether an app already serves the UI.
STATIC_ROUTE = "review_ui_static"

router = APIRouter(include_in_schema=False)
for module in (auth, queue_page, incident_page, pupil_pages, dashboard_page, audit_page,
               settings_pages):
    router.include_router(module.router)
router.mount(STATIC_URL, StaticFiles(directory=STATIC_DIR), name=STATIC_ROUTE)
