"""The forms behind the buttons, posted over HTTP as a browser posts them (no JavaScript):
each one changes what it says, through the API, and answers with a page."""
from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import select

from api.models import AlertRule, AuditEvent, Device, EnrolmentKey, Incident, School, Staff
from tests.api.factories import post_hit
from tests.ui.conftest import PASSWORD, PEOPLE, UiServer
from tests.ui.seed import SeedHit, hit_record

pytestmark = pytest.mark.timeout(120)


class Browserless:
    """A signed-in form poster: what a browser without scripts sends."""

    def __init__(self, server: UiServer, who: str) -> None:
        self.server = server
        self.http = httpx.Client(base_url=server.url, timeout=30, follow_redirects=True)
        signed_in = self.http.post("/login", data={"email": PEOPLE[who][0],
                                                   "password": PASSWORD})
        assert signed_in.status_code == 200, signed_in.text

    def csrf(self, page: str) -> str:
        return re.search(r'name="csrf_token" value="([^"]+)"', self.http.get(page).text)[1]

    def post(self, page: str, url: str, /, **form: str) -> httpx.Response:
        """Post a form found on `page` to `url`, with that page's CSRF token."""
        return self.http.post(url, data={"csrf_token": self.csrf(page), **form})


@pytest.fixture
def as_admin(ui_server: UiServer) -> Iterator[Browserless]:
    client = Browserless(ui_server, "admin")
    yield client
    client.http.close()


@pytest.fixture
def as_dsl(ui_server: UiServer) -> Iterator[Browserless]:
    client = Browserless(ui_server, "dsl")
    yield client
    client.http.close()


def notice(response: httpx.Response) -> str:
    found = re.search(r'<p class="notice" role="status">([^<]*)</p>', response.text)
    return found[1] if found else ""


def test_alert_rules_can_be_turned_off_and_deleted(as_dsl, ui_server):
    page = "/settings/alerts"
    as_dsl.post(page, page, name="Gambling, any severity", categories="gambling")
    with ui_server.session() as session:
        rule_id = session.scalar(select(AlertRule.id).where(
            AlertRule.name == "Gambling, any severity"))
    turned_off = as_dsl.post(page, f"{page}/{rule_id}/toggle")
    assert notice(turned_off) == "Alert rule changed."
    with ui_server.session() as session:
        assert session.get(AlertRule, rule_id).enabled is False
    deleted = as_dsl.post(page, f"{page}/{rule_id}/delete")
    assert notice(deleted) == "Alert rule deleted."
    with ui_server.session() as session:
        assert session.get(AlertRule, rule_id) is None
    missing = as_dsl.post(page, f"{page}/{rule_id}/delete")
    assert missing.status_code == 404 and "no such alert rule" in missing.text


def test_an_out_of_range_retention_is_refused_with_the_reason_and_nothing_changes(as_dsl,
                                                                                   ui_server):
    with ui_server.session() as session:
        before = session.scalar(select(School.retention_months))
    refused = as_dsl.post("/settings/school", "/settings/school", retention_months="500")
    assert refused.status_code == 422
    assert "retention_months: Input should be less than or equal to 120" in refused.text
    with ui_server.session() as session:
        assert session.scalar(select(School.retention_months)) == before


def test_the_retention_purge_runs_on_request_and_is_audited(as_dsl, ui_server):
    purged = as_dsl.post("/settings/school", "/settings/school/purge")
    assert purged.status_code == 200
    assert "Purge done: 0 incidents and 0 screenshots" in purged.text
    with ui_server.session() as session:
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "retention.purge")
                                .order_by(AuditEvent.id.desc())).first()
    assert event.actor_id == ui_server.staff_ids["dsl"]


def test_overlay_entries_can_be_removed_and_a_stale_page_cannot_remove_the_wrong_one(
        as_admin, ui_server):
    page = "/settings/overlay"
    as_admin.post(page, f"{page}/add", phrase="vape shop near school", category="substance_misuse",
                  severity="2", match="word")
    with ui_server.session() as session:
        added = session.scalar(select(School.overlay))["add"]
    index = next(i for i, e in enumerate(added) if e["phrase"] == "vape shop near school")
    stale = as_admin.post(page, f"{page}/remove", kind="add", index=str(index),
                          phrase="some other phrase")
    assert stale.status_code == 409 and "changed since this page was loaded" in stale.text
    removed = as_admin.post(page, f"{page}/remove", kind="add", index=str(index),
                            phrase="vape shop near school")
    assert notice(removed).startswith("Phrase overlay saved")
    with ui_server.session() as session:
        phrases = [e["phrase"] for e in session.scalar(select(School.overlay))["add"]]
    assert "vape shop near school" not in phrases


