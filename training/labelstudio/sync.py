"""The scheduled sync: push new decisions every interval, and say when a retrain is due.

It runs as its own process (`safeguard-train labelstudio sync --every 3600`, or once from
cron with `--once`), never inside an HTTP request: a push reads every new incident through
the review server's API and scores it with the model, which is a job, not a request. A
retrain is due when enough annotations have been completed since the last retrain; the
count comes from Label Studio itself each round, and the optional webhook receiver
(`training.labelstudio.webhook`) marks it between rounds. With `--retrain` the job then
pulls and retrains in the same process.
"""
from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from label_studio_sdk import LabelStudio

from training.labelstudio.project import FAILURES, describe, find_project

Log = Callable[[str], None]
_lock = threading.Lock()  # the webhook receiver and the loop may share one process


@dataclass
class SyncState:
    """Counters kept between rounds (no pupil data)."""

    annotated_at_last_retrain: int = 0
    annotated_now: int = 0
    webhook_events: int = 0
    retrain_due: bool = False
    last_push_at: str | None = None
    last_retrain_at: str | None = None
    last_error: str | None = None

    def new_annotations(self) -> int:
        """Counted by Label Studio at the last round, plus webhook events since then."""
        return max(0, self.annotated_now - self.annotated_at_last_retrain) + self.webhook_events


def load_state(path: Path) -> SyncState:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return SyncState()
    except (OSError, ValueError) as exc:
        raise ValueError(f"{path}: cannot read the sync state ({exc}); move it away to start "
                         "counting again") from None
    known = set(SyncState.__dataclass_fields__)
    return SyncState(**{k: v for k, v in data.items() if k in known})


def save_state(path: Path, state: SyncState) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(asdict(state), indent=1) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def update_state(path: Path, change: Callable[[SyncState], Any]) -> SyncState:
    """Read, change and write the state under one lock."""
    with _lock:
        state = load_state(path)
        change(state)
        save_state(path, state)
        return state


def annotated_tasks(ls: LabelStudio, project_title: str) -> int:
    """Tasks with at least one annotation, as Label Studio counts them."""
    project = find_project(ls, project_title)
    if project is None:
        return 0
    return int(project.num_tasks_with_annotations or 0)


def utc_stamp() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def sync_round(push: Callable[[], Any], count: Callable[[], int], state_path: Path, *,
               retrain_after: int, log: Log = print) -> SyncState:
    """One round: push, count, mark due. A failure is logged and kept in the state; the
    next round tries again (a server that is down loses nothing: the incidents wait)."""
    try:
        report = push()
        for line in getattr(report, "lines", list)():
            log(line)
        annotated = count()
    except (RuntimeError, OSError, *FAILURES) as exc:  # ours are RuntimeErrors
        message = describe(exc) if isinstance(exc, FAILURES) else str(exc)
        log(f"sync failed: {message}")
        return update_state(state_path, lambda s: setattr(s, "last_error", message))

    def record(state: SyncState) -> None:
        state.annotated_now = annotated
        state.webhook_events = 0  # Label Studio's own count includes them now
        state.last_push_at = utc_stamp()
        state.last_error = None
        state.retrain_due = state.retrain_due or state.new_annotations() >= retrain_after

    state = update_state(state_path, record)
    log(f"{state.new_annotations()} new annotation(s) since the last retrain "
        f"(retrain after {retrain_after}){'; retrain due' if state.retrain_due else ''}")
    return state


def mark_retrained(state_path: Path) -> SyncState:
    def reset(state: SyncState) -> None:
        state.annotated_at_last_retrain = state.annotated_now
        state.webhook_events = 0
        state.retrain_due = False
        state.last_retrain_at = utc_stamp()
    return update_state(state_path, reset)


def run_forever(round_: Callable[[], SyncState], every_s: float, *,
                retrain: Callable[[], Any] | None = None, stop: threading.Event | None = None,
                rounds: int | None = None, log: Log = print) -> int:
    """Run `round_` every `every_s` seconds (until `stop` is set, or `rounds` are done);
    when a round says a retrain is due and `retrain` is given, run it next, in this job."""
    stop = stop or threading.Event()
    done = 0
    while not stop.is_set():
        started = time.monotonic()
        state = round_()
        if state.retrain_due and retrain is not None:
            log("retrain due: pulling annotations and retraining")
            try:
                retrain()
            except Exception as exc:  # noqa: BLE001 (a failed retrain must not stop the job)
                log(f"retrain failed: {type(exc).__name__}: {exc}")
        done += 1
        if rounds is not None and done >= rounds:
            break
        stop.wait(max(0.0, every_s - (time.monotonic() - started)))
    return done
