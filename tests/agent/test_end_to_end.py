"""Issue 6's "done when", end to end: a real X screen (Xvfb) with a Tk window, real Tesseract,
the real `safeguard-agent` and the real `safeguard-server` (SQLite in a temp folder), each a
process of its own. (A corrupt config's clear error is in test_cli.py.)

Whether the server queues the concern and suppresses the innocent hit depends on the context
model: with a model shipped in models/context/ the test expects exactly that; with none the
server runs keywords-only and both hits must arrive as `new`.
"""
from __future__ import annotations

import getpass
import io
import json
import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from agent.ocr import assemble, read_words
from classifier.paths import context_models_dir
from tests.agent.conftest import TkWindow, XScreen, agent_command, write_config
from tests.agent.real_server import HoldingRelay, RealServer

pytestmark = pytest.mark.timeout(300)

CONCERN = "honestly nobody would miss me if I was gone"
INNOCENT = "this homework is killing me lol"
NO_TRIGGER = ["Maths homework is due on Friday", "see you at lunch, bring the book"]


def wait_for(condition: Callable[[], Any], timeout: float = 90.0, what: str = "") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or condition}")
        time.sleep(0.25)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealServer]:
    real = RealServer(tmp_path_factory.mktemp("server")).bootstrap()
    yield real
    real.stop()


class AgentProcess:
    """`safeguard-agent` enrolled with the real server and run as its own process."""

    def __init__(self, tmp_path: Path, server: RealServer, phrases_dir: Path | None, *,
                 xscreen: XScreen | None = None, feed: Path | None = None,
                 settings: dict[str, dict[str, Any]] | None = None) -> None:
        settings = settings or {}
        sections: dict[str, dict[str, Any]] = {
            "agent": {"state_dir": str(tmp_path / "state")},
            "server": {"heartbeat_seconds": 1},
            "screen": {"enabled": xscreen is not None, "cadence_seconds": 1,
                       "display": xscreen.display if xscreen else ""},
            "title": {"enabled": xscreen is not None, "cadence_seconds": 1},
            "feed": {"files": [str(feed)] if feed else []},
            "prefilter": {"phrases_dir": str(phrases_dir) if phrases_dir else ""},  # "": shipped
            "upload": {"backoff_initial_seconds": 0.2, "backoff_max_seconds": 1},
        }
        for name, values in settings.items():
            sections[name] = {**sections.get(name, {}), **values}
        self.config = write_config(tmp_path / "agent.toml", sections)
        self.env = {**(xscreen.env() if xscreen else os.environ), "OMP_THREAD_LIMIT": "1"}
        self.log = tmp_path / "agent.log"
        enrolled = self.cli("enrol", "--server", server.url, "--key", server.enrolment_key)
        assert enrolled.returncode == 0, enrolled.stderr
        self.device_id = json.loads((tmp_path / "state" / "device.json").read_text())[
            "device_id"]
        self.process: subprocess.Popen | None = None

    def cli(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run([*agent_command(), *args, "--config", str(self.config)],
                              capture_output=True, text=True, env=self.env, timeout=120,
                              check=False)

    def start(self, *options: str) -> AgentProcess:
        handle = self.log.open("ab")
        self.process = subprocess.Popen(
            [*agent_command(), "run", *options, "--config", str(self.config)], env=self.env,
            stdout=handle, stderr=subprocess.STDOUT)
        return self

    def status(self) -> dict[str, Any]:
        return json.loads(self.cli("status", "--json").stdout)

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=60)
            assert self.process.returncode == 0, self.log.read_text()[-3000:]


@pytest.fixture
def agents() -> Iterator[list[AgentProcess]]:
    started: list[AgentProcess] = []
    yield started
    for agent in started:
        if agent.process is not None and agent.process.poll() is None:
            agent.process.kill()
            agent.process.wait(timeout=30)


def of_device(server: RealServer, device_id: str) -> list[dict[str, Any]]:
    return [i for i in server.incidents() if i["device_id"] == device_id]


