"""The durable spool: every hit lands here, on disk, before anything tries to send it.

A laptop can lose power or network at any moment, so a hit is committed to SQLite (WAL,
synchronous=FULL: the commit has reached the disk) before the uploader sees it, and it leaves
only when the server has answered with an incident id. The spool is bounded; when it is full,
screenshots of the lowest-severity hits are dropped first, oldest first, and hit records are
never dropped: a reviewer can act on the words without the picture, not on nothing.
"""
from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from classifier.records import HitRecord

SCHEMA = """
CREATE TABLE IF NOT EXISTS hits (
    key TEXT PRIMARY KEY,
    record TEXT NOT NULL,
    severity INTEGER NOT NULL,
    created_at REAL NOT NULL,
    screenshot BLOB,
    screenshot_type TEXT,
    size_bytes INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    rejected TEXT
);
CREATE INDEX IF NOT EXISTS hits_upload_order ON hits (rejected, severity DESC, created_at);
CREATE INDEX IF NOT EXISTS hits_drop_order ON hits (severity, created_at)
    WHERE screenshot IS NOT NULL;
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


SPOOL_FILE = "spool.sqlite3"


def spool_path(state_dir: Path) -> Path:
    return state_dir / SPOOL_FILE


class SpoolWriteError(RuntimeError):
    """The spool could not store a hit (disk full, read-only disk); the caller must keep it."""


@dataclass(frozen=True, slots=True)
class SpooledHit:
    key: str
    record: HitRecord
    severity: int
    created_at: float
    screenshot: bytes | None
    screenshot_type: str | None
    attempts: int


@dataclass(frozen=True, slots=True)
class SpoolStats:
    pending: int
    rejected: int
    with_screenshot: int
    size_bytes: int
    dropped_screenshots: int


@dataclass(frozen=True, slots=True)
class AddResult:
    added: bool                  # False: this key was already spooled
    dropped_screenshots: int     # screenshots dropped by the size policy to make room


class Spool:
    """One SQLite file per device; each thread gets its own connection."""

    def __init__(self, path: Path | str, *, max_bytes: int) -> None:
        self.path = Path(path)
        self.max_bytes = max_bytes
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._write_lock = threading.Lock()
        self._conn().executescript(SCHEMA)
        self.path.chmod(0o600)

    # -- connections ---------------------------------------------------------------------
    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA busy_timeout=30000")
            self._local.conn = conn
        return conn

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        """One IMMEDIATE write transaction, committed (and synced) when the block ends; a
        refusal by SQLite or the disk becomes SpoolWriteError with nothing half-written."""
        conn = self._conn()
        with self._write_lock:
            try:
                conn.execute("BEGIN IMMEDIATE")
                yield conn
                conn.execute("COMMIT")
            except BaseException as exc:
                if conn.in_transaction:  # SQLite may already have rolled back (SQLITE_FULL)
                    with suppress(sqlite3.Error):
                        conn.execute("ROLLBACK")
                if isinstance(exc, sqlite3.OperationalError):
                    raise SpoolWriteError(f"spool cannot write: {exc}") from exc
                raise

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    # -- writing -------------------------------------------------------------------------
    def add(self, record: HitRecord, screenshot: bytes | None = None,
            screenshot_type: str | None = None, *,
            checkpoint: tuple[str, Any] | None = None) -> AddResult:
        """Commit a hit durably, then enforce the size bound in the same transaction; a
        source's checkpoint (how far a feed file was read) is committed with it."""
        body = json.dumps(record.to_dict(), ensure_ascii=False, separators=(",", ":"))
        size = len(body.encode("utf-8")) + (len(screenshot) if screenshot else 0)
        with self._tx() as conn:
            cur = conn.execute(
                "INSERT OR IGNORE INTO hits (key, record, severity, created_at, screenshot,"
                " screenshot_type, size_bytes) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (record.key, body, record.severity, time.time(), screenshot,
                 screenshot_type if screenshot else None, size))
            if checkpoint is not None:
                self._put(conn, *checkpoint)
            if cur.rowcount == 0:
                return AddResult(False, 0)
            return AddResult(True, self._enforce_bound(conn))

    def _enforce_bound(self, conn: sqlite3.Connection) -> int:
        total = conn.execute("SELECT COALESCE(SUM(size_bytes), 0) FROM hits").fetchone()[0]
        dropped = 0
        while total > self.max_bytes:
            row = conn.execute(
                "SELECT key, length(screenshot) FROM hits WHERE screenshot IS NOT NULL"
                " ORDER BY severity, created_at, rowid LIMIT 1").fetchone()
            if row is None:
                break  # only records are left: they are kept even over the bound
            conn.execute("UPDATE hits SET screenshot = NULL, screenshot_type = NULL,"
                         " size_bytes = size_bytes - ? WHERE key = ?", (row[1], row[0]))
            total -= row[1]
            dropped += 1
        if dropped:
            self._bump(conn, "dropped_screenshots", dropped)
        return dropped

    def delivered(self, key: str) -> None:
        """The server holds this hit under an incident id: only now is it removed."""
        with self._tx() as conn:
            conn.execute("DELETE FROM hits WHERE key = ?", (key,))

    def record_attempt(self, key: str) -> None:
        with self._tx() as conn:
            conn.execute("UPDATE hits SET attempts = attempts + 1 WHERE key = ?", (key,))

    def drop_screenshot(self, key: str) -> None:
        """The server refused this screenshot; the hit is sent again without it."""
        with self._tx() as conn:
            conn.execute("UPDATE hits SET size_bytes = size_bytes - COALESCE(length(screenshot),"
                         " 0), screenshot = NULL, screenshot_type = NULL WHERE key = ?", (key,))

    def reject(self, key: str, reason: str) -> None:
        """The server refused the record itself: kept on the device, never retried, shown
        in `status`, so nobody mistakes a refused hit for a delivered one."""
        with self._tx() as conn:
            conn.execute("UPDATE hits SET rejected = ? WHERE key = ?", (reason[:500], key))

    # -- reading -------------------------------------------------------------------------
    def due(self, limit: int = 20) -> list[SpooledHit]:
        """Hits waiting for upload, most severe first, then oldest first."""
        while True:
            rows = self._conn().execute(
                "SELECT key, record, severity, created_at, screenshot, screenshot_type,"
                " attempts FROM hits WHERE rejected IS NULL"
                " ORDER BY severity DESC, created_at, rowid LIMIT ?", (limit,)).fetchall()
            hits, unreadable = [], []
            for r in rows:
                try:
                    record = HitRecord.from_dict(json.loads(r[1]))
                except (ValueError, TypeError) as exc:  # damaged on disk: set aside, kept
                    unreadable.append((r[0], f"unreadable in the spool: {exc}"))
                    continue
                hits.append(SpooledHit(r[0], record, r[2], r[3], r[4], r[5], r[6]))
            for key, reason in unreadable:
                self.reject(key, reason)
            if hits or not unreadable:
                return hits

    def keys(self) -> set[str]:
        return {r[0] for r in self._conn().execute("SELECT key FROM hits")}

    def stats(self) -> SpoolStats:
        conn = self._conn()
        pending, rejected, shots, size = conn.execute(
            "SELECT COALESCE(SUM(rejected IS NULL), 0), COALESCE(SUM(rejected IS NOT NULL), 0),"
            " COALESCE(SUM(screenshot IS NOT NULL), 0), COALESCE(SUM(size_bytes), 0)"
            " FROM hits").fetchone()
        dropped = int(self._get(conn, "dropped_screenshots") or 0)
        return SpoolStats(pending, rejected, shots, size, dropped)

    def rejected(self) -> list[tuple[str, str]]:
        return list(self._conn().execute(
            "SELECT key, rejected FROM hits WHERE rejected IS NOT NULL ORDER BY created_at"))

    # -- small facts for `status` and the heartbeat ---------------------------------------
    def set_meta(self, name: str, value: Any) -> None:
        with self._tx() as conn:
            self._put(conn, name, value)

    @staticmethod
    def _put(conn: sqlite3.Connection, name: str, value: Any) -> None:
        conn.execute("INSERT INTO meta (name, value) VALUES (?, ?) ON CONFLICT(name) DO"
                     " UPDATE SET value = excluded.value", (name, json.dumps(value)))

    def get_meta(self, name: str, default: Any = None) -> Any:
        value = self._get(self._conn(), name)
        return default if value is None else value

    def all_meta(self) -> dict[str, Any]:
        return {n: json.loads(v)
                for n, v in self._conn().execute("SELECT name, value FROM meta")}

    @staticmethod
    def _get(conn: sqlite3.Connection, name: str) -> Any:
        row = conn.execute("SELECT value FROM meta WHERE name = ?", (name,)).fetchone()
        return None if row is None else json.loads(row[0])

    def _bump(self, conn: sqlite3.Connection, name: str, by: int) -> None:
        self._put(conn, name, int(self._get(conn, name) or 0) + by)
