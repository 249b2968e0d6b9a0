"""The training rows that labelled incidents become: the seed corpus's row format
(`training.dataset.ROW_FIELDS`) plus the hit's offsets and where the row came from.

Their families start with `FAMILY_PREFIX`, which no seed family does, so the loop can tell
labelled incidents from the seed corpus in any split.
"""
from __future__ import annotations

import hashlib
from typing import Any

FAMILY_PREFIX = "review-"


def family_of(text: str) -> str:
    """Incidents with the same words (one message seen on screen again and again) share a
    family, so they never straddle the train and test splits."""
    key = " ".join(text.casefold().split())
    return FAMILY_PREFIX + hashlib.sha256(key.encode()).hexdigest()[:12]


def training_row(data: dict[str, Any], label: str, annotated_at: str) -> dict[str, Any]:
    """A row from a Label Studio task's data and the label it was given."""
    return {"family": family_of(data["text"]), "label": label,
            "source": data.get("genre", "web"), "phrase": data["phrase"],
            "text": data["text"], "start": data["start"], "end": data["end"],
            "phrase_category": data["phrase_category"], "incident_id": data["incident_id"],
            "reviewer_decision": data.get("reviewer_decision", ""),
            "annotated_at": annotated_at}
