"""Retention: evidence older than the school's period is deleted, and the deletion is audited.

Incidents, their review history and their screenshots go together; a screenshot shared by two
incidents goes when the last of them does. The audit log stays: it records that evidence
existed and was purged, not the evidence.
"""
from __future__ import annotations

import calendar
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session, sessionmaker

from api import audit
from api.blobs import BlobStore
from api.db import utcnow
from api.models import Incident, Review, School, Staff

log = logging.getLogger(__name__)
BATCH = 500
#: A blob nobody references is deleted only when older than this (an ingest may be mid-way).
ORPHAN_GRACE = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class Purged:
    school_id: str
    cutoff: datetime
    incidents_purged: int
    screenshots_deleted: int


def months_before(moment: datetime, months: int) -> datetime:
    """The same day-of-month `months` earlier, clamped (31 March - 1 month = 28/29 February)."""
    index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def purge_school(session: Session, blobs: BlobStore, school: School, now: datetime,
                 actor: Staff | None = None, ip: str | None = None) -> Purged:
    cutoff = months_before(now, school.retention_months)
    expired = or_(Incident.observed_at < cutoff, Incident.received_at < cutoff)
    purged = deleted_blobs = 0
    while True:
        rows = session.execute(select(Incident.id, Incident.screenshot_key).where(
            Incident.school_id == school.id, expired).limit(BATCH)).all()
        if not rows:
            break
        ids = [r.id for r in rows]
        keys = {r.screenshot_key for r in rows if r.screenshot_key}
        session.execute(delete(Review).where(Review.incident_id.in_(ids)))
        session.execute(delete(Incident).where(Incident.id.in_(ids)))
        still_used = set(session.scalars(select(Incident.screenshot_key).where(
            Incident.screenshot_key.in_(keys)))) if keys else set()
        session.commit()  # the rows are gone before their files: never a row without evidence
        for key in keys - still_used:
            deleted_blobs += blobs.delete(key)
        purged += len(ids)
    if purged or actor is not None:
        audit.record(session, "retention.purge", actor=actor, school_id=school.id, ip=ip,
                     target_type="school", target_id=school.id, cutoff=cutoff.isoformat(),
                     retention_months=school.retention_months, incidents_purged=purged,
                     screenshots_deleted=deleted_blobs)
        session.commit()
    if purged:
        log.info("retention purged %d incidents of a school", purged)
    return Purged(school.id, cutoff, purged, deleted_blobs)


def sweep_orphan_blobs(session: Session, blobs: BlobStore, now: datetime) -> int:
    """Delete screenshots no incident refers to (left by an ingest that failed half-way)."""
    removed = 0
    for key in blobs.all_keys():
        modified = blobs.modified_at(key)
        if modified is None or now.timestamp() - modified < ORPHAN_GRACE.total_seconds():
            continue
        used = session.scalar(select(func.count()).select_from(Incident).where(
            Incident.screenshot_key == key))
        if not used:
            removed += blobs.delete(key)
    return removed


def purge_expired(factory: sessionmaker[Session], blobs: BlobStore,
                  now: datetime | None = None, *, school_id: str | None = None,
                  actor: Staff | None = None, ip: str | None = None) -> list[Purged]:
    now = now or utcnow()
    with factory() as session:
        query = select(School)
        if school_id is not None:
            query = query.where(School.id == school_id)
        return [purge_school(session, blobs, school, now, actor, ip)
                for school in session.scalars(query).all()]
