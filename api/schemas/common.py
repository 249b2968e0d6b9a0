"""Shapes shared by every resource: errors and pages."""
from __future__ import annotations

from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from classifier.taxonomy import CATEGORY_IDS

T = TypeVar("T")

#: A taxonomy category, as OpenAPI clients see it (an enum generated from classifier.taxonomy).
CategoryId = Literal[CATEGORY_IDS]  # type: ignore[valid-type]


class Schema(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class ErrorResponse(BaseModel):
    """Every 4xx/5xx answer: one sentence saying what was wrong."""

    detail: str = Field(examples=["hit is not valid JSON: Expecting value (char 0)"])


class ValidationErrorResponse(ErrorResponse):
    """A 422: the sentence, plus one entry per field that failed when the request had fields."""

    errors: list[dict[str, Any]] = Field(default_factory=list)


class Page(BaseModel, Generic[T]):
    """One page of a list; pass `next_cursor` back as `cursor` for the next (null: the end)."""

    items: list[T]
    next_cursor: str | None = None
