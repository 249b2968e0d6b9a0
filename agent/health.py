"""What is wrong right now, said once: one log line when a problem starts, one when it ends.

An agent left alone for months must not fill a disk with the same "server unreachable" line
every five seconds, yet IT staff must find the problem in the log and in `status`. So each
part of the agent (screen, titles, server, spool, ...) has at most one current problem; it is
logged when it appears or changes, kept for `status` and the heartbeat, and cleared with a
recovery line.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from classifier.records import utc_now

log = logging.getLogger("agent")


class Health:
    def __init__(self, persist: Callable[[dict[str, dict[str, str]]], None] | None = None
                 ) -> None:
        self._problems: dict[str, dict[str, str]] = {}
        self._lock = threading.Lock()
        self._persist = persist

    def report(self, part: str, message: str, *, level: int = logging.ERROR) -> None:
        with self._lock:
            current = self._problems.get(part)
            if current is not None and current["message"] == message:
                return
            self._problems[part] = {"message": message, "since": utc_now()}
            snapshot = dict(self._problems)
        log.log(level, "%s: %s", part, message)
        self._save(snapshot)

    def clear(self, part: str, recovery: str | None = None) -> None:
        with self._lock:
            if self._problems.pop(part, None) is None:
                return
            snapshot = dict(self._problems)
        log.info("%s: %s", part, recovery or "working again")
        self._save(snapshot)

    def problems(self) -> dict[str, dict[str, str]]:
        with self._lock:
            return dict(self._problems)

    def summary(self) -> str | None:
        """One line for the heartbeat's last_error (None when all is well)."""
        problems = self.problems()
        if not problems:
            return None
        return "; ".join(f"{part}: {p['message']}" for part, p in sorted(problems.items()))[:1000]

    def _save(self, snapshot: dict[str, dict[str, str]]) -> None:
        if self._persist is None:
            return
        try:
            self._persist(snapshot)
        except Exception:
            log.debug("could not persist the problem list", exc_info=True)
