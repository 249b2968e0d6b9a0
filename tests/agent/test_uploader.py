"""The uploader against a real HTTP server on 127.0.0.1 speaking the contract: a hit leaves
the spool only when the server has answered with its incident id, and never twice."""
from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import Self

import pytest

from agent.client import ServerClient
from agent.health import Health
from agent.spool import Spool
from agent.uploader import Backoff, Uploader
from tests.agent.contract_server import ContractServer
from tests.agent.factories import make_hit, png_bytes


def wait_for(condition, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.02)


class Running:
    """An uploader thread for one test."""

    def __init__(self, server: ContractServer, spool: Spool, *, timeout: float = 5.0) -> None:
        _, token = server.enrol()
        self.health = Health()
        self.uploader = Uploader(
            spool, lambda: ServerClient(server.url, token, timeout=timeout), self.health,
            Backoff(0.05, 0.2))
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.uploader.run, args=(self.stop,))

    def __enter__(self) -> Self:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop.set()
        self.uploader.wake.set()
        self.thread.join(timeout=10)


def test_delivered_hits_leave_the_spool_with_their_screenshots_on_the_server(
        tmp_path: Path, contract_server: ContractServer) -> None:
    spool = Spool(tmp_path / "s.sqlite3", max_bytes=10**9)
    hits = [make_hit(severity=s) for s in (5, 2)]
    shot = png_bytes()
    spool.add(hits[0], shot, "image/png")
    spool.add(hits[1])
    with Running(contract_server, spool):
        wait_for(lambda: spool.stats().pending == 0)
    stored = contract_server.state.incidents
    assert set(stored) == {h.key for h in hits}
    assert stored[hits[0].key].screenshot == shot and stored[hits[1].key].screenshot is None
    assert stored[hits[0].key].record.context == hits[0].context
    assert spool.get_meta("last_upload_at")


# Each case: what the server answers to the first attempts, before behaving.
TRANSIENT = [
    ("server error twice", [503, 503]),
    ("overloaded", [429]),
    ("gateway down", [502, 504, 500]),
]


@pytest.mark.parametrize(("case", "failures"), TRANSIENT, ids=[c[0] for c in TRANSIENT])
def test_transient_failures_are_retried_until_delivered_once(
        tmp_path: Path, contract_server: ContractServer, case: str, failures: list[int]) -> None:
    spool = Spool(tmp_path / "s.sqlite3", max_bytes=10**9)
    hit = make_hit()
    spool.add(hit)
    contract_server.state.fail_next = list(failures)
    with Running(contract_server, spool) as running:
        wait_for(lambda: spool.stats().pending == 0)
    assert list(contract_server.state.incidents) == [hit.key]
    assert contract_server.state.requests.count("/api/v1/hits") == len(failures) + 1
    assert running.uploader.backoff.failures == 0  # reset after the success


def test_server_down_for_the_whole_run_then_up_delivers_every_hit_exactly_once(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    server = ContractServer()  # not started: nothing listens on its port yet
    spool = Spool(tmp_path / "s.sqlite3", max_bytes=10**9)
    hits = [make_hit(severity=s) for s in (5, 3, 1)]
    for hit in hits:
        spool.add(hit, png_bytes(), "image/png")
    caplog.set_level(logging.INFO, logger="agent")
    with Running(server, spool) as running:
        wait_for(lambda: running.uploader.backoff.failures >= 4)
        assert spool.stats().pending == 3
        down_lines = [r for r in caplog.records if "cannot reach the server" in r.getMessage()]
        assert len(down_lines) == 1  # one clear line, not one per retry
        server.start()
        try:
            wait_for(lambda: spool.stats().pending == 0)
        finally:
            server.stop()
    assert sorted(server.state.incidents) == sorted(h.key for h in hits)
    assert server.state.requests.count("/api/v1/hits") == 3
    assert any("server reachable again; 3 hit(s)" in r.getMessage() for r in caplog.records)


def test_an_answer_lost_after_the_server_stored_the_hit_does_not_make_a_duplicate(
        tmp_path: Path, contract_server: ContractServer) -> None:
    spool = Spool(tmp_path / "s.sqlite3", max_bytes=10**9)
    hit = make_hit()
    spool.add(hit)
    contract_server.state.hang_after_store = 3.0  # longer than the agent waits
    with Running(contract_server, spool, timeout=1.0):
        wait_for(lambda: contract_server.state.requests.count("/api/v1/hits") >= 1)
        time.sleep(1.2)
        contract_server.state.hang_after_store = 0
        wait_for(lambda: spool.stats().pending == 0)
    assert len(contract_server.state.incidents) == 1
    assert contract_server.state.requests.count("/api/v1/hits") >= 2  # retried, answered dup


def test_a_refused_screenshot_is_dropped_and_the_record_still_delivered(
        tmp_path: Path, contract_server: ContractServer) -> None:
    spool = Spool(tmp_path / "s.sqlite3", max_bytes=10**9)
    hit = make_hit()
    spool.add(hit, b"this is not an image at all", "image/png")
    with Running(contract_server, spool):
        wait_for(lambda: spool.stats().pending == 0)
    assert contract_server.state.incidents[hit.key].screenshot is None


def test_a_refused_record_is_kept_on_the_device_and_not_retried(
        tmp_path: Path, contract_server: ContractServer) -> None:
    spool = Spool(tmp_path / "s.sqlite3", max_bytes=10**9)
    bad, good = make_hit(), make_hit()
    spool.add(bad)
    spool.add(good)
    contract_server.state.fail_next = [422]  # the first hit sent is refused as invalid
    with Running(contract_server, spool):
        wait_for(lambda: spool.stats().pending == 0)
    refused = spool.rejected()
    assert len(refused) == 1 and refused[0][1] == "422: injected failure"
    assert len(contract_server.state.incidents) == 1
    assert contract_server.state.requests.count("/api/v1/hits") == 2


def test_a_revoked_token_keeps_every_hit_and_says_to_enrol_again(
        tmp_path: Path, contract_server: ContractServer) -> None:
    spool = Spool(tmp_path / "s.sqlite3", max_bytes=10**9)
    spool.add(make_hit())
    with Running(contract_server, spool) as running:
        contract_server.state.tokens.clear()  # the school revoked this device
        wait_for(lambda: "server" in running.health.problems())
        problem = running.health.problems()["server"]["message"]
    assert "refused the device (401)" in problem and "enrol this device again" in problem
    assert spool.stats().pending == 1


@pytest.mark.parametrize(("jitter", "expected"), [
    (0.0, [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]),   # the fixed half of each delay
    (1.0, [1.0, 2.0, 4.0, 8.0, 8.0, 8.0]),   # the full delay, capped at the maximum
])
def test_backoff_doubles_with_jitter_up_to_the_cap(jitter: float, expected: list[float]) -> None:
    backoff = Backoff(1.0, 8.0, rng=lambda: jitter)
    assert [backoff.next_delay() for _ in expected] == expected
    backoff.reset()
    assert backoff.next_delay() == expected[0]
