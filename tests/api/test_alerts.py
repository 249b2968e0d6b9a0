"""Alert emails, received by a real SMTP server (aiosmtpd on 127.0.0.1), and escalation."""
from __future__ import annotations

from datetime import timedelta

import pytest

from api.alerts import deliver_due_alerts, escalate_waiting
from api.db import utcnow
from api.mailer import Mailer
from api.models import AuditEvent, Incident
from tests.api.factories import CueJudge, free_port, hit, post_hit


@pytest.fixture
def judge():
    return CueJudge()


def add_rule(client, world, **rule):
    r = client.post("/api/v1/alert-rules", json={"name": "rule", **rule},
                    headers=world.auth("dsl"))
    assert r.status_code == 201, r.text
    return r.json()


@pytest.fixture
def standard_rules(client, northfield):
    """The issue's example: severity >= 4, or category in {suicide, sexual_exploitation}."""
    add_rule(client, northfield, trigger="new_incident", min_severity=4)
    add_rule(client, northfield, trigger="new_incident",
             categories=["suicide", "sexual_exploitation"])


ARRIVALS = [
    # (what arrives, hit, emailed?)
    ("severity 5 suicide risk", hit(), True),
    ("severity 4 violence", hit(context="i will stab him tomorrow", phrase="stab",
                                category="violence", severity=4), True),
    ("severity 3 grooming sign", hit(context="add me on snap", phrase="add me on snap",
                                     category="sexual_exploitation", severity=3), True),
    ("severity 3 bullying", hit(context="nobody likes you", phrase="nobody likes you",
                                category="bullying", severity=3), False),
    ("severity 5 the model judged innocent", hit(
        context="my homework makes me want to die"), False),
]


@pytest.mark.parametrize("case,record,emailed", ARRIVALS, ids=[a[0] for a in ARRIVALS])
def test_matching_incidents_email_the_dsl_at_once(client, northfield, standard_rules, inbox,
                                                  db, case, record, emailed):
    r = post_hit(client, northfield.device, record)
    assert r.status_code == 201
    if not emailed:
        assert inbox.messages == []
        return
    [message] = inbox.messages
    assert message["to"] == ["dsl@northfield.example"]
    assert "Northfield Academy" in message["body"]
    assert f"/incidents/{r.json()['incident_id']}" in message["body"]
    # Mail is not a secure channel: no pupil words, no login.
    assert record["context"] not in message["body"] and "j.carter" not in message["body"]
    assert db.get(Incident, r.json()["incident_id"]).alerted_at is not None


def test_each_incident_is_emailed_once_even_if_two_rules_match(client, northfield,
                                                               standard_rules, inbox):
    post_hit(client, northfield.device, hit())  # severity 5 AND suicide
    assert len(inbox.messages) == 1


def test_rule_recipients_replace_the_dsl(client, northfield, inbox):
    add_rule(client, northfield, trigger="new_incident", min_severity=5,
             recipients=["Head@Northfield.example", "deputy.dsl@northfield.example"])
    post_hit(client, northfield.device, hit())
    assert sorted(inbox.messages[0]["to"]) == ["deputy.dsl@northfield.example",
                                               "head@northfield.example"]


def test_a_disabled_rule_sends_nothing(client, northfield, inbox):
    add_rule(client, northfield, trigger="new_incident", min_severity=1, enabled=False)
    post_hit(client, northfield.device, hit())
    assert inbox.messages == []


def test_another_schools_rules_do_not_fire(client, northfield, southfield, inbox):
    add_rule(client, southfield, trigger="new_incident", min_severity=1)
    post_hit(client, northfield.device, hit())
    assert inbox.messages == []


