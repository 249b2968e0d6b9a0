from __future__ import annotations

from typing import Literal

from pydantic import BaseModel


class HitAccepted(BaseModel):
    """201 for a new hit; 200 with the same incident id and duplicate=true for a retry."""

    incident_id: str
    status: Literal["new", "suppressed"]
    duplicate: bool
