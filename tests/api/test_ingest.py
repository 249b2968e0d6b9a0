"""Agents in: enrolment, hits (idempotent, validated, nothing stored on error), heartbeats."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from api.library import library_version
from api.models import Device, Incident
from tests.api.factories import AGENT_LIBRARY_VERSION, hit, image_bytes, post_hit


def incident_count(services) -> int:
    with services.session_factory() as session:
        return session.scalar(select(func.count()).select_from(Incident))


def stored_blobs(services) -> list[str]:
    return services.blobs.all_keys()


# --- enrolment -----------------------------------------------------------------------------

def test_enrolment_key_gives_a_device_identity_that_works(client, northfield):
    r = client.post("/api/v1/devices/enrol", json={
        "enrolment_key": northfield.enrolment_key, "hostname": "NFA-LIB-07",
        "agent_version": "0.3.1"})
    assert r.status_code == 201
    body = r.json()
    assert body["school_id"] == northfield.id and body["device_token"].startswith("sgd_")
    beat = client.post("/api/v1/devices/heartbeat", headers={
        "Authorization": f"Bearer {body['device_token']}"}, json={
        "agent_version": "0.3.1", "spool_depth": 0, "dropped_screenshots": 0,
        "last_capture_at": None, "last_error": None})
    assert beat.status_code == 200


def test_device_token_is_stored_hashed(client, northfield, db):
    body = client.post("/api/v1/devices/enrol", json={
        "enrolment_key": northfield.enrolment_key, "hostname": "h", "agent_version": "1"}).json()
    device = db.get(Device, body["device_id"])
    assert device.token_hash != body["device_token"]
    assert body["device_token"] not in device.token_hash


@pytest.mark.parametrize("key", ["sge_wrong", ""])
def test_wrong_enrolment_key_is_refused(client, northfield, key):
    r = client.post("/api/v1/devices/enrol", json={"enrolment_key": key, "hostname": "h",
                                                   "agent_version": "1"})
    assert r.status_code in (401, 422)
    assert isinstance(r.json()["detail"], str)


def test_revoked_enrolment_key_is_refused(client, northfield, db):
    keys = client.get("/api/v1/enrolment-keys", headers=northfield.auth("admin")).json()
    client.post(f"/api/v1/enrolment-keys/{keys[0]['id']}/revoke",
                headers=northfield.auth("admin"))
    r = client.post("/api/v1/devices/enrol", json={
        "enrolment_key": northfield.enrolment_key, "hostname": "h", "agent_version": "1"})
    assert r.status_code == 401


# --- hits ----------------------------------------------------------------------------------

def test_a_hit_becomes_a_new_incident_with_its_evidence(client, northfield, services, db):
    shot = image_bytes("PNG")
    r = post_hit(client, northfield.device, hit(), shot)
    assert r.status_code == 201
    assert r.json()["status"] == "new" and r.json()["duplicate"] is False
    incident = db.get(Incident, r.json()["incident_id"])
    assert incident.device_id == northfield.device_id  # from the token, not the body
    assert incident.school_id == northfield.id
    assert incident.model_version == "keywords-only"
    assert incident.library_version == AGENT_LIBRARY_VERSION
    assert incident.scores == {"suicide": 1.0}
    assert incident.context[incident.start:incident.end] == "want to die"
    assert incident.boxes == [{"x": 10, "y": 20, "w": 120, "h": 18}]
    assert incident.screenshot_key == services.blobs.key_for(shot)  # content address, no path
    assert services.blobs.get(incident.screenshot_key) == shot


def test_a_retry_returns_the_same_incident_and_stores_nothing_new(client, northfield, services):
    record = hit()
    first = post_hit(client, northfield.device, record, image_bytes())
    retry = post_hit(client, northfield.device, record, image_bytes())
    assert (first.status_code, retry.status_code) == (201, 200)
    assert retry.json() == {"incident_id": first.json()["incident_id"], "status": "new",
                            "duplicate": True}
    assert incident_count(services) == 1


def test_same_hit_key_from_two_devices_is_two_incidents(client, northfield, southfield,
                                                        services):
    record = hit()
    a = post_hit(client, northfield.device, record)
    b = post_hit(client, southfield.device, record)
    assert a.status_code == b.status_code == 201
    assert a.json()["incident_id"] != b.json()["incident_id"]


@pytest.mark.parametrize("fmt,mime", [("PNG", "image/png"), ("JPEG", "image/jpeg"),
                                      ("WEBP", "image/webp")])
def test_screenshot_formats_accepted(client, northfield, db, fmt, mime):
    r = post_hit(client, northfield.device, hit(), image_bytes(fmt), content_type=mime)
    assert r.status_code == 201
    assert db.get(Incident, r.json()["incident_id"]).screenshot_type == mime


def test_a_hit_without_screenshot_is_fine(client, northfield, db):
    r = post_hit(client, northfield.device, hit())
    assert r.status_code == 201
    assert db.get(Incident, r.json()["incident_id"]).screenshot_key is None


def _truncated_png() -> bytes:
    data = image_bytes("PNG", (300, 300))
    return data[: len(data) // 2]


def _gif() -> bytes:
    return image_bytes("GIF")


BAD_UPLOADS = [
    # (what the agent sent, hit text, screenshot bytes, expected status, words in the reason)
    ("not JSON", "{not json", None, 400, "not valid JSON"),
    ("JSON that is not an object", "[1, 2]", None, 422, "JSON object"),
    ("unknown category", json.dumps(hit(category="sadness", phrase="want to die")), None, 422,
     "unknown category"),
    ("offsets outside the context", json.dumps(hit(start=5, end=500)), None, 422, "start/end"),
    ("a time without a zone", json.dumps(hit(observed_at=None) | {
        "observed_at": "2025-03-01T10:00:00"}), None, 422, "time zone"),
    ("missing fields", json.dumps({"key": "k"}), None, 422, "missing field"),
    ("severity out of range", json.dumps(hit(severity=9)), None, 422, "severity"),
    ("a text file named .png", json.dumps(hit()), b"this is not an image at all", 415,
     "PNG, WebP or JPEG"),
    ("a truncated PNG", json.dumps(hit()), _truncated_png(), 415, "decoded"),
    ("a GIF", json.dumps(hit()), _gif(), 415, "not GIF"),
    ("an empty file", json.dumps(hit()), b"", 422, "empty"),
]


@pytest.mark.parametrize("case,hit_text,screenshot,status,reason", BAD_UPLOADS,
                         ids=[c[0] for c in BAD_UPLOADS])
def test_bad_uploads_get_a_clear_4xx_and_store_nothing(client, northfield, services, case,
                                                       hit_text, screenshot, status, reason):
    r = post_hit(client, northfield.device, hit_text, screenshot)
    assert r.status_code == status, r.text
    assert reason in r.json()["detail"]
    assert incident_count(services) == 0
    assert stored_blobs(services) == []


def test_missing_hit_field_is_a_422_naming_it(client, northfield, services):
    r = client.post("/api/v1/hits", files={"screenshot": ("s.png", image_bytes(), "image/png")},
                    headers=northfield.device)
    assert r.status_code == 422 and "hit" in r.json()["detail"]
    assert incident_count(services) == 0


def test_oversized_screenshot_is_413_and_stores_nothing(client, northfield, services):
    too_big = image_bytes() + b"\0" * (5 * 1024 * 1024 + 1)
    r = post_hit(client, northfield.device, hit(), too_big)
    assert r.status_code == 413 and "larger than" in r.json()["detail"]
    assert incident_count(services) == 0 and stored_blobs(services) == []


def test_screenshot_just_under_the_limit_but_not_an_image_is_415(client, northfield, services):
    r = post_hit(client, northfield.device, hit(), b"\x89PNG" + b"\0" * (5 * 1024 * 1024 - 10))
    assert r.status_code == 415
    assert incident_count(services) == 0


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer sgd_not-a-token"},
                                     {"Authorization": "Basic dXNlcjpwYXNz"}])
def test_hits_need_a_device_token(client, northfield, services, headers):
    r = post_hit(client, headers, hit(), image_bytes())
    assert r.status_code == 401
    assert incident_count(services) == 0


def test_a_staff_token_cannot_send_hits(client, northfield, services):
    r = post_hit(client, northfield.auth("admin"), hit())
    assert r.status_code == 401
    assert incident_count(services) == 0


def test_a_revoked_device_is_refused_at_once(client, northfield, services):
    client.post(f"/api/v1/devices/{northfield.device_id}/revoke", headers=northfield.auth("admin"))
    assert post_hit(client, northfield.device, hit()).status_code == 401
    assert client.get("/api/v1/phrases/overlay", headers=northfield.device).status_code == 401


def test_a_store_that_cannot_write_is_507_and_the_hit_is_not_stored(client, northfield,
                                                                    services):
    """As on a full disk: the OS refuses the write (here a file blocks the blob's folder)."""
    shot = image_bytes()
    (services.blobs.root / services.blobs.key_for(shot)[:2]).write_bytes(b"in the way")
    r = post_hit(client, northfield.device, hit(), shot)
    assert r.status_code == 507 and "cannot write" in r.json()["detail"]
    assert incident_count(services) == 0


# --- heartbeat and overlay -----------------------------------------------------------------

def test_heartbeat_records_the_device_state(client, northfield, db):
    r = client.post("/api/v1/devices/heartbeat", headers=northfield.device, json={
        "agent_version": "0.4.0", "spool_depth": 12, "dropped_screenshots": 3,
        "last_capture_at": "2025-05-01T08:00:00Z", "last_error": "tesseract timed out"})
    assert r.status_code == 200
    assert r.json()["library_version"] == library_version()  # the shipped library's
    assert r.json()["overlay_version"] == "none"
    device = db.get(Device, northfield.device_id)
    assert (device.agent_version, device.spool_depth, device.dropped_screenshots) == (
        "0.4.0", 12, 3)
    assert device.last_error == "tesseract timed out" and device.last_seen_at is not None


@pytest.mark.parametrize("body", [
    {"agent_version": "1", "spool_depth": -1, "dropped_screenshots": 0},
    {"agent_version": "1", "spool_depth": 0},
    {"agent_version": "1", "spool_depth": 0, "dropped_screenshots": 0, "last_capture_at": "soon"},
    {"agent_version": "1", "spool_depth": 0, "dropped_screenshots": 0,
     "last_capture_at": "2025-05-01T08:00:00"},  # no zone: whose 8 o'clock?
])
def test_bad_heartbeats_are_422(client, northfield, body):
    r = client.post("/api/v1/devices/heartbeat", headers=northfield.device, json=body)
    assert r.status_code == 422 and r.json()["detail"]


def test_overlay_changes_reach_the_device(client, northfield):
    overlay = {"add": [{"phrase": "skibidi knife", "category": "violence", "severity": 3}],
               "exclude": [{"phrase": "kill", "category": "violence",
                            "reason": "games club uses it constantly"}]}
    put = client.put("/api/v1/school/overlay", json=overlay, headers=northfield.auth("admin"))
    assert put.status_code == 200
    version = put.json()["overlay_version"]
    assert version != "none"
    beat = client.post("/api/v1/devices/heartbeat", headers=northfield.device, json={
        "agent_version": "1", "spool_depth": 0, "dropped_screenshots": 0})
    assert beat.json()["overlay_version"] == version
    fetched = client.get("/api/v1/phrases/overlay", headers=northfield.device).json()
    assert fetched["overlay_version"] == version
    assert fetched["overlay"]["add"][0]["phrase"] == "skibidi knife"
    assert fetched["overlay"]["exclude"][0]["reason"] == "games club uses it constantly"


def test_another_schools_overlay_is_not_sent(client, northfield, southfield):
    client.put("/api/v1/school/overlay", headers=northfield.auth("admin"), json={
        "add": [{"phrase": "northfield only", "category": "bullying", "severity": 2}]})
    fetched = client.get("/api/v1/phrases/overlay", headers=southfield.device).json()
    assert fetched["overlay"]["add"] == [] and fetched["overlay_version"] == "none"


@pytest.mark.parametrize("overlay,reason", [
    ({"add": [{"phrase": "x", "category": "bullying", "severity": 2}]}, "phrase"),
    ({"add": [{"phrase": "ok phrase", "category": "sadness", "severity": 2}]}, "category"),
    ({"exclude": [{"phrase": "kill"}]}, "reason"),
    ({"add": [{"phrase": "ok phrase", "category": "bullying", "severity": 7}]}, "severity"),
])
def test_a_bad_overlay_is_refused_with_the_reason(client, northfield, overlay, reason):
    r = client.put("/api/v1/school/overlay", json=overlay, headers=northfield.auth("admin"))
    assert r.status_code == 422 and reason in r.json()["detail"]
