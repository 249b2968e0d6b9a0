"""One incident: the evidence, what the model said, and the decision.

The page is the API's `get_incident` (authorised, audited as `incident.read`); the image is
the API's screenshot route (audited again as `screenshot.read` when the browser fetches it).
The matched words are boxed from the agent's stored OCR boxes, drawn as an SVG overlay in the
image's own pixel coordinates, so the box lands on the words at any display size.
"""
from __future__ import annotations

import io
import logging

from fastapi import APIRouter, Request, Response
from PIL import Image, UnidentifiedImageError
from sqlalchemy import select

from api.deps import ServicesDep, SessionDep
from api.domain import Decision, IncidentStatus
from api.models import Incident
from api.permissions import Permission, allows
from api.routes.incidents import get_incident
from api.services import Services
from api.web.auth import IncidentReaderPage
from api.web.calls import invoke
from api.web.charts import score_bars
from api.web.pages import PageRoute, render, safe_next
from api.web.queue_page import DECISION_KEYS
from api.web.templating import category_label

log = logging.getLogger(__name__)
router = APIRouter(route_class=PageRoute, include_in_schema=False)

NOTICES = {"reviewed": "Decision saved.", "promoted": "Put back in the review queue."}


def screenshot_size(services: Services, session, incident_id: str) -> tuple[int, int] | None:
    """The image's pixel size, read from its header, to lay the word boxes over it."""
    key = session.scalar(select(Incident.screenshot_key).where(Incident.id == incident_id))
    if key is None:
        return None
    try:
        with Image.open(io.BytesIO(services.blobs.get(key))) as image:
            return image.size
    except (OSError, UnidentifiedImageError, ValueError):
        log.warning("a stored screenshot could not be measured")  # never the key or a path
        return None


@router.get("/incidents/{incident_id}")
def incident_page(incident_id: str, request: Request, staff: IncidentReaderPage,
                  session: SessionDep, services: ServicesDep, back: str = "",
                  done: str = "") -> Response:
    incident = invoke(get_incident, staff=staff, incident_id=incident_id, session=session,
                      request=request)
    size = screenshot_size(services, session, incident_id) if incident.screenshot_url else None
    return render(request, "incident.html", {
        "incident": incident, "size": size,
        "scores": score_bars(incident.scores, highlight=incident.category,
                             label_of=category_label),
        "back": safe_next(back, "/queue") if back.startswith("/queue") else "/queue",
        "notice": NOTICES.get(done), "decisions": list(Decision),
        "decision_keys": DECISION_KEYS,
        "suppressed": incident.status == IncidentStatus.SUPPRESSED,
        "can_review": allows(staff.role, Permission.REVIEW_INCIDENTS),
        "can_read_pupils": allows(staff.role, Permission.READ_PUPILS),
        "can_read_audit": allows(staff.role, Permission.READ_AUDIT),
    }, active="/queue")
