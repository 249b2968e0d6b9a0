from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints, model_validator

from api.domain import AlertTrigger
from api.schemas.common import CategoryId, Schema
from api.schemas.staff import Email

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class AlertRuleFields(BaseModel):
    name: Name
    trigger: AlertTrigger
    enabled: bool = True
    min_severity: int | None = Field(default=None, ge=1, le=5)
    categories: list[CategoryId] | None = Field(default=None, min_length=1)
    after_minutes: int | None = Field(
        default=None, ge=1, le=60 * 24 * 7,
        description="Escalation rules only: how long a serious incident may wait for a DSL.")
    recipients: list[Email] = Field(
        default_factory=list, max_length=50,
        description="Email addresses; empty means every active DSL of the school.")

    @model_validator(mode="after")
    def _fits_trigger(self) -> AlertRuleFields:
        if self.trigger == AlertTrigger.ESCALATION and self.after_minutes is None:
            raise ValueError("an escalation rule needs after_minutes")
        if self.trigger == AlertTrigger.NEW_INCIDENT and self.after_minutes is not None:
            raise ValueError("after_minutes applies to escalation rules only")
        return self


class AlertRuleCreate(AlertRuleFields):
    pass


class AlertRulePublic(Schema):
    id: str
    name: str
    trigger: AlertTrigger
    enabled: bool
    min_severity: int | None
    categories: list[str] | None
    after_minutes: int | None
    recipients: list[str]
    created_at: datetime
