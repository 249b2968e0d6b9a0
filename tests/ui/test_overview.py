"""The DSL's wider view: a pupil's pattern over weeks, and the school's dashboard."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from api.domain import IncidentStatus
from api.models import AuditEvent, Incident
from api.web.dashboard_page import RECENT_DAYS
from tests.ui.conftest import snap
from tests.ui.seed import HITS

pytestmark = pytest.mark.timeout(180)


def test_pupil_page_shows_the_timeline_and_weekly_counts_by_category(open_page, ui_server):
    page = open_page("dsl")
    page.get_by_role("link", name="Pupils").click()
    page.get_by_role("link", name="NFA\\j.carter").click()
    page.wait_for_url(lambda url: "/pupil?login=" in url)
    assert page.get_by_role("heading", level=1).inner_text() == "NFA\\j.carter"

    carter = [h for h in HITS if h.pupil == "NFA\\j.carter"]
    assert page.locator(".timeline-table tbody tr").count() == len(carter) == 5
    # The chart's numbers: bullying in four weeks, emotional distress in one.
    chart = page.get_by_role("img", name="Incidents per week by category for NFA\\j.carter")
    assert chart.locator("rect.segment").count() == 5
    assert "5 in all" in chart.locator("title").first.text_content()
    page.get_by_text("Show the numbers").click()
    rows = {row.locator("th").inner_text(): sum(int(n) for n in row.locator("td").all_inner_texts())
            for row in page.locator(".chart-table tbody tr").all()}
    assert rows == {"Bullying": 4, "Emotional distress": 1}
    snap(page, "pupil")


def test_dashboard_counts_the_backlog_the_suppressed_share_and_silent_devices(open_page,
                                                                              ui_server):
    page = open_page("dsl")
    page.get_by_role("link", name="Dashboard").click()
    since = datetime.now(UTC) - timedelta(days=RECENT_DAYS)
    with ui_server.session() as session:
        count = lambda *where: session.scalar(
            select(func.count()).select_from(Incident).where(*where))
        waiting = count(Incident.status == IncidentStatus.NEW)
        everything = count()
        recent = count(Incident.observed_at >= since)
        held = count(Incident.observed_at >= since, Incident.status == IncidentStatus.SUPPRESSED)
    stats = page.locator(".stat")
    assert stats.nth(0).locator(".stat-value").inner_text() == str(waiting)
    assert "suppressed by the model" in stats.nth(2).inner_text()
    assert recent < everything and held >= 1  # j.carter's oldest is outside the 30 days
    assert f"{held} of {recent} in {RECENT_DAYS} days" in stats.nth(2).inner_text()
    assert stats.nth(3).locator(".stat-value").inner_text() == "1"
    assert "NFA-ART-02" in page.locator("#silent + table").inner_text()
    assert "NFA-LIB-07" not in page.locator("#silent + table").inner_text()
    chart = page.get_by_role("img", name="Incidents per category per week, last 8 weeks")
    assert chart.locator("rect.segment").count() >= 5
    snap(page, "dashboard")
    assert page.js_errors == []
    with ui_server.session() as session:
        read = session.scalars(select(AuditEvent).where(AuditEvent.action == "dashboard.read")
                               .order_by(AuditEvent.id.desc())).first()
    assert read.actor_id == ui_server.staff_ids["dsl"] and read.ip == "127.0.0.1"
