from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

from api.domain import Decision, IncidentStatus, ReviewAction
from api.schemas.common import CategoryId, Page, Schema

Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=4000)]


class Highlight(BaseModel):
    """The context split at the hit's offsets, so a client highlights without slicing."""

    before: str
    match: str
    after: str


class BoxPublic(BaseModel):
    x: int
    y: int
    w: int
    h: int


class IncidentSummary(Schema):
    id: str
    observed_at: datetime
    received_at: datetime
    pupil: str
    device_id: str
    source: str
    application: str
    window_title: str
    phrase: str
    category: str
    phrase_category: str
    severity: int
    status: IncidentStatus
    decision: Decision | None
    probability: float = Field(description="The model's probability for `category`.")
    risk: float = Field(description="Risk now: probability x severity weight x recency.")
    snippet: Highlight
    has_screenshot: bool
    reviewed_at: datetime | None


class IncidentPage(Page[IncidentSummary]):
    pass


class ReviewPublic(Schema):
    id: str
    action: ReviewAction
    decision: Decision | None
    status_before: IncidentStatus
    status_after: IncidentStatus
    category_before: str
    category_after: str
    note: str
    staff_id: str
    staff_name: str
    created_at: datetime


class IncidentDetail(IncidentSummary):
    device_hostname: str
    hit_key: str
    context: str
    start: int
    end: int
    highlight: Highlight
    boxes: list[BoxPublic]
    scores: dict[str, float]
    model_version: str
    model_category: str | None
    model_alert: bool
    library_version: str
    risk_base: float
    screenshot_url: str | None = Field(
        description="Authorised, audited link to the evidence; needs the same sign-in.")
    screenshot_type: str | None
    reviewed_by: str | None
    dsl_acknowledged_at: datetime | None
    alerted_at: datetime | None
    escalated_at: datetime | None
    reviews: list[ReviewPublic]


class ReviewCreate(BaseModel):
    decision: Decision
    category: CategoryId | None = Field(
        default=None, description="Correct the category (e.g. the model's guess was wrong).")
    note: Note = ""


class PromoteRequest(BaseModel):
    note: Note = ""
