"""Turning an accepted hit into an incident: idempotent, scored, and all-or-nothing.

The route validates everything it can before this runs (JSON, hit fields, image), so the only
failures left here are the store's own (a full disk, the database), and they leave nothing
behind but, at worst, an unreferenced blob that the retention sweep removes.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from api.alerts import new_incident_rules_match
from api.blobs import BlobStore
from api.db import utcnow
from api.domain import IncidentStatus
from api.images import CheckedImage
from api.models import Device, Incident
from api.risk import risk
from classifier.judge import Verdict
from classifier.records import HitRecord, parse_utc


@dataclass(frozen=True, slots=True)
class Stored:
    incident_id: str
    status: IncidentStatus
    duplicate: bool
    alert_due: bool = False


def find_existing(session: Session, device_id: str, hit_key: str) -> Incident | None:
    return session.scalar(select(Incident).where(Incident.device_id == device_id,
                                                 Incident.hit_key == hit_key))


def category_probability(verdict: Verdict, category: str) -> float:
    """The model's probability that the words are a concern of this category."""
    return float(verdict.scores.get(category, verdict.score if verdict.alert else 0.0))


def build_incident(device: Device, hit: HitRecord, verdict: Verdict,
                   image: CheckedImage | None, screenshot_key: str | None,
                   received_at: datetime) -> Incident:
    category = verdict.category if verdict.alert and verdict.category else hit.category
    probability = category_probability(verdict, category)
    observed_at = parse_utc(hit.observed_at)
    # A device clock running ahead must not pin its hits to the top of the queue.
    scored = risk(probability, hit.severity, min(observed_at, received_at))
    return Incident(
        school_id=device.school_id, device_id=device.id, hit_key=hit.key, pupil=hit.user,
        observed_at=observed_at, received_at=received_at, source=str(hit.source),
        application=hit.application, window_title=hit.window_title, phrase=hit.phrase,
        phrase_category=hit.category, severity=hit.severity, start=hit.start, end=hit.end,
        context=hit.context, boxes=[{"x": b.x, "y": b.y, "w": b.w, "h": b.h} for b in hit.boxes],
        library_version=hit.library_version, model_version=verdict.model_version,
        model_category=verdict.category, model_alert=verdict.alert, probability=probability,
        scores={k: float(v) for k, v in verdict.scores.items()}, risk_base=scored.base,
        rank_key=scored.rank_key, category=category,
        status=IncidentStatus.NEW if verdict.alert else IncidentStatus.SUPPRESSED,
        screenshot_key=screenshot_key,
        screenshot_type=image.media_type if image else None,
        screenshot_bytes=len(image.data) if image else None)


def store_hit(factory: sessionmaker[Session], blobs: BlobStore, device_id: str, hit: HitRecord,
              verdict: Verdict, image: CheckedImage | None) -> Stored:
    """Store a scored hit once; a retry (even a concurrent one) gets the first incident back."""
    with factory() as session:
        device = session.get(Device, device_id)
        assert device is not None
        existing = find_existing(session, device_id, hit.key)
        if existing is not None:
            return Stored(existing.id, existing.status, duplicate=True)
        screenshot_key = blobs.put(image.data) if image is not None else None
        now = utcnow()
        incident = build_incident(device, hit, verdict, image, screenshot_key, now)
        if incident.status == IncidentStatus.NEW:
            incident.alert_due = new_incident_rules_match(session, incident)
        device.last_seen_at = now
        session.add(incident)
        try:
            session.commit()
        except IntegrityError:
            session.rollback()
            existing = find_existing(session, device_id, hit.key)
            if existing is None:
                raise
            return Stored(existing.id, existing.status, duplicate=True)
        return Stored(incident.id, incident.status, duplicate=False, alert_due=incident.alert_due)
