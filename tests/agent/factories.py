"""Hit records as the agent would build them, for tests that start after the prefilter."""
from __future__ import annotations

import io
import itertools

from PIL import Image

from classifier.records import HitRecord, Source, idempotency_key, utc_now

_counter = itertools.count(1)


def make_hit(phrase: str = "nobody would miss me", category: str = "suicide",
             severity: int = 5, context: str | None = None, *, device_id: str = "dev-1",
             window_title: str = "Chat") -> HitRecord:
    n = next(_counter)
    context = context or f"message {n}: honestly {phrase} if I was gone"
    start = context.index(phrase)
    observed = utc_now()
    return HitRecord(
        key=idempotency_key(device_id, "feed", window_title, phrase, context, f"{observed}#{n}"),
        device_id=device_id, user="pupil1", observed_at=observed, source=Source.FEED,
        phrase=phrase, category=category, severity=severity, start=start,
        end=start + len(phrase), context=context, window_title=window_title)


def png_bytes(size: int = 64, colour: str = "navy") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (size, size), colour).save(out, format="PNG")
    return out.getvalue()


def noisy_png(width: int, height: int, seed: int = 0) -> bytes:
    """An incompressible PNG of roughly width*height*3 bytes (for spool-size tests)."""
    import numpy as np

    pixels = np.random.default_rng(seed).integers(0, 255, (height, width, 3), dtype=np.uint8)
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, format="PNG")
    return out.getvalue()
