"""The one interface every text source implements, and what a source hands over.

A source is polled; each poll returns the text that is new since the last one, as
observations. The screen's observations also carry the word boxes and the frame they were
read from, so that a hit can be shown to a reviewer exactly where it was on the screen.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from agent.ocr import WordSpan
from classifier.records import Source


@dataclass(frozen=True, slots=True)
class Frame:
    """One monitor's pixels (h, w, 4 BGRA, as mss grabs them) and which monitor."""

    pixels: np.ndarray
    monitor: int


@dataclass(frozen=True, slots=True)
class Observation:
    text: str
    source: Source
    window_title: str = ""
    application: str = ""
    words: tuple[WordSpan, ...] = ()     # screen only: where each word of `text` is
    frame: Frame | None = None           # screen only: the evidence screenshot
    user: str | None = None              # feed only: a login the feed vouches for
    observed_at: str | None = None       # feed only: when the text was seen, if known
    #: (name, value) to store with this observation's hits, in the same transaction: how far
    #: a replayable source (a feed file) has got, so a restart neither skips nor repeats.
    checkpoint: tuple[str, Any] | None = None


class SourceUnavailable(RuntimeError):
    """The source cannot work right now (no display, no Tesseract); polled again later."""


class SourceUnsupported(RuntimeError):
    """The source can never work in this session (window titles off X11): stop polling."""


class TextSource(Protocol):
    #: Short name for logs and `status` ("screen", "title", "feed:<path>").
    name: str
    #: Seconds between polls.
    cadence: float

    def poll(self) -> list[Observation]:
        """New text since the last poll. Raises SourceUnavailable / SourceUnsupported."""
        ...

    def close(self) -> None: ...
