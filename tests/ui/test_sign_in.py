"""Signing in: clear errors, a lockout after repeated failures, and back to where you were."""
from __future__ import annotations

import pytest

from tests.ui.conftest import LOGIN_MAX_FAILURES, PASSWORD, PEOPLE, sign_in, snap

pytestmark = pytest.mark.timeout(120)


def test_a_page_asks_for_sign_in_and_returns_to_it_afterwards(open_page, ui_server):
    page = open_page()
    page.goto("/dashboard")
    assert "/login?next=%2Fdashboard" in page.url
    page.get_by_label("Email address").fill(PEOPLE["dsl"][0])
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/dashboard")
    assert page.get_by_role("heading", name="Dashboard").is_visible()

    page.get_by_role("button", name="Sign out").click()
    assert page.locator("p.notice").inner_text() == "You have signed out."
    page.goto("/queue")
    assert "/login?next=%2Fqueue" in page.url


def test_wrong_password_is_explained_and_repeated_failures_lock_the_account(open_page,
                                                                             ui_server):
    page = open_page()
    page.goto("/login")
    snap(page, "login")
    for attempt in range(LOGIN_MAX_FAILURES):
        sign_in(page, ui_server.url, "locked", password=f"not-the-password-{attempt}")
        error = page.get_by_role("alert")
        assert "Wrong email address or password" in error.inner_text()
        assert f"After {LOGIN_MAX_FAILURES} failed attempts" in error.inner_text()
        assert page.get_by_label("Password").get_attribute("aria-invalid") == "true"
        # The email typed is kept, so only the password needs typing again.
        assert page.get_by_label("Email address").input_value() == PEOPLE["locked"][0]
    snap(page, "login-wrong-password")

    sign_in(page, ui_server.url, "locked")  # the right password, too late
    message = page.get_by_role("alert").inner_text()
    assert "locked" in message and "try again after" in message
    assert page.url.endswith("/login")
    snap(page, "login-locked")


def test_a_sign_in_form_posted_from_another_site_is_refused(open_page, ui_server):
    page = open_page()
    page.goto("/login")
    forged = page.request.post("/login", max_redirects=0,
                               headers={"Origin": "https://evil.example"},
                               form={"email": PEOPLE["dsl"][0], "password": PASSWORD})
    assert forged.status == 403
    assert "sg_session" not in {c["name"] for c in page.context.cookies()}