def text_under_boxes(screenshot: bytes, boxes: list[dict[str, int]]) -> str:
    """OCR only the part of the screenshot that the hit's boxes cover (plus a few pixels)."""
    image = np.asarray(Image.open(io.BytesIO(screenshot)).convert("RGB"))
    x0 = max(min(b["x"] for b in boxes) - 3, 0)
    y0 = max(min(b["y"] for b in boxes) - 4, 0)
    x1 = max(b["x"] + b["w"] for b in boxes) + 3
    y1 = max(b["y"] + b["h"] for b in boxes) + 4
    crop = np.ascontiguousarray(image[y0:y1, x0:x1])
    return assemble(read_words(crop)).text.lower().replace("|", "i")


def shipped_model_exists() -> bool:
    return any(context_models_dir().glob("*/model.onnx"))


def test_a_screen_with_a_concern_and_an_innocent_line_files_one_hit_each(
        tmp_path: Path, server: RealServer, phrases_dir: Path, xscreen: XScreen,
        tk_window: TkWindow, agents: list[AgentProcess]) -> None:
    tk_window.show(CONCERN, NO_TRIGGER[1], INNOCENT, title="Year 9 chat", style="chat")
    agent = AgentProcess(tmp_path, server, phrases_dir, xscreen=xscreen).start()
    agents.append(agent)
    incidents = wait_for(lambda: len(of_device(server, agent.device_id)) >= 2 and
                         of_device(server, agent.device_id), what="two incidents")
    by_phrase = {i["phrase"]: i for i in incidents}
    assert set(by_phrase) == {"nobody would miss me", "killing me"}, incidents

    for phrase, incident in by_phrase.items():
        detail = server.incident(incident["id"])
        assert detail["source"] == "screen" and detail["window_title"] == "Year 9 chat"
        assert detail["pupil"] == getpass.getuser()
        assert detail["context"][detail["start"]:detail["end"]].lower() == phrase
        assert detail["has_screenshot"] and detail["boxes"]
        shot = server.screenshot(incident["id"])
        assert Image.open(io.BytesIO(shot)).size == (1280, 800)  # the whole monitor
        assert phrase in text_under_boxes(shot, detail["boxes"])

    statuses = {p: i["status"] for p, i in by_phrase.items()}
    if shipped_model_exists():
        assert statuses == {"nobody would miss me": "new", "killing me": "suppressed"}
    else:
        assert server.api("GET", "/healthz")["model_version"] == "keywords-only"
        assert statuses == {"nobody would miss me": "new", "killing me": "new"}

    # Text without a trigger phrase sends nothing, though the agent reads it.
    seen_before = agent.status()["last_capture_at"]
    tk_window.show(*NO_TRIGGER, title="Year 9 chat", style="chat")
    wait_for(lambda: agent.status()["last_capture_at"] != seen_before, what="a new capture")
    time.sleep(4)  # several more 1 s cadences
    assert len(of_device(server, agent.device_id)) == 2
    assert agent.status()["spool_depth"] == 0
    agent.stop()


def feed_lines(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(json.dumps({"text": t, "window_title": "Browser"}) + "\n"
                            for t in lines))
    return path


THREE_HITS = ["nobody would miss me", "i want to die tonight", "don't tell your parents ok"]


def test_server_down_for_the_whole_run_then_up_delivers_every_hit_exactly_once(
        tmp_path: Path, server: RealServer, phrases_dir: Path,
        agents: list[AgentProcess]) -> None:
    feed = feed_lines(tmp_path / "feed.jsonl", THREE_HITS)
    agent = AgentProcess(tmp_path, server, phrases_dir, feed=feed)
    agents.append(agent)
    server.stop()
    try:
        agent.start()
        wait_for(lambda: agent.status()["spool_depth"] == 3, what="three spooled hits")
        time.sleep(3)  # several retries against a server that is down
        status = agent.status()
        assert status["spool_depth"] == 3 and "server" in status["errors"]
    finally:
        server.start()
    wait_for(lambda: agent.status()["spool_depth"] == 0, what="an empty spool")
    incidents = of_device(server, agent.device_id)
    assert sorted(i["phrase"] for i in incidents) == sorted(
        ["nobody would miss me", "want to die", "don't tell your parents"])
    agent.stop()
    log = agent.log.read_text()
    assert log.count("cannot reach the server") == 1 and "Traceback" not in log


