"""Column helpers shared by the table models."""
from __future__ import annotations

import uuid
from enum import StrEnum

from sqlalchemy import Enum as SAEnum
from sqlalchemy import String


def new_id() -> str:
    """Random, unguessable identifiers: an incident id in a link must not reveal its neighbours."""
    return str(uuid.uuid4())


ID = String(36)
TOKEN_HASH = String(64)


def enum_column(enum: type[StrEnum], length: int = 16) -> SAEnum:
    """A portable string column with a CHECK constraint (no PostgreSQL enum types to migrate)."""
    return SAEnum(enum, native_enum=False, length=length, create_constraint=True,
                  values_callable=lambda e: [m.value for m in e], name=None, validate_strings=True)
