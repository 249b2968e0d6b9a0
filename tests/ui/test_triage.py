"""The morning queue: urgent first, filters in the URL, and decisions from the keyboard."""
from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest
from sqlalchemy import select

from api.domain import IncidentStatus
from api.models import Incident
from tests.ui.conftest import csrf_of, snap

pytestmark = pytest.mark.timeout(180)

ROWS = "tr[data-incident-row]"


def test_queue_shows_the_most_urgent_first_with_the_words_highlighted(open_page, ui_server):
    page = open_page("dsl")
    assert page.url.endswith("/queue")
    snap(page, "queue-laptop", full_page=False)
    snap(page, "queue")
    risks = [float(r) for r in page.locator(ROWS).evaluate_all(
        "rows => rows.map(r => r.dataset.risk)")]
    assert risks == sorted(risks, reverse=True)
    top = page.locator(ROWS).first
    assert top.get_attribute("data-id") == ui_server.incidents["grooming"].id
    assert top.locator(".sev").inner_text().strip().endswith("5")
    assert "Sexual exploitation and grooming" in top.inner_text()
    assert top.locator("mark").inner_text() == "don't tell your parents"
    assert "93%" in top.locator(".col-conf").inner_text()
    assert "NFA-LIB-07" in top.locator(".col-where").inner_text()
    # Suppressed incidents are not in the default queue.
    ids = page.locator(ROWS).evaluate_all("rows => rows.map(r => r.dataset.id)")
    assert ui_server.incidents["history_essay"].id not in ids


def test_filters_are_kept_in_the_url_and_pupil_text_is_never_run_as_html(open_page,
                                                                          ui_server):
    page = open_page("reviewer")
    page.get_by_label("Category").select_option(label="Bullying")
    page.get_by_label("Search words, titles, pupils").fill("worthless")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url(lambda url: "/queue?" in url)
    query = parse_qs(urlparse(page.url).query)
    assert query["category"] == ["bullying"] and query["q"] == ["worthless"]
    rows = page.locator(ROWS)
    assert rows.count() == 1
    # The pupil's typed markup is shown as text, and nothing in it ran.
    assert "<script>window.__pwned = 1</script>" in rows.first.inner_text()
    assert "NFA\\x.test<b>bold</b>" in rows.first.inner_text()
    assert page.evaluate("window.__pwned") is None
    assert page.js_errors == []
    snap(page, "queue-filtered")

    page.goto("/queue?status=suppressed")
    ids = page.locator(ROWS).evaluate_all("rows => rows.map(r => r.dataset.id)")
    with ui_server.session() as session:
        suppressed = set(session.scalars(select(Incident.id).where(
            Incident.status == IncidentStatus.SUPPRESSED)))
    assert set(ids) == suppressed and ui_server.incidents["history_essay"].id in ids


def test_keyboard_triage_decides_each_incident_with_a_csrf_protected_post(open_page,
                                                                          ui_server):
    page = open_page("reviewer")
    page.goto("/queue?pupil=NFA%5Cj.carter&sort=newest")
    rows = page.locator(ROWS)
    ids = rows.evaluate_all("rows => rows.map(r => r.dataset.id)")
    expected_order = [ui_server.incidents[n].id for n in (
        "bullying_discord", "carter_week1", "carter_week2", "carter_week3", "carter_week5")]
    assert ids == expected_order

    # c on the first; the second is selected next: i; skip the third with j; u on the fourth.
    decided_so_far = 0
    for key in ("c", "i", "j", "u"):
        page.keyboard.press(key)
        if key != "j":
            decided_so_far += 1
            page.wait_for_function("n => document.querySelectorAll('tr.decided').length === n",
                                   arg=decided_so_far)
    assert rows.nth(4).evaluate("r => r.classList.contains('selected')")
    assert rows.nth(4).evaluate("r => r === document.activeElement")
    page.keyboard.press("k")
    assert rows.nth(3).evaluate("r => r === document.activeElement")
    snap(page, "queue-triaged", full_page=False)
    assert page.js_errors == []

    with ui_server.session() as session:
        decided = dict(session.execute(select(Incident.id, Incident.decision)
                                       .where(Incident.id.in_(ids))).all())
    assert [decided[i] for i in ids] == ["concern", "innocent", None, "urgent", None]
    assert [rows.nth(n).get_attribute("data-decision") for n in range(5)] == [
        "concern", "innocent", None, "urgent", None]

    # What is left for review is what was skipped.
    page.reload()
    assert page.locator(ROWS).evaluate_all("rows => rows.map(r => r.dataset.id)") == [
        ids[2], ids[4]]

    # A decision without the page's CSRF token is refused and changes nothing.
    forged = page.request.post(f"/incidents/{ids[2]}/review",
                               form={"decision": "innocent"}, max_redirects=0)
    assert forged.status == 403
    good = page.request.post(f"/incidents/{ids[2]}/review", max_redirects=0,
                             headers={"Accept": "application/json"},
                             form={"decision": "innocent", "csrf_token": csrf_of(page)})
    assert good.status == 200 and good.json()["decision"] == "innocent"
