"""The server's vocabulary: roles, incident states and review decisions, defined once."""
from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """A staff member's job in the safeguarding team; see `api.permissions` for what each may do."""

    REVIEWER = "reviewer"
    DSL = "dsl"
    ADMIN = "admin"


class IncidentStatus(StrEnum):
    NEW = "new"                # in the review queue
    SUPPRESSED = "suppressed"  # the model judged it innocent: kept, searchable, not queued
    REVIEWED = "reviewed"      # a person decided


class Decision(StrEnum):
    INNOCENT = "innocent"
    CONCERN = "concern"
    URGENT = "urgent"


class ReviewAction(StrEnum):
    DECISION = "decision"  # a reviewer decided innocent / concern / urgent
    PROMOTE = "promote"    # a suppressed incident was put back in the queue


class AlertTrigger(StrEnum):
    NEW_INCIDENT = "new_incident"  # email at once when a matching incident arrives
    ESCALATION = "escalation"      # email when a serious incident waits too long for a DSL


class ActorType(StrEnum):
    STAFF = "staff"
    DEVICE = "device"
    SYSTEM = "system"