def test_agent_killed_during_upload_and_restarted_loses_nothing_and_duplicates_nothing(
        tmp_path: Path, server: RealServer, phrases_dir: Path,
        agents: list[AgentProcess]) -> None:
    relay = HoldingRelay(server.port)
    feed = feed_lines(tmp_path / "feed.jsonl", THREE_HITS)
    agent = AgentProcess(tmp_path, server, phrases_dir, feed=feed,
                         settings={"server": {"url": relay.url, "timeout_seconds": 60}})
    agents.append(agent)
    try:
        relay.hold.set()  # the server will store the first hit; its answer is held back
        agent.start()
        wait_for(lambda: of_device(server, agent.device_id), what="the first stored hit")
        agent.kill()  # SIGKILL while waiting for the answer
        stored_before = {i["id"] for i in of_device(server, agent.device_id)}
        assert len(stored_before) == 1
        assert agent.status()["spool_depth"] == 3  # it never heard: nothing was deleted
        relay.hold.clear()
        agent.start()
        wait_for(lambda: agent.status()["spool_depth"] == 0, what="an empty spool")
    finally:
        relay.close()
    incidents = of_device(server, agent.device_id)
    assert len(incidents) == 3  # no duplicate of the hit stored before the kill
    assert stored_before <= {i["id"] for i in incidents}
    assert len({server.incident(i["id"])["hit_key"] for i in incidents}) == 3
    agent.stop()


# Shown one at a time, each a new screen: (line, phrase, severity in the test library).
POLICY_LINES = [
    ("honestly nobody would miss me", "nobody would miss me", 5),
    ("lets place a bet on the match", "place a bet", 1),
    ("i feel so alone at school", "so alone", 3),
    ("this homework is killing me", "killing me", 2),
]


def test_a_full_spool_drops_screenshots_of_the_least_severe_hits_never_their_records(
        tmp_path: Path, server: RealServer, phrases_dir: Path, xscreen: XScreen,
        tk_window: TkWindow, agents: list[AgentProcess]) -> None:
    tk_window.show("waiting", title="Chat", picture=True)  # about 470 kB a screenshot
    agent = AgentProcess(tmp_path, server, phrases_dir, xscreen=xscreen,
                         settings={"spool": {"max_megabytes": 1.2}})  # room for two
    agents.append(agent)
    server.stop()
    try:
        agent.start()
        for n, (line, _, _) in enumerate(POLICY_LINES, 1):
            tk_window.show(line, title=f"Chat {n}", picture=True)
            wait_for(lambda n=n: agent.status()["spool_depth"] == n, what=f"hit {n} spooled")
        status = agent.status()
        assert status["dropped_screenshots"] >= 1 and status["screenshots_in_spool"] >= 1
        assert status["spool_bytes"] <= 1_200_000
    finally:
        server.start()
    wait_for(lambda: agent.status()["spool_depth"] == 0, what="an empty spool")
    incidents = {i["phrase"]: i for i in of_device(server, agent.device_id)}
    assert set(incidents) == {p for _, p, _ in POLICY_LINES}  # every record arrived
    kept = [s for _, p, s in POLICY_LINES if incidents[p]["has_screenshot"]]
    dropped = [s for _, p, s in POLICY_LINES if not incidents[p]["has_screenshot"]]
    assert kept and dropped
    assert max(dropped) <= min(kept)  # lower severities lost theirs first
    wait_for(lambda: server.device(agent.device_id)["dropped_screenshots"] == len(dropped),
             what="the heartbeat's dropped_screenshots")
    agent.stop()


def test_the_demo_feed_replays_into_ranked_incidents_with_the_shipped_library(
        tmp_path: Path, server: RealServer, agents: list[AgentProcess]) -> None:
    from agent.demo import FEED
    from classifier.matcher import Matcher
    from classifier.phrases import PhraseLibrary

    matcher = Matcher.for_library(PhraseLibrary.load())
    expected = set()
    for line in FEED.read_text().splitlines():
        item = json.loads(line)
        expected |= {(m.phrase, item["window_title"]) for m in matcher.find(item["text"])}
    agent = AgentProcess(tmp_path, server, phrases_dir=None).start("--feed", "demo")
    agents.append(agent)
    wait_for(lambda: len(of_device(server, agent.device_id)) >= len(expected),
             what=f"{len(expected)} demo incidents")
    incidents = of_device(server, agent.device_id)
    assert {(i["phrase"], i["window_title"]) for i in incidents} == expected
    assert incidents[0]["risk"] >= incidents[-1]["risk"]  # the queue comes ranked
    assert "sexual_exploitation" in {i["category"] for i in incidents}
    agent.stop()
