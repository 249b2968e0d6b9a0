"""From text on a screen or in a feed to hit records in the spool, with their evidence."""
from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from agent.capture import Capturer
from agent.health import Health
from agent.ocr import WordSpan
from agent.prefilter import LibraryStore, RepeatSuppressor
from agent.scoring import KEPT_DIR, DeviceScorer
from agent.sources import Frame, Observation
from agent.spool import Spool
from classifier.judge import ContextInput, Verdict
from classifier.records import Box, HitRecord, Source


@pytest.fixture
def spool(tmp_path: Path) -> Spool:
    return Spool(tmp_path / "spool.sqlite3", max_bytes=10**9)


def capturer(tmp_path: Path, phrases_dir: Path, spool: Spool, **kw) -> Capturer:
    return Capturer(library=LibraryStore(tmp_path, phrases_dir),
                    suppressor=RepeatSuppressor(180), spool=spool, health=Health(),
                    device_id="dev-9", user="pupil1", **kw)


def feed(text: str, window: str = "Chat") -> Observation:
    return Observation(text=text, source=Source.FEED, window_title=window)


# Each case: text seen, and the (phrase, category, severity) captured from it.
TEXTS = [
    ("a concern", "honestly nobody would miss me if I was gone",
     [("nobody would miss me", "suicide", 5)]),
    ("an innocent use", "this homework is killing me lol",
     [("killing me", "emotional_distress", 2)]),
    ("two phrases in one message", "I feel so alone and I want to die",
     [("so alone", "emotional_distress", 3), ("want to die", "suicide", 5)]),
    ("grooming", "Don't tell your parents about our chats",
     [("don't tell your parents", "sexual_exploitation", 5)]),
    ("no trigger phrase", "see you at lunch, bring the maths book", []),
    ("empty", "", []),
]


@pytest.mark.parametrize(("case", "text", "expected"), TEXTS, ids=[c[0] for c in TEXTS])
def test_one_hit_per_phrase_and_nothing_without_one(
        tmp_path: Path, phrases_dir: Path, spool: Spool, case: str, text: str,
        expected: list) -> None:
    records = capturer(tmp_path, phrases_dir, spool).process(feed(text))
    assert [(r.phrase, r.category, r.severity) for r in records] == expected
    assert {h.key for h in spool.due()} == {r.key for r in records}
    for r in records:
        assert r.context[r.start:r.end].lower().replace("’", "'") == r.phrase
        assert (r.device_id, r.user, r.source, r.window_title) == ("dev-9", "pupil1",
                                                                   Source.FEED, "Chat")
        assert r.library_version == "agent-test.1"
        assert HitRecord.from_dict(r.to_dict()).key == r.key  # the server will accept it


def test_the_same_line_seen_again_is_not_captured_twice(tmp_path: Path, phrases_dir: Path,
                                                        spool: Spool) -> None:
    capture = capturer(tmp_path, phrases_dir, spool)
    assert len(capture.process(feed("nobody would miss me"))) == 1
    assert capture.process(feed("nobody would miss me")) == []
    assert len(capture.process(feed("nobody would miss me", window="Other chat"))) == 1
    assert spool.stats().pending == 2


def screen_observation(text: str, spans: Sequence[tuple[int, int, Box]]) -> Observation:
    pixels = np.zeros((300, 400, 4), dtype=np.uint8)
    pixels[..., 2] = 200  # a red screen, BGRA
    return Observation(text=text, source=Source.SCREEN, window_title="Chat",
                       words=tuple(WordSpan(s, e, b) for s, e, b in spans),
                       frame=Frame(pixels, 1))


WORDS = [(0, 8, Box(10, 10, 60, 14)), (9, 15, Box(75, 10, 40, 14)),
         (16, 21, Box(120, 10, 38, 14)), (22, 26, Box(163, 10, 30, 14)),
         (27, 29, Box(198, 10, 16, 14)), (30, 35, Box(10, 30, 40, 14))]
SCREEN_TEXT = "honestly nobody would miss me today"


@pytest.mark.parametrize("fmt", ["webp", "png"])
def test_a_screen_hit_carries_the_monitor_screenshot_and_the_phrase_boxes(
        tmp_path: Path, phrases_dir: Path, spool: Spool, fmt: str) -> None:
    capture = capturer(tmp_path, phrases_dir, spool, screenshot_format=fmt)
    (record,) = capture.process(screen_observation(SCREEN_TEXT, WORDS))
    assert record.boxes == tuple(b for _, _, b in WORDS[1:5])  # nobody would miss me
    (spooled,) = spool.due()
    assert spooled.screenshot_type == f"image/{fmt}"
    image = Image.open(io.BytesIO(spooled.screenshot))
    assert image.format == fmt.upper() and image.size == (400, 300)
    assert image.convert("RGB").getpixel((5, 5))[0] > 150  # colours kept (BGRA -> RGB)


