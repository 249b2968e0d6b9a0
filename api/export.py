"""Reviewed incidents in the shape case-management systems import.

CPOMS and MyConcern take CSV uploads with one row per concern (pupil, date, category, notes,
action taken) and have no open API to test against, so the export is a flat table in CSV and
the same rows in JSON. Cells are guarded against spreadsheet formula injection: a pupil's
typed text starting with '=' must not run when a member of staff opens the file.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import datetime

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, aliased

from api.domain import Decision, IncidentStatus
from api.models import Device, Incident, Review, School, Staff
from api.schemas.exports import ExportRow
from classifier.taxonomy import category as category_info

FIELDS = list(ExportRow.model_fields)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def export_query(school_id: str, since: datetime | None, until: datetime | None,
                 decisions: list[Decision]) -> Select:
    reviewer = aliased(Staff)
    query = (select(Incident, School.name, Device.hostname, reviewer.name)
             .join(School, School.id == Incident.school_id)
             .join(Device, Device.id == Incident.device_id)
             .join(reviewer, reviewer.id == Incident.reviewed_by, isouter=True)
             .where(Incident.school_id == school_id,
                    Incident.status == IncidentStatus.REVIEWED))
    if since:
        query = query.where(Incident.reviewed_at >= since)
    if until:
        query = query.where(Incident.reviewed_at < until)
    if decisions:
        query = query.where(Incident.decision.in_(decisions))
    return query.order_by(Incident.reviewed_at, Incident.id)


def _last_note(session: Session, incident_id: str) -> str:
    return session.scalar(select(Review.note).where(Review.incident_id == incident_id)
                          .order_by(Review.created_at.desc(), Review.id.desc()).limit(1)) or ""


def rows(session: Session, query: Select) -> Iterator[ExportRow]:
    for incident, school, hostname, reviewer in session.execute(query.execution_options(
            yield_per=500)):
        yield ExportRow(
            incident_id=incident.id, school=school, pupil=incident.pupil,
            occurred_at=incident.observed_at, category=incident.category,
            category_label=category_info(incident.category).label, severity=incident.severity,
            decision=str(incident.decision), reviewed_by=reviewer or "",
            reviewed_at=incident.reviewed_at, note=_last_note(session, incident.id),
            source=incident.source, application=incident.application,
            window_title=incident.window_title, device=hostname, phrase=incident.phrase,
            context=incident.context, model_version=incident.model_version,
            library_version=incident.library_version)


def safe_cell(value: object) -> str:
    text = value.isoformat() if isinstance(value, datetime) else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def csv_chunks(items: Iterator[ExportRow]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(FIELDS)
    for row in items:
        writer.writerow([safe_cell(getattr(row, f)) for f in FIELDS])
        if buffer.tell() > 64 * 1024:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()
