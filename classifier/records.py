"""The hit record: the one contract between the endpoint agent and the review server.

Agent and api both import it from here (they never import each other), so a field added for
the agent is the same field the server validates and stores.
"""
from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from enum import StrEnum
from typing import Any

from classifier.taxonomy import category, check_severity

#: Longest context the server accepts; the scanner's windows are far shorter.
MAX_CONTEXT_CHARS = 4000
MAX_FIELD_CHARS = 512


class Source(StrEnum):
    """Where the agent saw the text."""

    SCREEN = "screen"
    TITLE = "title"
    FEED = "feed"


class HitValidationError(ValueError):
    """A hit record that cannot be accepted; the message says which field and why."""


@dataclass(frozen=True, slots=True)
class Box:
    """A word box of the matched phrase in screenshot pixel coordinates."""

    x: int
    y: int
    w: int
    h: int


@dataclass(frozen=True, slots=True)
class PhraseMatch:
    """One phrase found in one text; offsets point into the ORIGINAL text, end exclusive."""

    phrase: str
    category: str
    severity: int
    start: int
    end: int

    def to_dict(self) -> dict[str, Any]:
        return {"phrase": self.phrase, "category": self.category, "severity": self.severity,
                "start": self.start, "end": self.end}


@dataclass(frozen=True, slots=True)
class HitRecord:
    """A phrase hit as the agent captured it. `start`/`end` index into `context`."""

    key: str
    device_id: str
    user: str
    observed_at: str
    source: Source
    phrase: str
    category: str
    severity: int
    start: int
    end: int
    context: str
    window_title: str = ""
    application: str = ""
    library_version: str = ""
    boxes: tuple[Box, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["source"] = str(self.source)
        data["boxes"] = [asdict(b) for b in self.boxes]
        return data

    @classmethod
    def from_dict(cls, data: Any) -> "HitRecord":
        """Validate untrusted input (an upload, a spool row) into a record, or raise why not."""
        if not isinstance(data, dict):
            raise HitValidationError("hit must be a JSON object")
        required = ("key", "device_id", "user", "observed_at", "source", "phrase", "category",
                    "severity", "start", "end", "context")
        missing = [k for k in required if k not in data]
        if missing:
            raise HitValidationError(f"missing field(s): {', '.join(missing)}")
        for name in ("key", "device_id", "user", "observed_at", "phrase", "context",
                     "window_title", "application", "library_version"):
            value = data.get(name, "")
            if not isinstance(value, str):
                raise HitValidationError(f"{name} must be a string")
            limit = MAX_CONTEXT_CHARS if name == "context" else MAX_FIELD_CHARS
            if len(value) > limit:
                raise HitValidationError(f"{name} is longer than {limit} characters")
        if not data["key"].strip():
            raise HitValidationError("key must not be empty")
        try:
            source = Source(data["source"])
        except ValueError:
            raise HitValidationError(
                f"source must be one of {', '.join(s.value for s in Source)}") from None
        try:
            category(data["category"])
            severity = check_severity(data["severity"])
        except ValueError as exc:
            raise HitValidationError(str(exc)) from None
        start, end = data["start"], data["end"]
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in (start, end)):
            raise HitValidationError("start and end must be integers")
        if not 0 <= start < end <= len(data["context"]):
            raise HitValidationError("start/end must lie inside the context, start < end")
        observed = parse_utc(data["observed_at"])
        boxes = data.get("boxes") or []
        if not isinstance(boxes, list) or len(boxes) > 64:
            raise HitValidationError("boxes must be a list of at most 64 boxes")
        try:
            parsed_boxes = tuple(
                Box(**{k: int(b[k]) for k in ("x", "y", "w", "h")}) for b in boxes)
        except (TypeError, KeyError, ValueError):
            raise HitValidationError("each box needs integer x, y, w, h") from None
        if any(b.w <= 0 or b.h <= 0 or b.x < 0 or b.y < 0 for b in parsed_boxes):
            raise HitValidationError("boxes must have non-negative origin and positive size")
        return cls(key=data["key"], device_id=data["device_id"], user=data["user"],
                   observed_at=observed.isoformat(timespec="milliseconds").replace("+00:00", "Z"), source=source,
                   phrase=data["phrase"], category=data["category"], severity=severity,
                   start=start, end=end, context=data["context"],
                   window_title=data.get("window_title", ""),
                   application=data.get("application", ""),
                   library_version=data.get("library_version", ""), boxes=parsed_boxes)


def parse_utc(value: str) -> datetime:
    """Parse an ISO 8601 time that carries a zone, as UTC; naive times are refused."""
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except (ValueError, AttributeError):
        raise HitValidationError(f"observed_at is not an ISO 8601 time: {value!r}") from None
    if moment.tzinfo is None:
        raise HitValidationError("observed_at must carry a time zone (UTC, e.g. ...Z)")
    return moment.astimezone(timezone.utc)


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def idempotency_key(device_id: str, source: str, window_title: str, phrase: str,
                    context: str, observed_at: str) -> str:
    """A key that is the same for every retry of one capture and differs between captures."""
    material = "\x1f".join((device_id, source, window_title, phrase, context, observed_at))
    return hashlib.sha256(material.encode("utf-8")).hexdigest()[:32]
