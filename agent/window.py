"""The active window's title and application, read from the X server (EWMH).

Window titles carry what OCR can miss (a search in a browser tab, a video's name) and label
every screen hit with where it was seen. Only X11 is supported; anywhere else the probe says
so once, clearly, instead of guessing.
"""
from __future__ import annotations

import os
import sys
from dataclasses import dataclass

try:
    from Xlib import X, Xatom, display, error
except ImportError:  # pragma: no cover - python-xlib is part of the agent extra
    display = None


class WindowTitlesUnsupported(RuntimeError):
    """This session has no X11 display to ask (Wayland, Windows, macOS, a headless box)."""


class DisplayUnavailable(RuntimeError):
    """The X display is named but cannot be reached (not started yet, wrong number)."""


@dataclass(frozen=True, slots=True)
class WindowInfo:
    title: str
    application: str


def check_x11_session(display_name: str | None = None) -> str:
    """The X display to use, or why window titles cannot be read here."""
    if display is None or not sys.platform.startswith(("linux", "freebsd", "openbsd")):
        raise WindowTitlesUnsupported(
            f"window titles are not supported on {sys.platform} (X11 only)")
    name = display_name or os.environ.get("DISPLAY", "")
    if not name:
        if os.environ.get("WAYLAND_DISPLAY"):
            raise WindowTitlesUnsupported("window titles are not supported under Wayland "
                                          "(X11 only)")
        raise DisplayUnavailable("no display: DISPLAY is not set")
    return name


class ActiveWindow:
    """Asks the X server which window is active: _NET_ACTIVE_WINDOW from the window manager,
    or the window holding the input focus when no EWMH window manager runs."""

    def __init__(self, display_name: str | None = None) -> None:
        name = check_x11_session(display_name)
        try:
            self._display = display.Display(name)
        except (error.DisplayError, error.ConnectionClosedError, OSError) as exc:
            raise DisplayUnavailable(f"cannot open display {name}: {exc}") from None
        self._root = self._display.screen().root
        intern = self._display.intern_atom
        self._net_active = intern("_NET_ACTIVE_WINDOW")
        self._net_name = intern("_NET_WM_NAME")
        self._utf8 = intern("UTF8_STRING")

    def close(self) -> None:
        self._display.close()

    def current(self) -> WindowInfo | None:
        """The active window, or None when no window is active (an empty desktop)."""
        try:
            window = self._active_window()
            while window is not None:
                title = self._title(window)
                if title is not None:
                    return WindowInfo(title, self._application(window))
                window = self._parent(window)
        except (error.XError, error.ConnectionClosedError) as exc:
            raise DisplayUnavailable(f"lost the X display: {exc}") from None
        return None

    def _active_window(self):
        prop = self._root.get_full_property(self._net_active, X.AnyPropertyType)
        if prop is not None and len(prop.value) and prop.value[0]:
            return self._display.create_resource_object("window", int(prop.value[0]))
        focus = self._display.get_input_focus().focus
        if isinstance(focus, int) or focus in (X.NONE, X.PointerRoot):
            return None
        return focus

    def _title(self, window) -> str | None:
        prop = window.get_full_property(self._net_name, self._utf8)
        if prop is not None and prop.value:
            value = prop.value
            return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
        prop = window.get_full_property(Xatom.WM_NAME, X.AnyPropertyType)
        if prop is not None and prop.value:
            value = prop.value
            return value.decode("latin-1") if isinstance(value, bytes) else str(value)
        return None

    @staticmethod
    def _application(window) -> str:
        names = window.get_wm_class()
        return names[1] if names else ""

    def _parent(self, window):
        tree = window.query_tree()
        if tree.parent == 0 or tree.parent.id == self._root.id:
            return None
        return tree.parent
