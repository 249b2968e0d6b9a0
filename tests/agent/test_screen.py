"""The screen and window-title sources on a real X screen (Xvfb) with a real Tk window."""
from __future__ import annotations

import pytesseract
import pytest

from agent.sources import ScreenSource, SourceUnavailable, SourceUnsupported, TitleSource
from agent.window import ActiveWindow, DisplayUnavailable, WindowTitlesUnsupported
from classifier.records import Source
from tests.agent.conftest import TkWindow, XScreen


def test_the_active_window_title_and_application_are_read(xscreen: XScreen,
                                                          tk_window: TkWindow) -> None:
    tk_window.show("hello", title="Homework help - Chat")
    info = ActiveWindow(xscreen.display).current()
    assert info is not None
    assert info.title == "Homework help - Chat"
    assert info.application == "Tk"


def test_the_title_source_reports_each_new_title_once(xscreen: XScreen,
                                                      tk_window: TkWindow) -> None:
    source = TitleSource(display=xscreen.display)
    tk_window.show("x", title="how to place a bet online - Search")
    first = source.poll()
    assert [(o.text, o.source) for o in first] == [("how to place a bet online - Search",
                                                    Source.TITLE)]
    assert source.poll() == []  # same window, same title: nothing new
    tk_window.show("x", title="Revision notes")
    assert [o.text for o in source.poll()] == ["Revision notes"]
    source.close()


@pytest.mark.parametrize(("env", "error", "message"), [
    ({"DISPLAY": ""}, DisplayUnavailable, "no display: DISPLAY is not set"),
    ({"DISPLAY": "", "WAYLAND_DISPLAY": "wayland-0"}, WindowTitlesUnsupported,
     "not supported under Wayland"),
    ({"DISPLAY": ":399"}, DisplayUnavailable, "cannot open display :399"),
])
def test_window_titles_say_clearly_why_they_cannot_be_read(
        monkeypatch: pytest.MonkeyPatch, env: dict[str, str], error: type,
        message: str) -> None:
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(error, match=message):
        ActiveWindow()


def test_the_title_source_stops_for_good_only_when_unsupported(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DISPLAY", "")
    monkeypatch.setenv("WAYLAND_DISPLAY", "wayland-0")
    with pytest.raises(SourceUnsupported):
        TitleSource().poll()
    monkeypatch.setenv("DISPLAY", ":399")
    with pytest.raises(SourceUnavailable):
        TitleSource().poll()


def test_the_screen_is_read_once_then_only_where_it_changes(xscreen: XScreen,
                                                            tk_window: TkWindow) -> None:
    tk_window.show("Maths homework is due on Friday", title="Class chat")
    source = ScreenSource(display=xscreen.display,
                          window=TitleSource(display=xscreen.display).current_window)
    first = source.poll()
    text = " ".join(o.text for o in first)
    assert "Maths homework is due on Friday" in text
    assert all(o.window_title == "Class chat" and o.frame is not None for o in first)
    read_so_far = source.regions_read

    assert source.poll() == []  # nothing changed: no OCR at all
    assert source.regions_read == read_so_far

    tk_window.show("Maths homework is due on Friday", "see you at lunch", title="Class chat")
    changed = source.poll()
    assert [o.text for o in changed] == ["see you at lunch"]
    assert source.regions_read == read_so_far + 1
    source.close()


def test_light_text_in_chat_bubbles_is_read_from_the_screen(xscreen: XScreen,
                                                            tk_window: TkWindow) -> None:
    lines = ["nobody would miss me if I was gone", "what are you doing later",
             "this homework is killing me", "dark mode says hello there"]
    tk_window.show(*lines, style="chat")
    text = " ".join(o.text for o in ScreenSource(display=xscreen.display).poll())
    for line in lines:
        assert line in text.replace("|", "I")


def test_no_display_and_no_tesseract_are_unavailable_not_crashes(
        xscreen: XScreen, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(SourceUnavailable, match="no display to capture"):
        ScreenSource(display=":399").poll()
    monkeypatch.setattr(pytesseract.pytesseract, "tesseract_cmd", "/nonexistent/tesseract")
    with pytest.raises(SourceUnavailable, match="Tesseract OCR is not installed"):
        ScreenSource(display=xscreen.display).poll()
