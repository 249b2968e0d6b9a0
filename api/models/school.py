from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from api.db import Base, UTCDateTime, utcnow
from api.models._types import ID, TOKEN_HASH, new_id

DEFAULT_RETENTION_MONTHS = 15
DEFAULT_SILENT_AFTER_MINUTES = 120


class School(Base):
    """One school of a trust; every other row belongs to exactly one school."""

    __tablename__ = "schools"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    retention_months: Mapped[int] = mapped_column(Integer, default=DEFAULT_RETENTION_MONTHS)
    device_silent_after_minutes: Mapped[int] = mapped_column(
        Integer, default=DEFAULT_SILENT_AFTER_MINUTES)
    overlay: Mapped[dict[str, Any]] = mapped_column(
        JSON, default=lambda: {"add": [], "exclude": []})
    overlay_updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class EnrolmentKey(Base):
    """A secret IT staff paste into the agent installer; stored hashed, revocable."""

    __tablename__ = "enrolment_keys"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    school_id: Mapped[str] = mapped_column(ForeignKey("schools.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    key_hash: Mapped[str] = mapped_column(TOKEN_HASH, unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_by: Mapped[str | None] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    uses: Mapped[int] = mapped_column(Integer, default=0)
