"""Everything the server needs from the phrase library, behind one small door.

The server does not match phrases (agents do); it reports which library version is in force,
validates a school's overlay and says which overlay version a device should hold. Keeping
those three calls here means a change in `classifier.phrases` is adapted in one file.
"""
from __future__ import annotations

import logging
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from classifier.phrases import PhraseLibrary, PhraseLibraryError, load_overlay

log = logging.getLogger(__name__)

UNKNOWN_VERSION = "unknown"
NO_OVERLAY = "none"


class OverlayError(ValueError):
    """An overlay a school cannot use; the message says which entry and why."""


@lru_cache(maxsize=1)
def library_version() -> str:
    """The shipped library's version (without any overlay), read once per process."""
    try:
        return PhraseLibrary.load().base_version
    except PhraseLibraryError as exc:
        log.warning("phrase library not readable, reporting version %r: %s", UNKNOWN_VERSION, exc)
        return UNKNOWN_VERSION


def clean_overlay(overlay: Mapping[str, Any]) -> dict[str, Any]:
    """Validate an overlay and return it in the library's canonical form."""
    try:
        _, _, canonical = load_overlay(overlay)
    except PhraseLibraryError as exc:
        raise OverlayError(str(exc)) from None
    return canonical


def overlay_version(overlay: Mapping[str, Any] | None) -> str:
    """The digest the library appends to its version for this overlay, or "none".

    An agent compares it with what it holds and fetches the overlay again when it differs.
    """
    if not overlay or (not overlay.get("add") and not overlay.get("exclude")):
        return NO_OVERLAY
    version = PhraseLibrary.build((), "", overlay).version
    return version.rsplit("+overlay.", 1)[-1]
