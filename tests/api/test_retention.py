"""Retention: evidence older than the school's period is purged, and the purge is audited."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from api.models import AuditEvent, Incident, Review
from api.retention import months_before, purge_expired, sweep_orphan_blobs
from tests.api.factories import hit, image_bytes, post_hit


@pytest.mark.parametrize("moment,months,expected", [
    ("2025-06-15", 15, "2024-03-15"),
    ("2025-03-31", 1, "2025-02-28"),
    ("2024-03-31", 1, "2024-02-29"),
    ("2025-01-10", 1, "2024-12-10"),
    ("2025-01-10", 120, "2015-01-10"),
])
def test_months_before(moment, months, expected):
    as_date = datetime.fromisoformat(moment).replace(tzinfo=UTC)
    assert months_before(as_date, months).date().isoformat() == expected


@pytest.fixture
def evidence(client, northfield):
    """Three incidents: 16 months old, 14 months old, and this morning's; the old two share
    a screenshot with each other, the new one has its own."""
    now = datetime.now(UTC)
    shared, own = image_bytes(size=(40, 40)), image_bytes(size=(50, 50))
    ids = {}
    for name, age_days, shot in [("16 months", 487, shared), ("14 months", 426, shared),
                                 ("today", 0.1, own)]:
        r = post_hit(client, northfield.device, hit(
            context=f"{name}: i want to die", observed_at=now - timedelta(days=age_days)), shot)
        ids[name] = r.json()["incident_id"]
    client.post(f"/api/v1/incidents/{ids['16 months']}/reviews", json={"decision": "concern"},
                headers=northfield.auth("dsl"))
    return ids | {"shared": shared, "own": own}


def remaining(db) -> set[str]:
    db.expire_all()
    return set(db.scalars(select(Incident.id)))


def test_the_default_fifteen_months_purges_only_older_evidence(client, northfield, evidence,
                                                                services, db):
    [result] = purge_expired(services.session_factory, services.blobs)
    assert result.incidents_purged == 1
    assert remaining(db) == {evidence["14 months"], evidence["today"]}
    assert db.scalars(select(Review)).all() == []  # its review history went with it
    # The shared screenshot is still evidence for the 14-month-old incident.
    assert services.blobs.exists(services.blobs.key_for(evidence["shared"]))


def test_a_shorter_period_purges_more_and_the_last_user_takes_the_screenshot(
        client, northfield, evidence, services, db):
    client.patch("/api/v1/school", json={"retention_months": 12}, headers=northfield.auth("dsl"))
    r = client.post("/api/v1/retention/purge", headers=northfield.auth("dsl"))
    assert r.status_code == 200
    assert (r.json()["incidents_purged"], r.json()["screenshots_deleted"]) == (2, 1)
    assert remaining(db) == {evidence["today"]}
    assert not services.blobs.exists(services.blobs.key_for(evidence["shared"]))
    assert services.blobs.exists(services.blobs.key_for(evidence["own"]))
    gone = client.get(f"/api/v1/incidents/{evidence['14 months']}", headers=northfield.auth("dsl"))
    assert gone.status_code == 404


def test_the_purge_is_audited_by_whom_and_how_much(client, northfield, evidence, db):
    client.post("/api/v1/retention/purge", headers=northfield.auth("dsl"))
    event = db.scalars(select(AuditEvent).where(AuditEvent.action == "retention.purge")).one()
    assert event.actor_id == northfield.staff["dsl"].id and event.school_id == northfield.id
    assert event.detail["incidents_purged"] == 1 and event.detail["retention_months"] == 15


def test_the_scheduled_purge_is_audited_as_the_system(client, northfield, evidence, services,
                                                      db):
    purge_expired(services.session_factory, services.blobs)
    event = db.scalars(select(AuditEvent).where(AuditEvent.action == "retention.purge")).one()
    assert event.actor_type == "system" and event.actor_id is None


def test_each_school_keeps_its_own_period(client, northfield, southfield, services, db):
    old = datetime.now(UTC) - timedelta(days=200)
    for world in (northfield, southfield):
        post_hit(client, world.device, hit(observed_at=old))
    client.patch("/api/v1/school", json={"retention_months": 6}, headers=northfield.auth("dsl"))
    results = {r.school_id: r.incidents_purged
               for r in purge_expired(services.session_factory, services.blobs)}
    assert results == {northfield.id: 1, southfield.id: 0}


def test_a_future_dated_hit_is_purged_by_when_it_arrived(client, northfield, services, db):
    """A device with a clock years ahead must not keep its evidence for ever."""
    post_hit(client, northfield.device, hit(observed_at=datetime.now(UTC)
                                            + timedelta(days=3650)))
    later = datetime.now(UTC) + timedelta(days=16 * 31)
    [result] = purge_expired(services.session_factory, services.blobs, now=later)
    assert result.incidents_purged == 1


def test_orphaned_screenshots_are_swept_after_a_grace_period(client, northfield, services, db):
    post_hit(client, northfield.device, hit(), image_bytes(size=(10, 10)))
    orphan = services.blobs.put(b"\x89PNG left by a failed ingest")
    now = datetime.now(UTC)
    assert sweep_orphan_blobs(db, services.blobs, now) == 0  # too young: may be mid-ingest
    assert sweep_orphan_blobs(db, services.blobs, now + timedelta(hours=2)) == 1
    assert not services.blobs.exists(orphan)
    assert len(services.blobs.all_keys()) == 1
