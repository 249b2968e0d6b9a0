"""Decisions on incidents: innocent / concern / urgent, corrections, promotion, history."""
from __future__ import annotations

import pytest

from api.models import Incident
from tests.api.factories import AGENT_LIBRARY_VERSION, CueJudge, hit, post_hit


@pytest.fixture
def judge():
    return CueJudge()


@pytest.fixture
def incident(client, northfield) -> str:
    return post_hit(client, northfield.device, hit()).json()["incident_id"]


@pytest.fixture
def suppressed(client, northfield) -> str:
    r = post_hit(client, northfield.device, hit(
        context="my homework makes me want to die", phrase="want to die"))
    assert r.json()["status"] == "suppressed"
    return r.json()["incident_id"]


def review(client, world, incident_id, role="reviewer", **body):
    return client.post(f"/api/v1/incidents/{incident_id}/reviews", json=body,
                       headers=world.auth(role))


def detail(client, world, incident_id, role="reviewer"):
    return client.get(f"/api/v1/incidents/{incident_id}", headers=world.auth(role)).json()


@pytest.mark.parametrize("decision", ["innocent", "concern", "urgent"])
def test_a_decision_leaves_the_queue_and_is_recorded(client, northfield, incident, decision):
    r = review(client, northfield, incident, decision=decision, note="checked with form tutor")
    assert r.status_code == 201
    d = detail(client, northfield, incident)
    assert (d["status"], d["decision"]) == ("reviewed", decision)
    assert d["reviewed_by"] == northfield.staff["reviewer"].id
    queue = client.get("/api/v1/incidents", headers=northfield.auth("reviewer")).json()
    assert incident not in [i["id"] for i in queue["items"]]


def test_history_keeps_every_change_in_order(client, northfield, incident):
    review(client, northfield, incident, decision="concern", note="first look")
    review(client, northfield, incident, role="dsl", decision="urgent", category="self_harm",
           note="spoke to pupil; referred")
    history = client.get(f"/api/v1/incidents/{incident}/reviews",
                         headers=northfield.auth("dsl")).json()
    assert [(h["decision"], h["status_before"], h["category_before"], h["category_after"],
             h["staff_name"], h["note"]) for h in history] == [
        ("concern", "new", "suicide", "suicide", "Reviewer of Northfield Academy", "first look"),
        ("urgent", "reviewed", "suicide", "self_harm", "Dsl of Northfield Academy",
         "spoke to pupil; referred"),
    ]
    d = detail(client, northfield, incident)
    assert (d["decision"], d["category"], d["phrase_category"]) == ("urgent", "self_harm",
                                                                     "suicide")
    assert d["reviews"] == history


def test_a_dsl_decision_acknowledges_a_reviewer_decision_does_not(client, northfield, incident):
    review(client, northfield, incident, decision="urgent")
    assert detail(client, northfield, incident)["dsl_acknowledged_at"] is None
    review(client, northfield, incident, role="dsl", decision="urgent")
    assert detail(client, northfield, incident)["dsl_acknowledged_at"] is not None


@pytest.mark.parametrize("body,field", [
    ({"decision": "maybe"}, "decision"),
    ({"decision": "concern", "category": "sadness"}, "category"),
    ({}, "decision"),
    ({"decision": "concern", "note": "x" * 5000}, "note"),
])
def test_bad_reviews_are_422(client, northfield, incident, body, field):
    r = client.post(f"/api/v1/incidents/{incident}/reviews", json=body,
                    headers=northfield.auth("reviewer"))
    assert r.status_code == 422 and r.json()["detail"].startswith(field)
    assert detail(client, northfield, incident)["status"] == "new"


def test_a_suppressed_incident_can_be_promoted_back_to_the_queue(client, northfield,
                                                                 suppressed, db):
    queue = client.get("/api/v1/incidents", headers=northfield.auth("reviewer")).json()
    assert suppressed not in [i["id"] for i in queue["items"]]
    r = client.post(f"/api/v1/incidents/{suppressed}/promote", json={"note": "not homework"},
                    headers=northfield.auth("reviewer"))
    assert r.status_code == 200
    assert (r.json()["action"], r.json()["status_before"], r.json()["status_after"]) == (
        "promote", "suppressed", "new")
    queue = client.get("/api/v1/incidents", headers=northfield.auth("reviewer")).json()
    assert queue["items"][0]["id"] == suppressed  # ranked by severity, not the model's doubt
    incident = db.get(Incident, suppressed)
    assert incident.probability == pytest.approx(0.05)  # the model's own score is kept


def test_only_suppressed_incidents_can_be_promoted(client, northfield, incident):
    r = client.post(f"/api/v1/incidents/{incident}/promote", json={},
                    headers=northfield.auth("reviewer"))
    assert r.status_code == 409 and "only suppressed" in r.json()["detail"]


def test_a_suppressed_incident_can_be_decided_directly(client, northfield, suppressed):
    assert review(client, northfield, suppressed, decision="innocent").status_code == 201
    assert detail(client, northfield, suppressed)["status"] == "reviewed"


def test_detail_has_the_evidence_and_every_score(client, northfield, incident):
    d = detail(client, northfield, incident)
    assert d["highlight"] == {"before": "honestly i ", "match": "want to die",
                              "after": ", nobody would notice"}
    assert d["scores"] == {"suicide": 0.9, "none": 0.1}
    assert (d["model_version"], d["library_version"]) == ("cue-judge-1",
                                                          AGENT_LIBRARY_VERSION)
    assert d["device_hostname"] == "NORTHFIELD-PC-01"
    assert d["screenshot_url"] is None and d["boxes"] == [{"x": 10, "y": 20, "w": 120, "h": 18}]
