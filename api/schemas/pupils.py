from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from api.schemas.common import Page
from api.schemas.incidents import IncidentSummary


class PupilSummary(BaseModel):
    pupil: str
    incidents: int
    open_incidents: int
    highest_severity: int
    last_observed_at: datetime


class PupilPage(Page[PupilSummary]):
    pass


class PupilTimeline(Page[IncidentSummary]):
    pupil: str
