from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints

from api.schemas.common import CategoryId

Phrase = Annotated[str, StringConstraints(min_length=2, max_length=200)]


class SchoolPublic(BaseModel):
    id: str
    name: str
    retention_months: int
    device_silent_after_minutes: int
    library_version: str
    overlay_version: str


class SchoolUpdate(BaseModel):
    retention_months: int | None = Field(default=None, ge=1, le=120)
    device_silent_after_minutes: int | None = Field(default=None, ge=5, le=60 * 24 * 14)


class OverlayAdd(BaseModel):
    phrase: Phrase
    category: CategoryId
    severity: int = Field(ge=1, le=5)
    match: Literal["word", "prefix", "embedded"] = "word"
    note: Annotated[str, StringConstraints(max_length=500)] = ""


class OverlayExclude(BaseModel):
    phrase: Phrase
    category: CategoryId | None = None
    reason: Annotated[str, StringConstraints(min_length=3, max_length=500)]


class Overlay(BaseModel):
    """A school's changes to the shipped phrase library (the PhraseLibrary overlay format)."""

    add: list[OverlayAdd] = Field(default_factory=list, max_length=5000)
    exclude: list[OverlayExclude] = Field(default_factory=list, max_length=5000)


class OverlayResponse(BaseModel):
    library_version: str
    overlay_version: str
    overlay: Overlay
