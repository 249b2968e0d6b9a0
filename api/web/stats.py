"""The numbers behind the dashboard and the pupil page.

Every count goes through the queue's own `apply_filters`, so a school only ever counts its own
incidents and "reached the queue" means what it means in the queue. Weeks are the school's
weeks (Monday to Sunday, local time), counted one indexed query per week rather than with a
date function that SQLite and PostgreSQL spell differently.
"""
from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.domain import Decision, IncidentStatus
from api.models import Incident
from api.queue import Filters, apply_filters
from api.web.templating import DISPLAY_ZONE

QUEUED = [IncidentStatus.NEW, IncidentStatus.REVIEWED]  # what reached people
MEDIAN_SAMPLE = 10_000


@dataclass(frozen=True, slots=True)
class Week:
    start: datetime  # UTC, inclusive
    end: datetime    # UTC, exclusive
    label: str       # "3 Nov"


def weeks_until(now: datetime, count: int) -> list[Week]:
    """The last `count` school weeks, oldest first, the current (partial) week last."""
    today = now.astimezone(DISPLAY_ZONE).date()
    monday = today - timedelta(days=today.weekday())
    weeks = []
    for back in range(count - 1, -1, -1):
        first = monday - timedelta(weeks=back)
        weeks.append(Week(start=_utc_midnight(first), end=_utc_midnight(first + timedelta(7)),
                          label=f"{first.day} {first:%b}"))
    return weeks


def _utc_midnight(day: date) -> datetime:
    return datetime.combine(day, time(), DISPLAY_ZONE).astimezone(UTC)


def local_day_start(day: date) -> datetime:
    return _utc_midnight(day)


def weekly_category_counts(session: Session, school_id: str, weeks: list[Week], *,
                           pupil: str | None = None,
                           statuses: list[IncidentStatus] | None = None
                           ) -> list[tuple[str, dict[str, int]]]:
    out = []
    for week in weeks:
        filters = Filters(statuses=statuses or QUEUED, pupil=pupil, since=week.start,
                          until=week.end)
        query = apply_filters(select(Incident.category, func.count()), school_id, filters)
        counts = dict(session.execute(query.group_by(Incident.category)).all())
        out.append((week.label, counts))
    return out


def status_counts(session: Session, school_id: str, since: datetime | None = None,
                  pupil: str | None = None) -> dict[IncidentStatus, int]:
    query = apply_filters(select(Incident.status, func.count()), school_id,
                          Filters(statuses=[], since=since, pupil=pupil))
    return {IncidentStatus(s): n for s, n in session.execute(query.group_by(Incident.status))}


def decision_counts(session: Session, school_id: str, pupil: str | None = None
                    ) -> dict[Decision, int]:
    query = apply_filters(select(Incident.decision, func.count()), school_id,
                          Filters(statuses=[IncidentStatus.REVIEWED], pupil=pupil))
    return {Decision(d): n for d, n in session.execute(query.group_by(Incident.decision))
            if d is not None}


@dataclass(frozen=True, slots=True)
class Backlog:
    waiting: int
    serious_waiting: int  # severity 4 or 5
    oldest_received_at: datetime | None


def backlog(session: Session, school_id: str) -> Backlog:
    query = apply_filters(select(func.count(), func.min(Incident.received_at)), school_id,
                          Filters(statuses=[IncidentStatus.NEW]))
    waiting, oldest = session.execute(query).one()
    serious = session.scalar(apply_filters(select(func.count()), school_id,
                                           Filters(statuses=[IncidentStatus.NEW],
                                                   min_severity=4)))
    return Backlog(waiting=waiting or 0, serious_waiting=serious or 0, oldest_received_at=oldest)


def median_time_to_review(session: Session, school_id: str, since: datetime
                          ) -> tuple[timedelta | None, int]:
    """Median of (decided - received) over incidents decided since `since`, and how many."""
    query = (apply_filters(select(Incident.received_at, Incident.reviewed_at), school_id,
                           Filters(statuses=[IncidentStatus.REVIEWED]))
             .where(Incident.reviewed_at >= since)
             .order_by(Incident.reviewed_at.desc()).limit(MEDIAN_SAMPLE))
    waits = [(reviewed - received).total_seconds()
             for received, reviewed in session.execute(query) if reviewed and received]
    if not waits:
        return None, 0
    return timedelta(seconds=statistics.median(max(w, 0.0) for w in waits)), len(waits)
