"""Building blocks for the server tests: hits, images, uploads and a rule-based judge."""
from __future__ import annotations

import io
import json
import socket
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from PIL import Image

from classifier.judge import ContextInput, Verdict
from classifier.records import idempotency_key

NOW = datetime.now(UTC)
#: The library version an agent reports in its hits (the server stores what it was told).
AGENT_LIBRARY_VERSION = "2026.11.0"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def hit(context: str = "honestly i want to die, nobody would notice",
        phrase: str | None = None, category: str = "suicide", severity: int = 5,
        user: str = "NFA\\j.carter", observed_at: datetime | None = None,
        hours_ago: float = 1.0, **extra: Any) -> dict[str, Any]:
    """A hit as the agent sends it (HitRecord.to_dict()), phrase located in the context."""
    phrase = phrase or {"suicide": "want to die"}.get(category, context.split()[0])
    start = context.lower().index(phrase.lower())
    observed = iso(observed_at or NOW - timedelta(hours=hours_ago))
    record = {
        "key": idempotency_key("agent-device", "screen", "Chat", phrase, context, observed),
        "device_id": "whatever-the-agent-thinks", "user": user, "observed_at": observed,
        "source": "screen", "phrase": phrase, "category": category, "severity": severity,
        "start": start, "end": start + len(phrase), "context": context,
        "window_title": "Discord - #year9", "application": "Discord",
        "library_version": AGENT_LIBRARY_VERSION, "boxes": [{"x": 10, "y": 20, "w": 120, "h": 18}],
    }
    record.update(extra)
    return record


def image_bytes(fmt: str = "PNG", size: tuple[int, int] = (64, 48)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, format=fmt)
    return buffer.getvalue()


def post_hit(client, device_headers: dict[str, str], record: dict[str, Any] | str,
             screenshot: bytes | None = None, filename: str = "shot.png",
             content_type: str = "image/png"):
    data = {"hit": record if isinstance(record, str) else json.dumps(record)}
    files = {"screenshot": (filename, screenshot, content_type)} if screenshot is not None else None
    return client.post("/api/v1/hits", data=data, files=files, headers=device_headers)


class CueJudge:
    """A stand-in for the context model (none ships yet): innocent cues suppress a hit.

    It implements the real Judge protocol so ingest, scoring and suppression run end to end;
    the probabilities are fixed per cue so ranking tests can state exact expectations.
    """

    version = "cue-judge-1"
    INNOCENT_CUES = ("homework", "essay", "game", "revision")

    def __init__(self, probability: dict[str, float] | None = None) -> None:
        self.probability = probability or {}
        self.calls: list[int] = []

    def judge(self, items: Sequence[ContextInput]) -> list[Verdict]:
        self.calls.append(len(items))
        out = []
        for item in items:
            innocent = any(cue in item.text.lower() for cue in self.INNOCENT_CUES)
            p = 0.05 if innocent else self.probability.get(item.text, 0.9)
            out.append(Verdict(alert=not innocent, category=None if innocent else item.category,
                               score=p, scores={item.category: p, "none": round(1 - p, 6)},
                               model_version=self.version))
        return out
