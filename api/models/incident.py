from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from api.db import Base, UTCDateTime, utcnow
from api.domain import Decision, IncidentStatus, ReviewAction
from api.models._types import ID, enum_column, new_id


class Incident(Base):
    """A hit as the server stored and scored it: the evidence and every score behind the rank."""

    __tablename__ = "incidents"
    __table_args__ = (
        UniqueConstraint("device_id", "hit_key"),
        Index("ix_incidents_queue", "school_id", "status", "rank_key", "id"),
        Index("ix_incidents_school_time", "school_id", "observed_at"),
        Index("ix_incidents_pupil", "school_id", "pupil", "observed_at"),
        Index("ix_incidents_screenshot", "screenshot_key"),
    )

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    school_id: Mapped[str] = mapped_column(ForeignKey("schools.id"))
    device_id: Mapped[str] = mapped_column(ForeignKey("devices.id"), index=True)
    hit_key: Mapped[str] = mapped_column(String(128))
    pupil: Mapped[str] = mapped_column(String(512))
    observed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    source: Mapped[str] = mapped_column(String(16))
    application: Mapped[str] = mapped_column(String(512), default="")
    window_title: Mapped[str] = mapped_column(String(512), default="")
    phrase: Mapped[str] = mapped_column(String(512))
    phrase_category: Mapped[str] = mapped_column(String(32))
    severity: Mapped[int] = mapped_column(Integer)
    start: Mapped[int] = mapped_column(Integer)
    end: Mapped[int] = mapped_column(Integer)
    context: Mapped[str] = mapped_column(Text)
    boxes: Mapped[list[dict[str, int]]] = mapped_column(JSON, default=list)
    library_version: Mapped[str] = mapped_column(String(128), default="")

    # What the classifier said.
    model_version: Mapped[str] = mapped_column(String(128))
    model_category: Mapped[str | None] = mapped_column(String(32))
    model_alert: Mapped[bool] = mapped_column(Boolean)
    probability: Mapped[float] = mapped_column(Float)
    scores: Mapped[dict[str, float]] = mapped_column(JSON)
    risk_base: Mapped[float] = mapped_column(Float)
    rank_key: Mapped[float] = mapped_column(Float)

    # Where it stands.
    category: Mapped[str] = mapped_column(String(32), index=True)
    status: Mapped[IncidentStatus] = mapped_column(enum_column(IncidentStatus))
    decision: Mapped[Decision | None] = mapped_column(enum_column(Decision))
    reviewed_by: Mapped[str | None] = mapped_column(ForeignKey("staff.id"))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    dsl_acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # Alerts: due when a rule matched at ingest; sent (or escalated) once, retried until then.
    alert_due: Mapped[bool] = mapped_column(Boolean, default=False)
    alerted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # Evidence: a content address in the blob store, never a client path or a public URL.
    screenshot_key: Mapped[str | None] = mapped_column(String(64))
    screenshot_type: Mapped[str | None] = mapped_column(String(32))
    screenshot_bytes: Mapped[int | None] = mapped_column(Integer)


class Review(Base):
    """One change to an incident, kept for ever (until retention): the history of decisions."""

    __tablename__ = "reviews"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    incident_id: Mapped[str] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), index=True)
    staff_id: Mapped[str] = mapped_column(ForeignKey("staff.id"))
    action: Mapped[ReviewAction] = mapped_column(enum_column(ReviewAction))
    decision: Mapped[Decision | None] = mapped_column(enum_column(Decision))
    status_before: Mapped[IncidentStatus] = mapped_column(enum_column(IncidentStatus))
    status_after: Mapped[IncidentStatus] = mapped_column(enum_column(IncidentStatus))
    category_before: Mapped[str] = mapped_column(String(32))
    category_after: Mapped[str] = mapped_column(String(32))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