def test_an_account_can_be_disabled_enabled_and_given_a_new_password(as_admin, ui_server):
    page = "/settings/accounts"
    created = as_admin.post(page, page, name="Temp Cover", email="temp.cover@northfield.example",
                            role="reviewer")
    assert created.status_code == 201
    with ui_server.session() as session:
        person = session.scalar(select(Staff).where(
            Staff.email == "temp.cover@northfield.example"))
    disabled = as_admin.post(page, f"{page}/{person.id}", action="disable")
    assert notice(disabled) == "Account changed."
    with ui_server.session() as session:
        assert session.get(Staff, person.id).active is False
    as_admin.post(page, f"{page}/{person.id}", action="enable")
    reset = as_admin.post(page, f"{page}/{person.id}", action="reset_password")
    new_password = re.search(r'id="secret-value">([^<]+)<', reset.text)[1]
    assert "New password for temp.cover@northfield.example" in reset.text
    signed_in = httpx.post(f"{ui_server.url}/login", data={
        "email": "temp.cover@northfield.example", "password": new_password})
    assert signed_in.status_code == 303 and signed_in.headers["location"] == "/queue"
    duplicate = as_admin.post(page, page, name="Again", email="temp.cover@northfield.example",
                              role="reviewer")
    assert duplicate.status_code == 409 and "already exists" in duplicate.text


def test_a_device_and_an_enrolment_key_can_be_revoked(as_admin, ui_server):
    page = "/settings/devices"
    issued = as_admin.post(page, "/settings/keys", name="Spare laptops")
    key = re.search(r'id="secret-value">([^<]+)<', issued.text)[1]
    enrolled = httpx.post(f"{ui_server.url}/api/v1/devices/enrol", json={
        "enrolment_key": key, "hostname": "NFA-SPARE-01", "agent_version": "1.0"})
    assert enrolled.status_code == 201
    device_id = enrolled.json()["device_id"]
    revoked = as_admin.post(page, f"{page}/{device_id}/revoke")
    assert notice(revoked) == "Device revoked."
    with ui_server.session() as session:
        assert session.get(Device, device_id).revoked_at is not None
        key_id = session.scalar(select(EnrolmentKey.id).where(
            EnrolmentKey.name == "Spare laptops"))
    as_admin.post(page, f"/settings/keys/{key_id}/revoke")
    again = httpx.post(f"{ui_server.url}/api/v1/devices/enrol", json={
        "enrolment_key": key, "hostname": "NFA-SPARE-02", "agent_version": "1.0"})
    assert again.status_code == 401


def test_a_suppressed_incident_can_be_put_back_in_the_queue(as_dsl, ui_server):
    incident_id = ui_server.incidents["game_chat"].id
    page = f"/incidents/{incident_id}"
    assert "Put back in the queue" in as_dsl.http.get(page).text
    promoted = as_dsl.post(page, f"{page}/promote")
    assert notice(promoted) == "Put back in the review queue."
    with ui_server.session() as session:
        assert session.get(Incident, incident_id).status == "new"


def test_a_forged_page_cursor_is_refused_with_a_reason(as_dsl):
    forged = as_dsl.http.get("/queue?cursor=bm90LWEtY3Vyc29y.abc")
    assert forged.status_code == 400 and "cursor is not one this server issued" in forged.text


def test_a_hit_arriving_while_the_queue_is_open_shows_on_the_next_load(as_dsl, ui_server):
    seed = SeedHit("late", "NFA\\p.late", "Google Chrome", "Search - Google", 1,
                   "where can i buy a knife without id", "buy a knife", "violence", 4, 0.9)
    with httpx.Client(base_url=ui_server.url) as agent:
        stored = post_hit(agent, {"Authorization": f"Bearer {ui_server.device_token}"},
                          hit_record(seed, datetime.now(UTC)))
    assert stored.status_code == 201
    queue = as_dsl.http.get("/queue?pupil=NFA%5Cp.late")
    assert stored.json()["incident_id"] in queue.text
    assert "<mark>buy a knife</mark>" in queue.text
