from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from api.db import Base, UTCDateTime, utcnow
from api.models._types import ID, TOKEN_HASH, new_id


class Device(Base):
    """An enrolled endpoint; its bearer token is stored hashed and can be revoked."""

    __tablename__ = "devices"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    school_id: Mapped[str] = mapped_column(ForeignKey("schools.id"), index=True)
    hostname: Mapped[str] = mapped_column(String(255))
    agent_version: Mapped[str] = mapped_column(String(64))
    token_hash: Mapped[str] = mapped_column(TOKEN_HASH, unique=True)
    enrolment_key_id: Mapped[str | None] = mapped_column(ForeignKey("enrolment_keys.id"))
    enrolled_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    spool_depth: Mapped[int] = mapped_column(Integer, default=0)
    dropped_screenshots: Mapped[int] = mapped_column(Integer, default=0)
    last_capture_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(String(512))
