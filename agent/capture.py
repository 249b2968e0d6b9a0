"""From observed text to spooled hits: prefilter, repeat suppression, evidence, spool.

The spool write is the first thing that happens to a hit; nothing is sent from memory. If
the disk refuses the write (full, read-only), the hit waits in memory and is written as soon
as the disk allows, and the problem is reported once.
"""
from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, replace
from typing import Any

from agent.evidence import Screenshot, build_record, encode_screenshot
from agent.health import Health
from agent.prefilter import LibraryStore, RepeatSuppressor
from agent.scoring import DeviceScorer
from agent.sources.base import Observation
from agent.spool import Spool, SpoolWriteError
from classifier.records import HitRecord, utc_now

log = logging.getLogger("agent.capture")

#: Hits held in memory while the disk refuses writes (beyond this the oldest are logged as
#: lost: only reachable when a disk stays full for a very long time).
MAX_WAITING = 10_000
#: Screenshots held in memory meanwhile; beyond this the spool's own policy applies early:
#: the lowest-severity hit's screenshot goes first, its record stays.
MAX_WAITING_SCREENSHOTS = 20


class Capturer:
    def __init__(self, *, library: LibraryStore, suppressor: RepeatSuppressor, spool: Spool,
                 health: Health, device_id: str, user: str, screenshot_format: str = "webp",
                 screenshot_lossless: bool = True, screenshot_quality: int = 80,
                 scorer: DeviceScorer | None = None,
                 on_spooled: Callable[[], None] = lambda: None) -> None:
        self.library = library
        self.suppressor = suppressor
        self.spool = spool
        self.health = health
        self.device_id = device_id
        self.user = user
        self.screenshot_format = screenshot_format
        self.screenshot_lossless = screenshot_lossless
        self.screenshot_quality = screenshot_quality
        self.scorer = scorer
        self.on_spooled = on_spooled
        self._waiting: deque[_Waiting] = deque()
        self.captured = 0

    def process(self, observation: Observation) -> list[HitRecord]:
        records = self._capture(observation)
        if records or observation.checkpoint is not None:
            self.flush()
        return records

    def _capture(self, observation: Observation) -> list[HitRecord]:
        matches = self.library.find(observation.text)
        window = observation.window_title or observation.application
        screenshot: Screenshot | None = None
        pending: list[_Waiting] = []
        for match in matches:
            if not self.suppressor.should_capture(match, window):
                continue
            record = build_record(observation, match, device_id=self.device_id,
                                  user=self.user, library_version=self.library.version)
            shot = None
            if observation.frame is not None:
                if screenshot is None:
                    screenshot = encode_screenshot(
                        observation.frame, self.screenshot_format,
                        lossless=self.screenshot_lossless, quality=self.screenshot_quality)
                shot = screenshot
            if shot is not None and self.scorer is not None and not self.scorer.alerts(record):
                self.scorer.keep(record.key, shot.data, shot.mime)
                shot = None
            pending.append(_Waiting(record, shot))
            # No phrase or text in the log: what a pupil saw stays in the spool.
            log.info("captured %s hit %s (severity %d) from %s", record.category, record.key,
                     record.severity, record.source)
        if observation.checkpoint is not None:
            if pending:  # the source may move on once the last of these hits is stored
                pending[-1] = replace(pending[-1], checkpoint=observation.checkpoint)
            else:
                pending.append(_Waiting(None, None, observation.checkpoint))
        self._waiting.extend(pending)
        records = [w.record for w in pending if w.record is not None]
        self.captured += len(records)
        return records

    def flush(self) -> None:
        """Write waiting hits to the spool; on a refusal keep them and say so once."""
        wrote = False
        while self._waiting:
            item = self._waiting[0]
            try:
                if item.record is None:
                    self.spool.set_meta(*item.checkpoint)
                    self._waiting.popleft()
                    continue
                result = self.spool.add(item.record, item.shot.data if item.shot else None,
                                        item.shot.mime if item.shot else None,
                                        checkpoint=item.checkpoint)
            except SpoolWriteError as exc:
                self.health.report("spool", f"{exc}; {self.waiting} hit(s) held in "
                                   "memory until the disk accepts them")
                self._bound_memory()
                while len(self._waiting) > MAX_WAITING:
                    lost = self._waiting.popleft()
                    if lost.record is not None:
                        log.error("hit %s lost: the disk has refused writes for too long",
                                  lost.record.key)
                break
            self._waiting.popleft()
            wrote = True
            if result.dropped_screenshots:
                log.warning("spool is full: dropped %d screenshot(s) of the lowest-severity "
                            "hits (hit records are kept)", result.dropped_screenshots)
        if wrote:
            self.health.clear("spool", "spool writes again")
            with suppress(SpoolWriteError):  # only a status fact; the hits are written
                self.spool.set_meta("last_hit_at", utc_now())
            self.on_spooled()

    def _bound_memory(self) -> None:
        holding = [i for i, w in enumerate(self._waiting) if w.shot is not None]
        excess = len(holding) - MAX_WAITING_SCREENSHOTS
        if excess <= 0:
            return
        order = sorted(holding, key=lambda i: (self._waiting[i].record.severity, i))
        for i in order[:excess]:
            self._waiting[i] = replace(self._waiting[i], shot=None)
        log.warning("disk full: dropped %d screenshot(s) of the lowest-severity hits waiting in "
                    "memory (their records are kept)", excess)

    @property
    def waiting(self) -> int:
        """Hits captured but not yet on disk."""
        return sum(w.record is not None for w in self._waiting)


@dataclass(frozen=True, slots=True)
class _Waiting:
    record: HitRecord | None          # None: only a source checkpoint to store
    shot: Screenshot | None
    checkpoint: tuple[str, Any] | None = None
