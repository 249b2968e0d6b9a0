"""The library in force on the device, the school's overlay kept for offline use, and repeat
suppression (the same phrase in the same window is captured once per three minutes)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from agent.prefilter import OVERLAY_CACHE, LibraryStore, RepeatSuppressor
from classifier.phrases import PhraseLibraryError
from classifier.records import PhraseMatch

SCHOOL_OVERLAY = {
    "library_version": "agent-test.1", "overlay_version": "7",
    "overlay": {"add": [{"phrase": "meet at the bridge", "category": "violence",
                         "severity": 4}],
                "exclude": [{"phrase": "killing me", "reason": "too noisy in our school"}]},
}


def test_the_school_overlay_is_applied_and_kept_for_offline_use(tmp_path: Path,
                                                                phrases_dir: Path) -> None:
    store = LibraryStore(tmp_path, phrases_dir)
    assert store.needs_update("agent-test.1", "7")
    assert [m.phrase for m in store.find("this homework is killing me")] == ["killing me"]
    store.apply(SCHOOL_OVERLAY)
    assert not store.needs_update("agent-test.1", "7")
    assert store.find("this homework is killing me") == []
    assert [m.category for m in store.find("meet at the bridge after school")] == ["violence"]
    assert "+overlay." in store.version

    offline = LibraryStore(tmp_path, phrases_dir)  # a reboot without network
    assert offline.version == store.version
    assert not offline.needs_update("agent-test.1", "7")
    assert offline.find("this homework is killing me") == []


def test_a_bad_overlay_from_the_server_keeps_the_current_library(tmp_path: Path,
                                                                 phrases_dir: Path) -> None:
    store = LibraryStore(tmp_path, phrases_dir)
    before = store.version
    bad = {"library_version": "x", "overlay_version": "8",
           "overlay": {"exclude": [{"phrase": "want to die"}]}}  # no reason given
    with pytest.raises(PhraseLibraryError, match="must give a reason"):
        store.apply(bad)
    assert store.version == before and store.needs_update("x", "8")
    assert not (tmp_path / OVERLAY_CACHE).exists()


@pytest.mark.parametrize("cached", ["{not json", json.dumps({"overlay": {"add": "oops"}})])
def test_a_damaged_cached_overlay_falls_back_to_the_shipped_library(
        tmp_path: Path, phrases_dir: Path, cached: str) -> None:
    (tmp_path / OVERLAY_CACHE).write_text(cached)
    store = LibraryStore(tmp_path, phrases_dir)
    assert store.version == "agent-test.1"
    assert store.needs_update("agent-test.1", "0")  # fetch a good one at the next heartbeat


MATCH = PhraseMatch("nobody would miss me", "suicide", 5, 0, 20)
OTHER = PhraseMatch("so alone", "emotional_distress", 3, 0, 8)

# Each case: earlier captures as (seconds, match, window), then the capture to decide.
REPEATS = [
    ("first time seen", [], (0, MATCH, "Chat"), True),
    ("same phrase, same window, a minute later", [(0, MATCH, "Chat")], (60, MATCH, "Chat"),
     False),
    ("same phrase, same window, just under 3 minutes", [(0, MATCH, "Chat")],
     (179.9, MATCH, "Chat"), False),
    ("same phrase, same window, after 3 minutes", [(0, MATCH, "Chat")], (180, MATCH, "Chat"),
     True),
    ("same phrase, another window", [(0, MATCH, "Chat")], (10, MATCH, "Search"), True),
    ("another phrase, same window", [(0, MATCH, "Chat")], (10, OTHER, "Chat"), True),
    ("suppressed repeats do not extend the quiet period",
     [(0, MATCH, "Chat"), (100, MATCH, "Chat")], (181, MATCH, "Chat"), True),
]


@pytest.mark.parametrize(("case", "earlier", "now", "captured"), REPEATS,
                         ids=[c[0] for c in REPEATS])
def test_repeat_suppression(case: str, earlier: list, now: tuple, captured: bool) -> None:
    clock = [0.0]
    suppressor = RepeatSuppressor(180, clock=lambda: clock[0])
    for at, match, window in earlier:
        clock[0] = at
        suppressor.should_capture(match, window)
    clock[0], match, window = now
    assert suppressor.should_capture(match, window) is captured
