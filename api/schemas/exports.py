from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel


class ExportRow(BaseModel):
    """One reviewed incident, in the fields case-management systems (CPOMS, MyConcern) import."""

    incident_id: str
    school: str
    pupil: str
    occurred_at: datetime
    category: str
    category_label: str
    severity: int
    decision: str
    reviewed_by: str
    reviewed_at: datetime
    note: str
    source: str
    application: str
    window_title: str
    device: str
    phrase: str
    context: str
    model_version: str
    library_version: str


class ExportDocument(BaseModel):
    exported_at: datetime
    school: str
    count: int
    incidents: list[ExportRow]
