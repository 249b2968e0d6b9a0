"""What the school's admin does: accounts, enrolment keys, devices (including silent ones)."""
from __future__ import annotations

from datetime import timedelta

import pytest

from api.db import utcnow
from api.models import Device


def test_a_new_account_gets_a_generated_password_shown_once(client, northfield):
    r = client.post("/api/v1/staff", headers=northfield.auth("admin"), json={
        "email": "Pastoral.Lead@Northfield.example", "name": "Sam Lee", "role": "dsl"})
    assert r.status_code == 201
    body = r.json()
    assert body["staff"]["email"] == "pastoral.lead@northfield.example"
    assert body["staff"]["school_name"] == "Northfield Academy"
    login = client.post("/api/v1/auth/login", json={
        "email": "pastoral.lead@northfield.example", "password": body["password"]})
    assert login.status_code == 200
    listed = client.get("/api/v1/staff", headers=northfield.auth("admin")).text
    assert body["password"] not in listed


@pytest.mark.parametrize("body,status,reason", [
    ({"email": "dsl@northfield.example", "name": "Dup", "role": "dsl"}, 409, "already exists"),
    ({"email": "x@y.example", "name": "Weak", "role": "dsl", "password": "short"}, 422,
     "at least"),
    ({"email": "not-an-email", "name": "X", "role": "dsl"}, 422, "email"),
    ({"email": "x@y.example", "name": "X", "role": "superuser"}, 422, "role"),
])
def test_bad_accounts_are_refused(client, northfield, body, status, reason):
    r = client.post("/api/v1/staff", json=body, headers=northfield.auth("admin"))
    assert r.status_code == status and reason in r.json()["detail"]


def test_changing_a_role_takes_effect_at_once(client, northfield):
    reviewer = northfield.staff["reviewer"].id
    assert client.get("/api/v1/audit", headers=northfield.auth("reviewer")).status_code == 403
    client.patch(f"/api/v1/staff/{reviewer}", json={"role": "dsl"},
                 headers=northfield.auth("admin"))
    # Old tokens are revoked on a role change: a promotion is a fresh sign-in.
    assert client.get("/api/v1/auth/me", headers=northfield.auth("reviewer")).status_code == 401


def test_an_admin_cannot_lock_themselves_out(client, northfield):
    admin = northfield.staff["admin"].id
    for change in ({"active": False}, {"role": "reviewer"}):
        r = client.patch(f"/api/v1/staff/{admin}", json=change, headers=northfield.auth("admin"))
        assert r.status_code == 409


def test_a_password_reset_unlocks_and_signs_out(client, northfield):
    reviewer = northfield.staff["reviewer"].id
    for _ in range(5):
        client.post("/api/v1/auth/login", json={"email": "reviewer@northfield.example",
                                                "password": "wrong password!"})
    r = client.post(f"/api/v1/staff/{reviewer}/reset-password", headers=northfield.auth("admin"))
    new = r.json()["password"]
    assert client.post("/api/v1/auth/login", json={"email": "reviewer@northfield.example",
                                                   "password": new}).status_code == 200


def test_enrolment_keys_are_shown_once_and_stored_hashed(client, northfield):
    created = client.post("/api/v1/enrolment-keys", json={"name": "ICT suite"},
                          headers=northfield.auth("admin")).json()
    assert created["key"].startswith("sge_") and created["prefix"] == created["key"][:10]
    listed = client.get("/api/v1/enrolment-keys", headers=northfield.auth("admin")).json()
    assert all("key" not in k for k in listed)
    enrol = client.post("/api/v1/devices/enrol", json={
        "enrolment_key": created["key"], "hostname": "ICT-01", "agent_version": "1"})
    assert enrol.status_code == 201
    listed = client.get("/api/v1/enrolment-keys", headers=northfield.auth("admin")).json()
    assert next(k for k in listed if k["id"] == created["id"])["uses"] == 1


@pytest.mark.parametrize("minutes_ago,silent", [(None, True), (5, False), (119, False),
                                                (121, True)])
def test_a_device_silent_past_the_schools_period_shows_as_silent(client, northfield, db,
                                                                 minutes_ago, silent):
    device = db.get(Device, northfield.device_id)
    device.last_seen_at = None if minutes_ago is None else utcnow() - timedelta(
        minutes=minutes_ago)
    db.commit()
    [listed] = client.get("/api/v1/devices", headers=northfield.auth("dsl")).json()
    assert listed["silent"] is silent
    only_silent = client.get("/api/v1/devices", params={"silent": True},
                             headers=northfield.auth("dsl")).json()
    assert len(only_silent) == int(silent)


def test_the_silent_period_is_a_school_setting(client, northfield, db):
    device = db.get(Device, northfield.device_id)
    device.last_seen_at = utcnow() - timedelta(minutes=30)
    db.commit()
    client.patch("/api/v1/school", json={"device_silent_after_minutes": 15},
                 headers=northfield.auth("dsl"))
    [listed] = client.get("/api/v1/devices", headers=northfield.auth("admin")).json()
    assert listed["silent"] is True


def test_a_heartbeat_makes_a_silent_device_heard(client, northfield):
    client.post("/api/v1/devices/heartbeat", headers=northfield.device, json={
        "agent_version": "1", "spool_depth": 0, "dropped_screenshots": 0})
    [listed] = client.get("/api/v1/devices", headers=northfield.auth("admin")).json()
    assert listed["silent"] is False and listed["last_seen_at"] is not None


def test_a_revoked_device_is_not_silent_it_is_revoked(client, northfield):
    client.post(f"/api/v1/devices/{northfield.device_id}/revoke",
                headers=northfield.auth("admin"))
    [listed] = client.get("/api/v1/devices", headers=northfield.auth("admin")).json()
    assert listed["revoked_at"] is not None and listed["silent"] is False
