"""The incident queue: filters, order and cursor pagination, shared by the queue and timelines.

Pages are keyset pages (`WHERE (rank_key, id) < (last seen)`), so a page costs the same at
incident 100,000 as at incident 1 and an incident arriving mid-browse is neither skipped nor
shown twice. Cursors are signed, so a client cannot hand-craft one.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Select, and_, func, or_, select

from api.domain import Decision, IncidentStatus
from api.models import Incident
from api.risk import current_score
from api.schemas.incidents import Highlight, IncidentSummary
from api.security import BadCursorError, read_cursor, sign_cursor

SNIPPET_CHARS = 80


class Sort(StrEnum):
    RISK = "risk"      # urgent first (the default queue)
    NEWEST = "newest"  # most recently observed first (timelines, audits)


@dataclass
class Filters:
    statuses: list[IncidentStatus] = field(default_factory=lambda: [IncidentStatus.NEW])
    categories: list[str] = field(default_factory=list)
    decisions: list[Decision] = field(default_factory=list)
    min_severity: int | None = None
    pupil: str | None = None
    device_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    text: str | None = None

    def describe(self) -> dict[str, Any]:
        """For the audit log: what was asked for."""
        out = {k: v for k, v in self.__dict__.items() if v not in (None, [])}
        return {k: ([str(x) for x in v] if isinstance(v, list) else str(v))
                for k, v in out.items()}


def apply_filters(query: Select, school_id: str, f: Filters) -> Select:
    conditions = [Incident.school_id == school_id]
    if f.statuses:
        conditions.append(Incident.status.in_(f.statuses))
    if f.categories:
        conditions.append(Incident.category.in_(f.categories))
    if f.decisions:
        conditions.append(Incident.decision.in_(f.decisions))
    if f.min_severity is not None:
        conditions.append(Incident.severity >= f.min_severity)
    if f.pupil:
        conditions.append(Incident.pupil == f.pupil)
    if f.device_id:
        conditions.append(Incident.device_id == f.device_id)
    if f.since:
        conditions.append(Incident.observed_at >= f.since)
    if f.until:
        conditions.append(Incident.observed_at < f.until)
    if f.text:
        needle = f.text.lower()
        conditions.append(or_(*(func.lower(col).contains(needle, autoescape=True) for col in (
            Incident.context, Incident.phrase, Incident.window_title, Incident.application,
            Incident.pupil))))
    return query.where(and_(*conditions))


def page_query(school_id: str, f: Filters, sort: Sort, cursor: str | None, limit: int,
               secret: str) -> Select:
    query = apply_filters(select(Incident), school_id, f)
    column = Incident.rank_key if sort == Sort.RISK else Incident.observed_at
    if cursor:
        after = read_cursor(secret, cursor)
        if not isinstance(after, list) or len(after) != 3 or after[0] != sort:
            raise BadCursorError("cursor belongs to a different sort order")
        value = after[1] if sort == Sort.RISK else datetime.fromisoformat(after[1])
        query = query.where(or_(column < value, and_(column == value, Incident.id < after[2])))
    return query.order_by(column.desc(), Incident.id.desc()).limit(limit + 1)


def next_cursor(rows: list[Incident], sort: Sort, limit: int, secret: str) -> str | None:
    if len(rows) <= limit:
        return None
    last = rows[limit - 1]
    value = last.rank_key if sort == Sort.RISK else last.observed_at.isoformat()
    return sign_cursor(secret, [str(sort), value, last.id])


def highlight(context: str, start: int, end: int, window: int | None = None) -> Highlight:
    before, match, after = context[:start], context[start:end], context[end:]
    if window is not None:
        if len(before) > window:
            before = "…" + before[-window:]
        if len(after) > window:
            after = after[:window] + "…"
    return Highlight(before=before, match=match, after=after)


def summary(incident: Incident, now: datetime) -> IncidentSummary:
    return IncidentSummary(
        id=incident.id, observed_at=incident.observed_at, received_at=incident.received_at,
        pupil=incident.pupil, device_id=incident.device_id, source=incident.source,
        application=incident.application, window_title=incident.window_title,
        phrase=incident.phrase, category=incident.category,
        phrase_category=incident.phrase_category, severity=incident.severity,
        status=incident.status, decision=incident.decision, probability=incident.probability,
        risk=current_score(incident.risk_base, min(incident.observed_at, incident.received_at),
                           now),
        snippet=highlight(incident.context, incident.start, incident.end, SNIPPET_CHARS),
        has_screenshot=incident.screenshot_key is not None, reviewed_at=incident.reviewed_at)
