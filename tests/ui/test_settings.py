"""Settings: the DSL's alert rules and retention; IT's phrase overlay, accounts, devices and
enrolment keys. Each change goes through the API and shows up on the page."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from api.models import AlertRule, AuditEvent, School
from tests.ui.conftest import snap

pytestmark = pytest.mark.timeout(180)


def test_dsl_adds_an_alert_rule_and_changes_retention(open_page, ui_server):
    page = open_page("dsl")
    page.get_by_role("link", name="Settings").click()
    page.wait_for_url(lambda url: url.endswith("/settings/alerts"))
    page.get_by_label("Name").fill("Self-harm and suicide at once")
    page.get_by_label("Suicide").check()
    page.get_by_label("Self-harm").check()
    page.get_by_role("button", name="Add rule").click()
    assert page.locator("p.notice").inner_text() == "Alert rule added."
    row = page.locator("tr", has_text="Self-harm and suicide at once")
    assert "Self-harm, Suicide" in row.inner_text() and "every DSL" in row.inner_text()
    snap(page, "settings-alerts")

    # An escalation rule without its waiting time is refused with the API's reason.
    page.get_by_label("Name").fill("Escalate")
    page.get_by_label("When").select_option("escalation")
    page.get_by_role("button", name="Add rule").click()
    assert "an escalation rule needs after_minutes" in page.get_by_role("alert").inner_text()

    page.get_by_role("link", name="Retention").click()
    page.get_by_label("Keep incidents and screenshots for (months)").fill("12")
    page.get_by_role("button", name="Save").click()
    assert page.locator("p.notice").inner_text() == "Settings saved."
    assert page.get_by_label("Keep incidents and screenshots for (months)").input_value() == "12"
    snap(page, "settings-retention")

    with ui_server.session() as session:
        rule = session.scalar(select(AlertRule).where(
            AlertRule.name == "Self-harm and suicide at once"))
        assert sorted(rule.categories) == ["self_harm", "suicide"]
        assert session.scalar(select(School.retention_months)) == 12
        changed = session.scalar(select(AuditEvent).where(
            AuditEvent.action == "school.settings_changed"))
        assert changed.actor_id == ui_server.staff_ids["dsl"]


def test_admin_edits_the_phrase_overlay_adds_a_person_and_issues_an_enrolment_key(
        open_page, ui_server):
    page = open_page("admin")
    assert page.url.endswith("/settings/devices")
    assert "NFA-LIB-07" in page.locator("table").first.inner_text()
    page.get_by_label("What it is for").fill("Science block rollout")
    page.get_by_role("button", name="Create key").click()
    key = page.locator("#secret-value").inner_text()
    assert key.startswith("sge_") and len(key) > 30
    snap(page, "settings-devices")
    page.reload()  # shown once: gone after a reload
    assert page.locator("#secret-value").count() == 0
    assert key[:10] in page.locator("table").nth(1).inner_text()

    page.get_by_role("link", name="Phrase overlay").click()
    page.get_by_label("Phrase to add").fill("meet me behind the sports hall")
    page.locator("#ov-category").select_option("violence")
    page.get_by_role("button", name="Add phrase").click()
    assert page.locator("p.notice").inner_text().startswith("Phrase overlay saved")
    page.get_by_label("Phrase to exclude").fill("killing it")
    page.get_by_role("button", name="Exclude phrase").click()  # no reason: not sent
    reason = page.get_by_label("Reason (required)")
    assert reason.evaluate("field => field.validity.valueMissing")
    assert page.url.endswith("/settings/overlay?done=overlay_saved")  # still the last page
    reason.fill("Means doing well, in every class we teach")
    page.get_by_role("button", name="Exclude phrase").click()
    tables = page.locator(".settings-body table")
    assert "meet me behind the sports hall" in tables.nth(0).inner_text()
    assert "Means doing well" in tables.nth(1).inner_text()
    snap(page, "settings-overlay")

    page.get_by_role("link", name="Accounts").click()
    page.get_by_label("Name").fill("Jo Pastoral")
    page.get_by_label("Email address").fill("jo.pastoral@northfield.example")
    page.get_by_role("button", name="Add account").click()
    assert "Password for jo.pastoral@northfield.example" in page.locator(".secret").inner_text()
    assert len(page.locator("#secret-value").inner_text()) >= 12
    assert "Jo Pastoral" in page.locator("table").first.inner_text()
    snap(page, "settings-accounts")
    assert page.js_errors == []
