"""Signing in: argon2 passwords, HttpOnly cookies with CSRF, lockout, and script tokens."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from api.models import ApiToken, Staff, StaffSession
from tests.api.conftest import PASSWORD


def login(client, email="dsl@northfield.example", password=PASSWORD):
    return client.post("/api/v1/auth/login", json={"email": email, "password": password})


def test_login_sets_a_safe_session_cookie(client, northfield):
    r = login(client)
    assert r.status_code == 200 and r.json()["staff"]["role"] == "dsl"
    cookies = {c.split("=", 1)[0]: c for c in r.headers.get_list("set-cookie")}
    session = cookies["sg_session"].lower()
    assert "httponly" in session and "samesite=lax" in session and "path=/" in session
    assert "httponly" not in cookies["sg_csrf"].lower()  # the page's script must read it
    assert r.json()["csrf_token"] in cookies["sg_csrf"]


def test_secure_cookies_in_production(settings, judge):
    from fastapi.testclient import TestClient

    from api import create_app
    from api.security import hash_password
    from tests.api.conftest import seed_school

    production = settings.model_copy(update={"mode": "production"})
    with TestClient(create_app(production, judge=judge), base_url="https://testserver") as c:
        with c.app.state.services.session_factory() as session:
            seed_school(session, "Northfield Academy", hash_password(PASSWORD))
            session.commit()
        r = login(c)
        assert "secure" in r.headers.get_list("set-cookie")[0].lower()


def test_the_session_and_tokens_are_stored_hashed(client, northfield, db):
    r = login(client)
    cookie = r.cookies["sg_session"]
    stored = db.scalars(select(StaffSession.token_hash)).all()
    assert cookie not in stored and all(len(h) == 64 for h in stored)
    staff = db.scalars(select(Staff).where(Staff.email == "dsl@northfield.example")).one()
    assert staff.password_hash.startswith("$argon2")


def test_cookie_requests_need_the_csrf_header_to_change_anything(client, northfield):
    csrf = login(client).json()["csrf_token"]
    assert client.get("/api/v1/auth/me").status_code == 200  # reads need no CSRF token
    body = {"retention_months": 12}
    no_header = client.patch("/api/v1/school", json=body)
    assert no_header.status_code == 403 and "X-CSRF-Token" in no_header.json()["detail"]
    wrong = client.patch("/api/v1/school", json=body, headers={"X-CSRF-Token": "guess"})
    assert wrong.status_code == 403
    ok = client.patch("/api/v1/school", json=body, headers={"X-CSRF-Token": csrf})
    assert ok.status_code == 200


def test_a_csrf_token_from_another_session_does_not_work(client, northfield):
    other = login(client, "reviewer@northfield.example").json()["csrf_token"]
    client.cookies.clear()
    login(client)
    r = client.patch("/api/v1/school", json={"retention_months": 12},
                     headers={"X-CSRF-Token": other})
    assert r.status_code == 403


def test_bearer_tokens_need_no_csrf(client, northfield):
    r = client.patch("/api/v1/school", json={"retention_months": 12},
                     headers=northfield.auth("dsl"))
    assert r.status_code == 200


@pytest.mark.parametrize("email,password", [
    ("dsl@northfield.example", "not the password"),
    ("nobody@northfield.example", PASSWORD),
    ("DSL@Northfield.example", "not the password"),
])
def test_wrong_credentials_say_nothing_more(client, northfield, email, password):
    r = login(client, email, password)
    assert r.status_code == 401 and r.json()["detail"] == "wrong email or password"
    assert "sg_session" not in r.cookies


def test_email_is_case_insensitive(client, northfield):
    assert login(client, "  DSL@Northfield.EXAMPLE ").status_code == 200


def test_repeated_failures_lock_the_account_for_a_while(client, northfield, db):
    for _ in range(5):
        assert login(client, password="wrong password!!").status_code == 401
    locked = login(client)  # even the right password
    assert locked.status_code == 423 and "try again after" in locked.json()["detail"]
    staff = db.scalars(select(Staff).where(Staff.email == "dsl@northfield.example")).one()
    staff.locked_until = None
    db.commit()
    assert login(client).status_code == 200


def test_a_disabled_account_cannot_sign_in_or_use_its_tokens(client, northfield):
    reviewer = northfield.staff["reviewer"].id
    r = client.patch(f"/api/v1/staff/{reviewer}", json={"active": False},
                     headers=northfield.auth("admin"))
    assert r.status_code == 200
    assert login(client, "reviewer@northfield.example").status_code == 401
    assert client.get("/api/v1/auth/me", headers=northfield.auth("reviewer")).status_code == 401


def test_logout_ends_the_session(client, northfield):
    csrf = login(client).json()["csrf_token"]
    cookie = client.cookies["sg_session"]
    assert client.post("/api/v1/auth/logout", headers={"X-CSRF-Token": csrf}).status_code == 204
    client.cookies.set("sg_session", cookie)
    assert client.get("/api/v1/auth/me").status_code == 401


def test_changing_ones_password_signs_out_other_sessions(client, northfield):
    csrf = login(client).json()["csrf_token"]
    old_cookie = client.cookies["sg_session"]
    r = client.post("/api/v1/auth/password", headers={"X-CSRF-Token": csrf}, json={
        "current_password": PASSWORD, "new_password": "a-much-better-passphrase"})
    assert r.status_code == 204
    client.cookies.set("sg_session", old_cookie)
    assert client.get("/api/v1/auth/me").status_code == 401
    assert login(client, password="a-much-better-passphrase").status_code == 200


@pytest.mark.parametrize("current,new,status", [
    ("wrong current password", "a-much-better-passphrase", 403),
    (PASSWORD, "short", 422),
    (PASSWORD, "aaaaaaaaaaaaaaaa", 422),
])
def test_password_change_is_checked(client, northfield, current, new, status):
    r = client.post("/api/v1/auth/password", headers=northfield.auth("dsl"),
                    json={"current_password": current, "new_password": new})
    assert r.status_code == status


def test_a_script_token_works_until_revoked(client, northfield, db):
    created = client.post("/api/v1/auth/tokens", json={"name": "nightly export"},
                          headers=northfield.auth("dsl")).json()
    token = {"Authorization": f"Bearer {created['token']}"}
    assert client.get("/api/v1/auth/me", headers=token).json()["role"] == "dsl"
    assert created["token"] not in db.scalars(select(ApiToken.token_hash)).all()
    listed = client.get("/api/v1/auth/tokens", headers=token).json()
    assert "token" not in listed[0] and {t["name"] for t in listed} == {"tests", "nightly export"}
    r = client.delete(f"/api/v1/auth/tokens/{created['id']}", headers=northfield.auth("dsl"))
    assert r.status_code == 204
    assert client.get("/api/v1/auth/me", headers=token).status_code == 401


def test_nobody_can_revoke_someone_elses_token(client, northfield):
    created = client.post("/api/v1/auth/tokens", json={"name": "mine"},
                          headers=northfield.auth("dsl")).json()
    r = client.delete(f"/api/v1/auth/tokens/{created['id']}", headers=northfield.auth("admin"))
    assert r.status_code == 404


def test_an_expired_token_is_refused(client, northfield, db):
    from datetime import timedelta

    from api.db import utcnow

    created = client.post("/api/v1/auth/tokens", json={"name": "short", "expires_days": 1},
                          headers=northfield.auth("dsl")).json()
    row = db.get(ApiToken, created["id"])
    row.expires_at = utcnow() - timedelta(seconds=1)
    db.commit()
    r = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {created['token']}"})
    assert r.status_code == 401 and "expired" in r.json()["detail"]


def test_validation_errors_never_echo_a_password(client, northfield):
    r = client.post("/api/v1/auth/password", headers=northfield.auth("dsl"),
                    json={"current_password": ["hunter2-secret"], "new_password": 5})
    assert r.status_code == 422 and "hunter2-secret" not in r.text
