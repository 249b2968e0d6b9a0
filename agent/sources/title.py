"""The active window's title as text to match: a search typed into a browser shows up here
even when the page itself says nothing."""
from __future__ import annotations

from contextlib import suppress

from agent.sources.base import Observation, SourceUnavailable, SourceUnsupported
from agent.window import ActiveWindow, DisplayUnavailable, WindowInfo, WindowTitlesUnsupported
from classifier.records import Source


class TitleSource:
    name = "title"

    def __init__(self, *, cadence: float = 2.0, display: str | None = None) -> None:
        self.cadence = cadence
        self._display = display or None
        self._probe: ActiveWindow | None = None
        self._last: WindowInfo | None = None

    def current_window(self) -> WindowInfo | None:
        """The active window now (also used to label screen hits)."""
        try:
            if self._probe is None:
                self._probe = ActiveWindow(self._display)
            return self._probe.current()
        except WindowTitlesUnsupported as exc:
            raise SourceUnsupported(str(exc)) from None
        except DisplayUnavailable as exc:
            self.close()
            raise SourceUnavailable(str(exc)) from None

    def poll(self) -> list[Observation]:
        info = self.current_window()
        if info is None or info == self._last:
            return []
        self._last = info
        if not info.title.strip():
            return []
        return [Observation(text=info.title, source=Source.TITLE, window_title=info.title,
                            application=info.application)]

    def close(self) -> None:
        if self._probe is not None:
            with suppress(Exception):  # the connection may already be gone
                self._probe.close()
            self._probe = None
