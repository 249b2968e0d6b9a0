from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from api.db import Base, UTCDateTime, utcnow
from api.domain import AlertTrigger
from api.models._types import ID, enum_column, new_id


class AlertRule(Base):
    """When to email whom; conditions that are set must all hold (see `api.alerts`)."""

    __tablename__ = "alert_rules"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    school_id: Mapped[str] = mapped_column(ForeignKey("schools.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    trigger: Mapped[AlertTrigger] = mapped_column(enum_column(AlertTrigger))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    min_severity: Mapped[int | None] = mapped_column(Integer)
    categories: Mapped[list[str] | None] = mapped_column(JSON)
    after_minutes: Mapped[int | None] = mapped_column(Integer)
    recipients: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_by: Mapped[str | None] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
