"""The screen: grab every monitor, skip what did not change, OCR what did."""
from __future__ import annotations

import logging
from collections.abc import Callable

import mss
import numpy as np

from agent.change import Region, TileHasher, changed_regions
from agent.ocr import OcrUnavailable, assemble, read_regions, tesseract_version
from agent.sources.base import Frame, Observation, SourceUnavailable
from agent.window import WindowInfo
from classifier.records import Source

log = logging.getLogger("agent.screen")


class ScreenSource:
    name = "screen"

    def __init__(self, *, cadence: float = 5.0, monitors: list[int] | None = None,
                 tile: int = 32, languages: str = "eng", display: str | None = None,
                 window: Callable[[], WindowInfo | None] | None = None) -> None:
        self.cadence = cadence
        self._wanted = list(monitors or [])
        self._tile = tile
        self._languages = languages
        self._display = display or None
        self._window = window
        self._grabber: mss.base.MSS | None = None
        self._hashers: dict[int, TileHasher] = {}
        self.frames_seen = 0
        self.regions_read = 0

    def _open(self) -> mss.base.MSS:
        if self._grabber is None:
            try:
                tesseract_version()
            except OcrUnavailable as exc:
                raise SourceUnavailable(str(exc)) from None
            try:
                kwargs = {"display": self._display} if self._display else {}
                self._grabber = mss.MSS(**kwargs)
                self._grabber.monitors  # noqa: B018 - connects now, so failures show here
            except mss.ScreenShotError as exc:
                self._grabber = None
                raise SourceUnavailable(f"no display to capture ({exc})") from None
        return self._grabber

    def close(self) -> None:
        if self._grabber is not None:
            self._grabber.close()
            self._grabber = None

    def poll(self) -> list[Observation]:
        grabber = self._open()
        try:
            monitors = grabber.monitors
            numbers = self._wanted or list(range(1, len(monitors)))
            shots = [(n, grabber.grab(monitors[n])) for n in numbers if 0 < n < len(monitors)]
        except mss.ScreenShotError as exc:
            self.close()  # the display went away: reconnect on the next poll
            for hasher in self._hashers.values():
                hasher.reset()
            raise SourceUnavailable(f"screen capture failed ({exc})") from None
        window = self._window() if self._window else None
        observations: list[Observation] = []
        for number, shot in shots:
            pixels = np.asarray(shot)
            self.frames_seen += 1
            hasher = self._hashers.setdefault(number, TileHasher(self._tile))
            regions = changed_regions(hasher.changed(pixels), self._tile,
                                      (pixels.shape[1], pixels.shape[0]))
            if regions:
                try:
                    observations.extend(self._read(Frame(pixels, number), regions, window))
                except SourceUnavailable:
                    hasher.reset()  # nothing of this frame was read: read it all next time
                    raise
        return observations

    def _read(self, frame: Frame, regions: list[Region], window: WindowInfo | None
              ) -> list[Observation]:
        rgb = frame.pixels[..., 2::-1]  # BGRA -> RGB view
        crops = [(np.ascontiguousarray(rgb[r.y:r.y + r.h, r.x:r.x + r.w]), (r.x, r.y))
                 for r in regions]
        try:
            per_region = read_regions(crops, languages=self._languages)
        except OcrUnavailable as exc:
            raise SourceUnavailable(str(exc)) from None
        self.regions_read += len(regions)
        observations = []
        for words in per_region:
            text = assemble(words)
            if text.text.strip():
                observations.append(Observation(
                    text=text.text, source=Source.SCREEN,
                    window_title=window.title if window else "",
                    application=window.application if window else "",
                    words=text.words, frame=frame))
        return observations
