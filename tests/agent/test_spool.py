"""The spool keeps every hit on disk until the server owns it, and when it is full it gives
up screenshots of the least severe hits first, never a hit record."""
from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest

from agent.spool import Spool, SpoolWriteError
from classifier.records import HitRecord
from tests.agent.factories import make_hit

SHOT = 10_000  # bytes of one test screenshot


def shot(seed: int = 0) -> bytes:
    return os.urandom(SHOT) if seed == 0 else bytes([seed % 256]) * SHOT


def test_a_hit_is_committed_to_disk_in_wal_mode_with_full_sync(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool.sqlite3", max_bytes=10**9)
    hit = make_hit()
    spool.add(hit, shot(), "image/webp")
    conn = spool._conn()
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    # Another process (a second connection) sees it at once: it is committed, not buffered.
    other = sqlite3.connect(tmp_path / "spool.sqlite3")
    assert other.execute("SELECT key FROM hits").fetchall() == [(hit.key,)]
    assert oct((tmp_path / "spool.sqlite3").stat().st_mode & 0o777) == "0o600"


def test_hits_survive_a_restart_with_their_screenshot(tmp_path: Path) -> None:
    path = tmp_path / "spool.sqlite3"
    first = Spool(path, max_bytes=10**9)
    hit = make_hit()
    data = shot()
    first.add(hit, data, "image/png")
    first.close()
    again = Spool(path, max_bytes=10**9).due()
    assert [(h.record, h.screenshot, h.screenshot_type) for h in again] == \
        [(HitRecord.from_dict(hit.to_dict()), data, "image/png")]


def test_upload_order_is_most_severe_first_then_oldest(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "s.sqlite3", max_bytes=10**9)
    hits = [make_hit(severity=s) for s in (2, 5, 3, 5, 1)]
    for hit in hits:
        spool.add(hit)
    order = [h.key for h in spool.due()]
    assert order == [hits[1].key, hits[3].key, hits[2].key, hits[0].key, hits[4].key]


def test_a_hit_leaves_only_when_delivered_and_a_repeat_key_is_one_hit(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "s.sqlite3", max_bytes=10**9)
    a, b = make_hit(), make_hit()
    assert spool.add(a).added and spool.add(b).added
    assert not spool.add(a).added  # the same capture spooled twice is one hit
    spool.record_attempt(a.key)
    assert spool.stats().pending == 2
    spool.delivered(a.key)
    assert [h.key for h in spool.due()] == [b.key]


def test_a_refused_hit_stays_on_the_device_but_is_not_retried(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "s.sqlite3", max_bytes=10**9)
    a, b = make_hit(), make_hit()
    spool.add(a)
    spool.add(b)
    spool.reject(a.key, "422: invalid hit")
    assert [h.key for h in spool.due()] == [b.key]
    assert spool.rejected() == [(a.key, "422: invalid hit")]
    stats = spool.stats()
    assert (stats.pending, stats.rejected) == (1, 1)


# Each case: severities of the hits in the order they were captured (each with a
# screenshot), how many screenshots fit, and which hits still have theirs afterwards.
POLICY = [
    ("room for all", [5, 1, 3], 3, [0, 1, 2]),
    ("lowest severity goes first", [5, 1, 3], 2, [0, 2]),
    ("then the next lowest", [5, 1, 3], 1, [0]),
    ("oldest first within a severity", [2, 2, 2, 5], 2, [2, 3]),
    ("a new low hit loses its own screenshot", [5, 5, 1], 2, [0, 1]),
    ("critical hits lose theirs last", [5, 4, 5, 1, 1], 1, [2]),
]


@pytest.mark.parametrize(("case", "severities", "fit", "kept"), POLICY,
                         ids=[c[0] for c in POLICY])
def test_full_spool_drops_screenshots_of_lowest_severity_first_never_records(
        tmp_path: Path, case: str, severities: list[int], fit: int, kept: list[int]) -> None:
    hits = [make_hit(severity=s) for s in severities]
    records_bytes = sum(len(_record_bytes(h)) for h in hits)
    spool = Spool(tmp_path / "s.sqlite3", max_bytes=records_bytes + fit * SHOT + SHOT // 2)
    for hit in hits:
        spool.add(hit, shot(), "image/webp")
    with_shot = {h.key for h in spool.due(limit=100) if h.screenshot is not None}
    assert with_shot == {hits[i].key for i in kept}
    assert {h.key for h in spool.due(limit=100)} == {h.key for h in hits}  # every record kept
    assert spool.stats().dropped_screenshots == len(hits) - len(kept)


def test_records_are_kept_even_when_they_alone_exceed_the_bound(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "s.sqlite3", max_bytes=100)
    hits = [make_hit(severity=s) for s in (1, 5, 3)]
    for hit in hits:
        spool.add(hit, shot(), "image/png")
    remaining = spool.due(limit=100)
    assert len(remaining) == 3 and all(h.screenshot is None for h in remaining)
    assert spool.stats().dropped_screenshots == 3


def test_a_disk_that_refuses_writes_is_an_error_and_leaves_the_spool_intact(
        tmp_path: Path) -> None:
    spool = Spool(tmp_path / "s.sqlite3", max_bytes=10**9)
    first = make_hit()
    spool.add(first)
    conn = spool._conn()
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.execute(f"PRAGMA max_page_count = {pages}")  # SQLite's own "disk full"
    with pytest.raises(SpoolWriteError, match="full"):
        spool.add(make_hit(), os.urandom(200_000), "image/png")
    assert [h.key for h in spool.due()] == [first.key]


def _record_bytes(hit) -> bytes:
    import json

    return json.dumps(hit.to_dict(), ensure_ascii=False, separators=(",", ":")).encode()


def test_a_record_damaged_on_disk_is_set_aside_not_sent_and_not_deleted(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "s.sqlite3", max_bytes=10**9)
    damaged, fine = make_hit(severity=5), make_hit(severity=1)
    spool.add(damaged)
    spool.add(fine)
    spool._conn().execute("UPDATE hits SET record = '{\"key\": 1' WHERE key = ?",
                          (damaged.key,))
    assert [h.key for h in spool.due()] == [fine.key]
    (refused,) = spool.rejected()
    assert refused[0] == damaged.key and refused[1].startswith("unreadable in the spool")
