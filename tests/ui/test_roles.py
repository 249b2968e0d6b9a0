"""Each role sees its own pages: a reviewer triages but is refused the DSL's pages, and IT
staff manage devices without reading evidence about children."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from api.models import AuditEvent
from tests.ui.conftest import snap

pytestmark = pytest.mark.timeout(180)

#: (who, page, what they get)
REFUSED = [
    ("reviewer", "/pupils", "may not read pupils"),
    ("reviewer", "/pupil?login=NFA%5Cj.carter", "may not read pupils"),
    ("reviewer", "/dashboard", "may not read audit"),
    ("reviewer", "/audit", "may not read audit"),
    ("reviewer", "/settings", "has no settings to change"),
    ("reviewer", "/settings/alerts", "may not manage alerts"),
    ("reviewer", "/settings/accounts", "may not manage staff"),
    ("admin", "/queue", "may not read incidents"),
    ("admin", "/pupils", "may not read pupils"),
    ("dsl", "/settings/accounts", "may not manage staff"),
    ("dsl", "/settings/overlay", "may not manage overlay"),
]

NAV = {
    "reviewer": ["Queue"],
    "dsl": ["Queue", "Pupils", "Dashboard", "Audit log", "Settings"],
    "admin": ["Settings"],
}


@pytest.mark.parametrize("who", ["reviewer", "dsl", "admin"])
def test_each_role_is_shown_only_its_own_pages_and_refused_the_others(open_page, ui_server,
                                                                       who):
    page = open_page(who)
    assert page.url.endswith("/settings/devices" if who == "admin" else "/queue")
    assert page.get_by_role("navigation", name="Main").get_by_role("link").all_inner_texts() \
        == NAV[who]
    with ui_server.session() as session:
        reads_before = session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.actor_id == ui_server.staff_ids[who],
            AuditEvent.action.in_(["pupil.list", "pupil.timeline", "dashboard.read",
                                   "audit.read", "incident.list"])))
    for role, path, reason in REFUSED:
        if role != who:
            continue
        response = page.goto(path)
        assert response.status == 403, path
        assert page.get_by_role("heading", level=1).inner_text() == "Not available to your role"
        assert reason in page.locator(".error-detail").inner_text(), path
    if who == "reviewer":
        snap(page, "refused-reviewer")
    with ui_server.session() as session:
        reads_after = session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.actor_id == ui_server.staff_ids[who],
            AuditEvent.action.in_(["pupil.list", "pupil.timeline", "dashboard.read",
                                   "audit.read", "incident.list"])))
    assert reads_after == reads_before  # a refused page read nothing

    if who == "reviewer":  # the reviewer can still do their own job: open an incident
        page.goto(f"/incidents/{ui_server.incidents['adult'].id}")
        assert "Adult content" in page.get_by_role("heading", level=1).inner_text()
        assert page.get_by_role("link", name="Pupil's history").count() == 0
        assert page.get_by_role("link", name="Who has seen this").count() == 0
        missing = page.goto("/incidents/00000000-0000-4000-8000-000000000000")
        assert missing.status == 404
        assert page.locator(".error-detail").inner_text() == "no such incident"
