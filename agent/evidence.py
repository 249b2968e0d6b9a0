"""What a reviewer gets for one hit: the record (words around it, where, who, when) and the
screenshot of the monitor it was on, with the boxes of the matched words."""
from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
from PIL import Image

from agent.ocr import boxes_for
from agent.sources.base import Frame, Observation
from classifier.context import context_window
from classifier.records import (
    MAX_FIELD_CHARS,
    HitRecord,
    PhraseMatch,
    idempotency_key,
    utc_now,
)

MIME = {"webp": "image/webp", "png": "image/png"}


@dataclass(frozen=True, slots=True)
class Screenshot:
    data: bytes
    mime: str


def encode_screenshot(frame: Frame, fmt: str = "webp", *, lossless: bool = True,
                      quality: int = 80) -> Screenshot:
    """The whole monitor, at full resolution, by default lossless: a reviewer must be able
    to read it, and lossy WebP's colour subsampling smears light text on saturated bubbles
    (lossless WebP at its fastest setting is also smaller than PNG on screen content)."""
    pixels = frame.pixels
    height, width = pixels.shape[:2]
    image = Image.frombuffer("RGB", (width, height), np.ascontiguousarray(pixels), "raw",
                             "BGRX", 0, 1)
    out = io.BytesIO()
    if fmt == "webp" and lossless:
        image.save(out, format="WEBP", lossless=True, quality=0, method=1)
    elif fmt == "webp":
        image.save(out, format="WEBP", quality=quality, method=2)
    else:
        image.save(out, format="PNG", compress_level=6)
    return Screenshot(out.getvalue(), MIME[fmt])


def build_record(observation: Observation, match: PhraseMatch, *, device_id: str, user: str,
                 library_version: str) -> HitRecord:
    """A hit record whose key is fixed now, so every retry of this capture is the same hit."""
    context, start, end = context_window(observation.text, match.start, match.end)
    observed_at = observation.observed_at or utc_now()
    window_title = observation.window_title[:MAX_FIELD_CHARS]
    user = (observation.user or user)[:MAX_FIELD_CHARS]
    key = idempotency_key(device_id, str(observation.source), window_title, match.phrase,
                          context, observed_at)
    boxes = boxes_for(observation.words, match.start, match.end) if observation.words else ()
    return HitRecord(key=key, device_id=device_id, user=user, observed_at=observed_at,
                     source=observation.source, phrase=match.phrase, category=match.category,
                     severity=match.severity, start=start, end=end, context=context,
                     window_title=window_title,
                     application=observation.application[:MAX_FIELD_CHARS],
                     library_version=library_version[:MAX_FIELD_CHARS], boxes=boxes[:64])
