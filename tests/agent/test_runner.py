"""The running agent in one process against the contract server: heartbeat, overlay updates,
and parts that fail without taking the rest down."""
from __future__ import annotations

import json
import logging
import threading
import time
from pathlib import Path

import pytesseract
import pytest

from agent import runner
from agent.config import parse_config
from agent.credentials import DeviceCredentials
from agent.prefilter import OVERLAY_CACHE
from agent.runner import Agent
from agent.sources import Observation, SourceUnavailable, SourceUnsupported
from classifier.records import Source
from tests.agent.conftest import XScreen
from tests.agent.contract_server import ContractServer


def make_agent(tmp_path: Path, server: ContractServer, phrases_dir: Path, sources=None,
               **sections) -> Agent:
    device, token = server.enrol()
    config = parse_config({
        "agent": {"state_dir": str(tmp_path / "state")},
        "server": {"heartbeat_seconds": 1},
        "prefilter": {"phrases_dir": str(phrases_dir)},
        "upload": {"backoff_initial_seconds": 0.1, "backoff_max_seconds": 0.5},
        "screen": {"enabled": False}, "title": {"enabled": False}, **sections})
    return Agent(config, DeviceCredentials(server.url, device, token, "school-1"),
                 sources=sources)


class Scripted:
    """A source that plays a list of outcomes (text, or an exception) then stays quiet."""

    cadence = 0.05

    def __init__(self, name: str, outcomes: list) -> None:
        self.name = name
        self.outcomes = list(outcomes)
        self.polls = 0

    def poll(self) -> list[Observation]:
        self.polls += 1
        if not self.outcomes:
            return []
        outcome = self.outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return [Observation(text=outcome, source=Source.FEED, window_title="Chat")]

    def close(self) -> None:
        pass


def run_for(agent: Agent, seconds: float) -> None:
    thread = threading.Thread(target=agent.run)
    thread.start()
    time.sleep(seconds)
    agent.stop.set()
    thread.join(timeout=20)
    assert not thread.is_alive()


def test_heartbeat_reports_the_spool_and_fetches_a_changed_overlay(
        tmp_path: Path, contract_server: ContractServer, phrases_dir: Path) -> None:
    state = contract_server.state
    state.overlay_version = "school-2"
    state.overlay = {"add": [], "exclude": [{"phrase": "killing me",
                                             "reason": "homework chatter at our school"}]}
    agent = make_agent(tmp_path, contract_server, phrases_dir)
    with agent.client() as client:
        agent.beat(client)
    beat = state.heartbeats[-1]
    assert beat["spool_depth"] == 0 and beat["dropped_screenshots"] == 0
    assert beat["last_error"] is None and beat["agent_version"]
    assert agent.library.find("this homework is killing me") == []  # the overlay is in force
    cached = json.loads((tmp_path / "state" / OVERLAY_CACHE).read_text())
    assert cached["overlay_version"] == "school-2"
    requests = state.requests.count("/api/v1/phrases/overlay")
    with agent.client() as client:
        agent.beat(client)  # same versions: nothing fetched again
    assert state.requests.count("/api/v1/phrases/overlay") == requests


def test_a_school_overlay_the_library_refuses_keeps_the_current_phrases(
        tmp_path: Path, contract_server: ContractServer, phrases_dir: Path,
        caplog: pytest.LogCaptureFixture) -> None:
    contract_server.state.overlay_version = "bad"
    contract_server.state.overlay = {"exclude": [{"phrase": "want to die"}]}  # no reason
    agent = make_agent(tmp_path, contract_server, phrases_dir)
    with agent.client() as client:
        agent.beat(client)
    assert [m.phrase for m in agent.library.find("i want to die")] == ["want to die"]
    assert "school overlay from the server refused" in \
        agent.health.problems()["phrases"]["message"]


def test_sources_that_fail_are_retried_or_stopped_and_the_rest_keeps_working(
        tmp_path: Path, contract_server: ContractServer, phrases_dir: Path,
        caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    caplog.set_level(logging.INFO, logger="agent")
    monkeypatch.setattr(runner, "SOURCE_RETRY_SECONDS", (0.1,))
    flaky = Scripted("flaky", [SourceUnavailable("no display (DISPLAY=:99)"),
                               "honestly nobody would miss me"])
    broken = Scripted("broken", [RuntimeError("a bug"), "i want to die"])
    gone = Scripted("gone", [SourceUnsupported("window titles are not supported here")])
    agent = make_agent(tmp_path, contract_server, phrases_dir, sources=[flaky, broken, gone])
    thread = threading.Thread(target=agent.run)
    thread.start()
    deadline = time.monotonic() + 20
    while len(contract_server.state.incidents) < 1 and time.monotonic() < deadline:
        time.sleep(0.05)
    agent.stop.set()
    thread.join(timeout=20)
    phrases = {s.record.phrase for s in contract_server.state.incidents.values()}
    assert "nobody would miss me" in phrases  # the flaky source came back
    assert gone.polls == 1  # unsupported: asked once, then left alone
    assert caplog.text.count("flaky: no display (DISPLAY=:99)") == 1
    assert "gone: window titles are not supported here; this source is off" in caplog.text
    assert "broken: unexpected error: a bug" in caplog.text
    assert "flaky: working again" in caplog.text


def test_a_missing_tesseract_is_one_log_line_and_the_agent_keeps_running(
        tmp_path: Path, contract_server: ContractServer, phrases_dir: Path,
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
        xscreen: XScreen) -> None:
    caplog.set_level(logging.INFO, logger="agent")
    monkeypatch.setattr(pytesseract.pytesseract, "tesseract_cmd", "/nonexistent/tesseract")
    monkeypatch.setattr(runner, "SOURCE_RETRY_SECONDS", (0.1,))
    agent = make_agent(tmp_path, contract_server, phrases_dir,
                       screen={"enabled": True, "display": xscreen.display})
    run_for(agent, 1.5)  # about fifteen retries
    assert caplog.text.count("Tesseract OCR is not installed") == 1
    assert "screen" in agent.spool.get_meta("problems")
