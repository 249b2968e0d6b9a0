"""Screenshot uploads are proven to be images by decoding them, not by their name or header.

A file that is not a whole PNG, WebP or JPEG (a renamed text file, a truncated upload, a
decompression bomb) is refused before anything is stored.
"""
from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

ALLOWED_FORMATS = {"PNG": "image/png", "WEBP": "image/webp", "JPEG": "image/jpeg"}


class ImageRejected(ValueError):
    """Why an upload is not an acceptable screenshot; `status` is the HTTP status to answer."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status


@dataclass(frozen=True, slots=True)
class CheckedImage:
    data: bytes
    media_type: str
    width: int
    height: int


def check_screenshot(data: bytes, *, max_bytes: int, max_pixels: int) -> CheckedImage:
    if not data:
        raise ImageRejected(422, "screenshot is empty")
    if len(data) > max_bytes:
        raise ImageRejected(413, f"screenshot is larger than {max_bytes} bytes")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                fmt = probe.format
                if fmt not in ALLOWED_FORMATS:
                    raise ImageRejected(
                        415, f"screenshot must be PNG, WebP or JPEG, not {fmt or 'unknown'}")
                width, height = probe.size
                if width * height > max_pixels:
                    raise ImageRejected(413, f"screenshot has more than {max_pixels} pixels")
                probe.verify()
            with Image.open(io.BytesIO(data)) as image:
                image.load()  # verify() skips pixel data; a truncated file fails only here
    except ImageRejected:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageRejected(415, "screenshot is not a PNG, WebP or JPEG image") from None
    except (OSError, SyntaxError, ValueError):
        raise ImageRejected(415, "screenshot could not be decoded (damaged or truncated)") from None
    return CheckedImage(data, ALLOWED_FORMATS[fmt], width, height)