def test_an_smtp_outage_keeps_the_alert_due_and_it_is_sent_later(client, northfield,
                                                                 standard_rules, inbox,
                                                                 services, settings, db):
    down = Mailer(settings.model_copy(update={"smtp_port": free_port()}))  # nobody listens
    services.mailer, real = down, services.mailer
    incident_id = post_hit(client, northfield.device, hit()).json()["incident_id"]
    assert inbox.messages == []
    assert db.get(Incident, incident_id).alerted_at is None
    services.mailer = real
    assert deliver_due_alerts(services.session_factory, real, settings.public_url) == 1
    assert len(inbox.messages) == 1
    assert deliver_due_alerts(services.session_factory, real, settings.public_url) == 0


def test_alert_sent_is_audited(client, northfield, standard_rules, inbox, db):
    incident_id = post_hit(client, northfield.device, hit()).json()["incident_id"]
    row = db.query(AuditEvent).filter_by(action="alert.sent").one()
    assert row.target_id == incident_id and row.detail["recipients"] == [
        "dsl@northfield.example"]


@pytest.mark.parametrize("rule,reason", [
    ({"trigger": "escalation"}, "after_minutes"),
    ({"trigger": "new_incident", "after_minutes": 5}, "escalation rules only"),
    ({"trigger": "new_incident", "categories": ["sadness"]}, "categories"),
    ({"trigger": "new_incident", "recipients": ["not an email"]}, "recipients"),
    ({"trigger": "sometimes"}, "trigger"),
])
def test_bad_rules_are_422(client, northfield, rule, reason):
    r = client.post("/api/v1/alert-rules", json={"name": "x", **rule},
                    headers=northfield.auth("dsl"))
    assert r.status_code == 422 and reason in r.json()["detail"]


# --- escalation ----------------------------------------------------------------------------

@pytest.fixture
def escalation(client, northfield, standard_rules, inbox):
    add_rule(client, northfield, trigger="escalation", after_minutes=30)
    inbox.messages.clear()


def escalate(services, settings, minutes_from_now: float) -> int:
    return escalate_waiting(services.session_factory, services.mailer, settings.public_url,
                            now=utcnow() + timedelta(minutes=minutes_from_now))


def review(client, world, incident_id, role, decision):
    r = client.post(f"/api/v1/incidents/{incident_id}/reviews", json={"decision": decision},
                    headers=world.auth(role))
    assert r.status_code == 201


def test_an_alerting_incident_nobody_reviews_escalates_after_the_wait(
        client, northfield, escalation, inbox, services, settings, db):
    incident_id = post_hit(client, northfield.device, hit()).json()["incident_id"]
    inbox.messages.clear()
    assert escalate(services, settings, 29) == 0
    assert escalate(services, settings, 31) == 1
    [message] = inbox.messages
    assert "Escalation" in message["subject"] and incident_id in message["body"]
    assert escalate(services, settings, 60) == 0  # once only
    db.expire_all()
    assert db.get(Incident, incident_id).escalated_at is not None


@pytest.mark.parametrize("reviews,escalates", [
    ([("reviewer", "urgent")], True),     # a reviewer's urgent waits for the DSL
    ([("reviewer", "concern")], True),
    ([("reviewer", "innocent")], False),  # nothing to escalate
    ([("dsl", "urgent")], False),         # the DSL has seen it
    ([("reviewer", "urgent"), ("dsl", "concern")], False),
])
def test_serious_decisions_wait_for_the_dsl(client, northfield, escalation, inbox, services,
                                            settings, reviews, escalates):
    incident_id = post_hit(client, northfield.device, hit(
        context="nobody likes you", phrase="nobody likes you", category="bullying",
        severity=3)).json()["incident_id"]  # matches no alert rule: only decisions count
    for role, decision in reviews:
        review(client, northfield, incident_id, role, decision)
    assert escalate(services, settings, 31) == int(escalates)
    assert len(inbox.messages) == int(escalates)


def test_escalation_is_audited(client, northfield, escalation, services, settings, db):
    incident_id = post_hit(client, northfield.device, hit()).json()["incident_id"]
    escalate(services, settings, 45)
    row = db.query(AuditEvent).filter_by(action="alert.escalated").one()
    assert row.target_id == incident_id and row.school_id == northfield.id
