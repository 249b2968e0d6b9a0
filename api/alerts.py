"""Alert rules: who is emailed at once, and what escalates when nobody acts on it.

A rule's conditions (minimum severity, categories) must all hold; an unset condition always
holds. Two kinds of rule:
- `new_incident`: an incident entering the queue that matches is emailed at once. Delivery is
  at-least-once: the incident stays `alert_due` until a send succeeds, and the job retries.
- `escalation`: a serious incident waiting too long for a DSL is emailed (once). Waiting means
  either still unreviewed after matching a `new_incident` rule, or decided `concern`/`urgent`
  by a reviewer and not yet seen by a DSL (a DSL's own review acknowledges it).
Emails say what and where, never the pupil's words or name: mail is not a secure channel. The
link needs a sign-in.
"""
from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session, sessionmaker

from api import audit
from api.db import utcnow
from api.domain import AlertTrigger, Decision, IncidentStatus, Role
from api.mailer import Mailer, MailError
from api.models import AlertRule, Device, Incident, School, Staff
from classifier.taxonomy import category as category_info

log = logging.getLogger(__name__)


def rule_matches(rule: AlertRule, incident: Incident) -> bool:
    if not rule.enabled:
        return False
    if rule.min_severity is not None and incident.severity < rule.min_severity:
        return False
    return not rule.categories or incident.category in rule.categories


def _rules(session: Session, school_id: str, trigger: AlertTrigger) -> list[AlertRule]:
    return list(session.scalars(select(AlertRule).where(
        AlertRule.school_id == school_id, AlertRule.trigger == trigger,
        AlertRule.enabled.is_(True))))


def new_incident_rules_match(session: Session, incident: Incident) -> bool:
    return any(rule_matches(r, incident)
               for r in _rules(session, incident.school_id, AlertTrigger.NEW_INCIDENT))


def recipients(session: Session, school_id: str, rules: Iterable[AlertRule]) -> list[str]:
    """The rules' addresses; a rule without any means every active DSL of the school."""
    addresses: set[str] = set()
    for rule in rules:
        if rule.recipients:
            addresses.update(rule.recipients)
        else:
            addresses.update(session.scalars(select(Staff.email).where(
                Staff.school_id == school_id, Staff.role == Role.DSL, Staff.active.is_(True))))
    return sorted(addresses)


def _message(session: Session, incident: Incident, public_url: str, why: str) -> tuple[str, str]:
    school = session.get(School, incident.school_id)
    device = session.get(Device, incident.device_id)
    label = category_info(incident.category).label
    subject = f"[Safeguarding] {why}: {label}, severity {incident.severity}"
    body = "\n".join([
        f"{why} at {school.name if school else 'your school'}.",
        "",
        f"Category: {label}",
        f"Severity: {incident.severity} of 5",
        f"Status:   {incident.status}" + (f" ({incident.decision})" if incident.decision else ""),
        f"Seen at:  {incident.observed_at:%Y-%m-%d %H:%M} UTC on {device.hostname if device else '?'}",
        "",
        f"Open the incident (sign-in required): {public_url}/incidents/{incident.id}",
        "",
        "The pupil's words and the screenshot are only shown after signing in.",
    ])
    return subject, body


def deliver_due_alerts(factory: sessionmaker[Session], mailer: Mailer, public_url: str,
                       incident_ids: Iterable[str] | None = None) -> int:
    """Email every incident whose alert is due and not yet sent; returns how many were sent."""
    sent = 0
    if not mailer.configured:
        return 0  # stays due; the start-up log says SMTP is not configured
    with factory() as session:
        query = select(Incident).where(Incident.alert_due.is_(True),
                                       Incident.alerted_at.is_(None))
        if incident_ids is not None:
            query = query.where(Incident.id.in_(list(incident_ids)))
        for incident in session.scalars(query.limit(500)).all():
            rules = [r for r in _rules(session, incident.school_id, AlertTrigger.NEW_INCIDENT)
                     if rule_matches(r, incident)]
            to = recipients(session, incident.school_id, rules)
            if not to:
                log.warning("alert for an incident has no recipients (no active DSL)")
                continue
            subject, body = _message(session, incident, public_url, "New safeguarding alert")
            try:
                mailer.send(to, subject, body)
            except MailError as exc:
                log.warning("alert not sent, will retry: %s", exc)
                break
            incident.alerted_at = utcnow()
            audit.record(session, "alert.sent", school_id=incident.school_id,
                         target_type="incident", target_id=incident.id, recipients=to,
                         rules=[r.id for r in rules])
            session.commit()
            sent += 1
    return sent


def waiting_for_dsl(rule: AlertRule, now: datetime):
    """The SQL condition for 'serious and waiting longer than the rule allows'."""
    cutoff = now - timedelta(minutes=rule.after_minutes or 0)
    unreviewed = and_(Incident.status == IncidentStatus.NEW, Incident.alert_due.is_(True),
                      Incident.received_at <= cutoff)
    unseen_by_dsl = and_(Incident.status == IncidentStatus.REVIEWED,
                         Incident.decision.in_([Decision.CONCERN, Decision.URGENT]),
                         Incident.dsl_acknowledged_at.is_(None), Incident.reviewed_at <= cutoff)
    return or_(unreviewed, unseen_by_dsl)


def escalate_waiting(factory: sessionmaker[Session], mailer: Mailer, public_url: str,
                     now: datetime | None = None) -> int:
    """Email each escalation rule's recipients about incidents waiting too long; once each."""
    now = now or utcnow()
    escalated = 0
    if not mailer.configured:
        return 0
    with factory() as session:
        rules = list(session.scalars(select(AlertRule).where(
            AlertRule.trigger == AlertTrigger.ESCALATION, AlertRule.enabled.is_(True))))
        for rule in rules:
            waiting = session.scalars(select(Incident).where(
                Incident.school_id == rule.school_id, Incident.escalated_at.is_(None),
                waiting_for_dsl(rule, now)).limit(500)).all()
            for incident in waiting:
                if not rule_matches(rule, incident):
                    continue
                to = recipients(session, rule.school_id, [rule])
                if not to:
                    continue
                subject, body = _message(session, incident, public_url,
                                         "Escalation: waiting for the DSL")
                try:
                    mailer.send(to, subject, body)
                except MailError as exc:
                    log.warning("escalation not sent, will retry: %s", exc)
                    return escalated
                incident.escalated_at = now
                audit.record(session, "alert.escalated", school_id=incident.school_id,
                             target_type="incident", target_id=incident.id, recipients=to,
                             rule=rule.id)
                session.commit()
                escalated += 1
    return escalated