class InnocentWhenJoking:
    """A stand-in context model for routing tests: "lol" makes a hit innocent. (The shipped
    model's own verdicts are tested in the end-to-end tests.)"""

    version = "test-judge"

    def judge(self, items: Sequence[ContextInput]) -> list[Verdict]:
        return [Verdict(alert="lol" not in i.text, category=i.category, score=0.5,
                        scores={}, model_version=self.version) for i in items]


def test_scoring_on_the_device_keeps_innocent_screenshots_on_the_device(
        tmp_path: Path, phrases_dir: Path, spool: Spool) -> None:
    capture = capturer(tmp_path, phrases_dir, spool,
                       scorer=DeviceScorer(InnocentWhenJoking(), tmp_path))
    innocent = screen_observation("this homework is killing me lol", [])
    concern = screen_observation("honestly nobody would miss me", [])
    (kept,) = capture.process(innocent)
    (sent,) = capture.process(concern)
    shots = {h.key: h.screenshot for h in spool.due()}
    assert shots[kept.key] is None and shots[sent.key] is not None  # only text leaves
    local = list((tmp_path / KEPT_DIR).iterdir())
    assert [p.name for p in local] == [f"{kept.key}.webp"]
    assert oct(local[0].stat().st_mode & 0o777) == "0o600"


def test_hits_wait_in_memory_while_the_disk_is_full_then_are_written(
        tmp_path: Path, phrases_dir: Path, spool: Spool) -> None:
    capture = capturer(tmp_path, phrases_dir, spool)
    conn = spool._conn()
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.execute(f"PRAGMA max_page_count = {pages}")
    for text in ("nobody would miss me", "I want to die"):
        seen = screen_observation(text, [])
        seen.frame.pixels[:] = np.random.default_rng(1).integers(0, 255, (300, 400, 4))
        capture.process(seen)  # a noisy screenshot: far more than the free pages hold
    assert capture.waiting == 2 and spool.stats().pending == 0
    assert "held in memory" in capture.health.problems()["spool"]["message"]
    conn.execute("PRAGMA max_page_count = 1073741823")  # space again
    capture.flush()
    assert capture.waiting == 0 and spool.stats().pending == 2
    assert "spool" not in capture.health.problems()


def test_a_feed_position_is_stored_with_the_hits_it_produced(
        tmp_path: Path, phrases_dir: Path, spool: Spool) -> None:
    capture = capturer(tmp_path, phrases_dir, spool)
    hit_line = Observation(text="nobody would miss me", source=Source.FEED,
                           checkpoint=("feed-position:/x", {"offset": 21}))
    quiet_line = Observation(text="see you at lunch", source=Source.FEED,
                             checkpoint=("feed-position:/x", {"offset": 40}))
    capture.process(hit_line)
    assert spool.get_meta("feed-position:/x") == {"offset": 21} and spool.stats().pending == 1
    capture.process(quiet_line)
    assert spool.get_meta("feed-position:/x") == {"offset": 40}


def test_while_the_disk_is_full_memory_keeps_the_most_severe_screenshots(
        tmp_path: Path, phrases_dir: Path, spool: Spool,
        monkeypatch: pytest.MonkeyPatch) -> None:
    import agent.capture

    monkeypatch.setattr(agent.capture, "MAX_WAITING_SCREENSHOTS", 1)
    capture = capturer(tmp_path, phrases_dir, spool)
    conn = spool._conn()
    conn.execute(f"PRAGMA max_page_count = {conn.execute('PRAGMA page_count').fetchone()[0]}")
    for text in ("i feel so alone", "nobody would miss me"):  # severity 3, then 5
        seen = screen_observation(text, [])
        seen.frame.pixels[:] = np.random.default_rng(2).integers(0, 255, (300, 400, 4))
        capture.process(seen)
    conn.execute("PRAGMA max_page_count = 1073741823")
    capture.flush()
    shots = {h.record.phrase: h.screenshot is not None for h in spool.due()}
    assert shots == {"so alone": False, "nobody would miss me": True}
