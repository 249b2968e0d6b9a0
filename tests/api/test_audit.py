"""The audit log: every read and decision is written, the DSL can query it, nobody can edit it."""
from __future__ import annotations

import pytest
from sqlalchemy import delete, text, update
from sqlalchemy.exc import DatabaseError

from api.audit import AuditLogIsAppendOnly
from api.models import AuditEvent
from tests.api.factories import hit, image_bytes, post_hit


@pytest.fixture
def incident(client, northfield) -> str:
    return post_hit(client, northfield.device, hit(), image_bytes()).json()["incident_id"]


def audit(client, world, **params):
    r = client.get("/api/v1/audit", params=params, headers=world.auth("dsl"))
    assert r.status_code == 200, r.text
    return r.json()


def actions(page) -> list[str]:
    return [e["action"] for e in page["items"]]


#: (what staff did, request, the audit action it must leave, target is the incident?)
AUDITED = [
    ("opened an incident", "GET", "/api/v1/incidents/{id}", None, "incident.read", True),
    ("looked at the screenshot", "GET", "/api/v1/incidents/{id}/screenshot", None,
     "screenshot.read", True),
    ("read the review history", "GET", "/api/v1/incidents/{id}/reviews", None,
     "incident.history_read", True),
    ("listed the queue", "GET", "/api/v1/incidents", None, "incident.list", False),
    ("decided", "POST", "/api/v1/incidents/{id}/reviews", {"decision": "concern"},
     "incident.reviewed", True),
    ("exported", "GET", "/api/v1/exports/incidents", None, "export.incidents", False),
    ("opened a pupil's timeline", "GET", "/api/v1/pupils/timeline?pupil=NFA%5Cj.carter", None,
     "pupil.timeline", False),
    ("changed settings", "PATCH", "/api/v1/school", {"retention_months": 6},
     "school.settings_changed", False),
    ("changed an alert rule", "POST", "/api/v1/alert-rules",
     {"name": "r", "trigger": "new_incident"}, "alert_rule.created", False),
    ("ran the retention purge", "POST", "/api/v1/retention/purge", None, "retention.purge",
     False),
]


@pytest.mark.parametrize("case,method,path,body,action,on_incident", AUDITED,
                         ids=[a[0] for a in AUDITED])
def test_what_staff_do_is_audited(client, northfield, incident, case, method, path, body,
                                  action, on_incident):
    r = client.request(method, path.format(id=incident), json=body,
                       headers=northfield.auth("dsl"))
    assert r.status_code < 300, r.text
    [event] = audit(client, northfield, action=action)["items"]
    assert event["actor_type"] == "staff" and event["actor_id"] == northfield.staff["dsl"].id
    assert event["ip"] == "testclient"
    if on_incident:
        assert event["target_id"] == incident


def test_the_queue_listing_records_which_incidents_were_shown(client, northfield, incident):
    client.get("/api/v1/incidents", headers=northfield.auth("reviewer"))
    [event] = audit(client, northfield, action="incident.list")["items"]
    assert event["detail"]["incident_ids"] == [incident]


def test_sign_ins_are_audited_including_failures(client, northfield):
    client.post("/api/v1/auth/login", json={"email": "dsl@northfield.example",
                                            "password": "wrong password!"})
    client.post("/api/v1/auth/login", json={"email": "dsl@northfield.example",
                                            "password": "correct-horse-battery-staple"})
    page = audit(client, northfield, action=["auth.login", "auth.login_failed"])
    assert actions(page) == ["auth.login", "auth.login_failed"]
    assert "password" not in str(page)


def test_the_log_holds_no_secrets_or_pupil_words(client, northfield, incident):
    client.get(f"/api/v1/incidents/{incident}", headers=northfield.auth("dsl"))
    client.post("/api/v1/auth/tokens", json={"name": "script"}, headers=northfield.auth("dsl"))
    text_of_log = str(audit(client, northfield, limit=500))
    assert "want to die" not in text_of_log
    assert "sgs_" not in text_of_log and "sgd_" not in text_of_log


def test_another_schools_audit_is_invisible(client, northfield, southfield, incident):
    client.get(f"/api/v1/incidents/{incident}", headers=northfield.auth("dsl"))
    assert audit(client, southfield, action="incident.read")["items"] == []


def test_audit_filters_and_pages(client, northfield, incident):
    for _ in range(5):
        client.get(f"/api/v1/incidents/{incident}", headers=northfield.auth("reviewer"))
    reviewer = northfield.staff["reviewer"].id
    first = audit(client, northfield, actor_id=reviewer, limit=3)
    rest = audit(client, northfield, actor_id=reviewer, limit=3, cursor=first["next_cursor"])
    ids = [e["id"] for e in first["items"] + rest["items"]]
    assert len(ids) == 5 and ids == sorted(ids, reverse=True)
    assert rest["next_cursor"] is None
    assert len(audit(client, northfield, target_id=incident)["items"]) == 5


def test_the_orm_refuses_to_change_the_log(client, northfield, incident, db):
    client.get(f"/api/v1/incidents/{incident}", headers=northfield.auth("dsl"))
    row = db.query(AuditEvent).filter_by(action="incident.read").one()
    row.action = "nothing.happened"
    with pytest.raises(AuditLogIsAppendOnly):
        db.flush()
    db.rollback()
    db.delete(db.query(AuditEvent).filter_by(action="incident.read").one())
    with pytest.raises(AuditLogIsAppendOnly):
        db.flush()
    db.rollback()


@pytest.mark.parametrize("statement", [
    update(AuditEvent).values(action="nothing.happened"),
    delete(AuditEvent),
    text("UPDATE audit_events SET actor_id = NULL"),
])
def test_the_database_refuses_to_change_the_log(client, northfield, incident, db, statement):
    """Even SQL that bypasses the ORM (a bug, a hand-typed fix) cannot rewrite history."""
    client.get(f"/api/v1/incidents/{incident}", headers=northfield.auth("dsl"))
    with pytest.raises(DatabaseError, match="append-only"):
        db.execute(statement)
    db.rollback()
    assert actions(audit(client, northfield, action="incident.read")) == ["incident.read"]
