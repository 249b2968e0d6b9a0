from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel


class Health(BaseModel):
    status: str
    database: str
    model_version: str
    library_version: str
    version: str


class PurgeResult(BaseModel):
    school_id: str
    cutoff: datetime
    incidents_purged: int
    screenshots_deleted: int
