"""Stage 1 on the device: the phrase library in force, and which matches become captures.

The library is the shipped one plus the school's overlay. The overlay comes from the server
when a heartbeat says its version changed, and it is written to disk so that a laptop that
boots without network still matches with the school's phrases. A match is captured unless the
same phrase was captured in the same window in the last few minutes (a chat that stays open
must not file the same line twelve times an hour).
"""
from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from classifier.matcher import Matcher
from classifier.phrases import PhraseLibrary, PhraseLibraryError
from classifier.records import PhraseMatch

log = logging.getLogger("agent.prefilter")

OVERLAY_CACHE = "overlay.json"


class LibraryStore:
    """The library in force; swapped whole when a new overlay arrives (readers never lock)."""

    def __init__(self, state_dir: Path, phrases_dir: Path | None = None) -> None:
        self._cache = state_dir / OVERLAY_CACHE
        self._phrases_dir = phrases_dir
        self._lock = threading.Lock()
        self.server_versions: tuple[str, str] | None = None
        cached = self._read_cache()
        overlay = cached.get("overlay") if cached else None
        try:
            self.library = PhraseLibrary.load(phrases_dir, overlay=overlay)
        except PhraseLibraryError as exc:
            if overlay is None:
                raise
            log.error("cached school overlay is unusable (%s); using the shipped library "
                      "until the server sends a new one", exc)
            self.library = PhraseLibrary.load(phrases_dir)
        else:
            if cached:
                self.server_versions = (str(cached.get("library_version", "")),
                                        str(cached.get("overlay_version", "")))
        self.matcher = Matcher.for_library(self.library)

    @property
    def version(self) -> str:
        return self.library.version

    def needs_update(self, library_version: str, overlay_version: str) -> bool:
        return self.server_versions != (library_version, overlay_version)

    def apply(self, answer: dict[str, Any]) -> None:
        """Apply the server's overlay answer; a bad overlay keeps the current library."""
        overlay = answer.get("overlay")
        library = PhraseLibrary.load(self._phrases_dir, overlay=overlay)  # raises if invalid
        matcher = Matcher.for_library(library)
        with self._lock:
            self.library, self.matcher = library, matcher
            self.server_versions = (str(answer.get("library_version", "")),
                                    str(answer.get("overlay_version", "")))
        self._write_cache(answer)
        shipped = library.base_version
        if answer.get("library_version") and answer["library_version"] != shipped:
            log.warning("server runs phrase library %s, this agent ships %s: update the agent "
                        "to match new shipped phrases", answer["library_version"], shipped)
        log.info("phrase library now %s (%d phrases)", library.version, len(library.phrases))

    def find(self, text: str) -> list[PhraseMatch]:
        return self.matcher.find(text)

    def _read_cache(self) -> dict[str, Any] | None:
        try:
            data = json.loads(self._cache.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            log.error("%s: cached school overlay unreadable (%s); ignoring it", self._cache, exc)
            return None
        return data if isinstance(data, dict) else None

    def _write_cache(self, answer: dict[str, Any]) -> None:
        tmp = self._cache.with_suffix(".tmp")
        tmp.write_text(json.dumps(answer, ensure_ascii=False), encoding="utf-8")
        with tmp.open("rb") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, self._cache)


class RepeatSuppressor:
    """Remembers (phrase, category, window) captures for `seconds`."""

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self._clock = clock
        self._seen: dict[tuple[str, str, str], float] = {}

    def should_capture(self, match: PhraseMatch, window: str) -> bool:
        now = self._clock()
        key = (match.phrase, match.category, window)
        last = self._seen.get(key)
        if last is not None and now - last < self.seconds:
            return False
        self._seen[key] = now
        if len(self._seen) > 4096:
            self._forget(now)
        return True

    def _forget(self, now: float) -> None:
        self._seen = {k: t for k, t in self._seen.items() if now - t < self.seconds}
