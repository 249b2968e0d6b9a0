"""`safeguard-agent` as IT staff use it: enrol, run, status; and how it fails."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.agent.conftest import agent_command, write_config
from tests.agent.contract_server import ENROLMENT_KEY, ContractServer, free_port


def run_cli(*args: str, env: dict[str, str] | None = None,
            timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([*agent_command(), *args], capture_output=True, text=True,
                          timeout=timeout, env=env or {**os.environ}, check=False)


def feed_config(tmp_path: Path, feed_file: Path, phrases_dir: Path, **server: object) -> Path:
    return write_config(tmp_path / "agent.toml", {
        "agent": {"state_dir": str(tmp_path / "state")},
        "prefilter": {"phrases_dir": str(phrases_dir)},
        "server": {"heartbeat_seconds": 1, **server},
        "screen": {"enabled": False}, "title": {"enabled": False},
        "feed": {"files": [str(feed_file)]},
        "upload": {"backoff_initial_seconds": 0.1, "backoff_max_seconds": 0.5},
    })


def test_enrol_stores_the_token_for_the_owner_only_and_never_prints_it(
        tmp_path: Path, contract_server: ContractServer) -> None:
    config = write_config(tmp_path / "agent.toml", {"agent": {"state_dir": str(tmp_path / "s")}})
    done = run_cli("enrol", "--config", str(config), "--server", contract_server.url,
                   "--key", ENROLMENT_KEY)
    assert done.returncode == 0, done.stderr
    token_file = tmp_path / "s" / "device.json"
    stored = json.loads(token_file.read_text())
    assert oct(token_file.stat().st_mode & 0o777) == "0o600"
    assert oct((tmp_path / "s").stat().st_mode & 0o777) == "0o700"
    assert stored["device_token"] in contract_server.state.tokens
    assert stored["device_token"] not in done.stdout + done.stderr
    assert f"enrolled as device {stored['device_id']}" in done.stdout


@pytest.mark.parametrize(("key", "server", "code", "message"), [
    ("wrong-key", "contract", 2, "refused the enrolment key (wrong or revoked)"),
    (ENROLMENT_KEY, "down", 1, "enrolment failed: cannot reach the server"),
    (ENROLMENT_KEY, "ftp://school.example", 2, "--server must be an http:// or https:// URL"),
])
def test_enrol_failures_say_why(tmp_path: Path, contract_server: ContractServer, key: str,
                                server: str, code: int, message: str) -> None:
    url = {"contract": contract_server.url,
           "down": f"http://127.0.0.1:{free_port()}"}.get(server, server)
    config = write_config(tmp_path / "agent.toml", {"agent": {"state_dir": str(tmp_path / "s")}})
    done = run_cli("enrol", "--config", str(config), "--server", url, "--key", key)
    assert (done.returncode, message in done.stderr) == (code, True), done.stderr
    assert not (tmp_path / "s" / "device.json").exists()


@pytest.mark.parametrize("command", ["run", "status"])
@pytest.mark.parametrize(("text", "message"), [
    ("[screen]\ncadence = 5\n", r"[screen] cadence: unknown key"),
    ("[spool]\nmax_megabytes = \"lots\"\n", "[spool] max_megabytes: must be a number"),
    ("[server\nurl = 1\n", "not valid TOML"),
])
def test_a_corrupt_config_stops_with_a_clear_error(tmp_path: Path, command: str, text: str,
                                                   message: str) -> None:
    config = tmp_path / "agent.toml"
    config.write_text(text)
    done = run_cli(command, "--config", str(config))
    assert done.returncode == 2
    assert done.stderr.startswith(f"error: {config}: ") and message in done.stderr
    assert "Traceback" not in done.stderr


def test_run_without_enrolment_says_how_to_enrol(tmp_path: Path) -> None:
    config = write_config(tmp_path / "agent.toml", {"agent": {"state_dir": str(tmp_path / "s")}})
    done = run_cli("run", "--config", str(config))
    assert done.returncode == 2
    assert "not enrolled" in done.stderr and "safeguard-agent enrol --server URL --key KEY" \
        in done.stderr


def enrol(tmp_path: Path, config: Path, server: ContractServer) -> None:
    assert run_cli("enrol", "--config", str(config), "--server", server.url,
                   "--key", ENROLMENT_KEY).returncode == 0


def wait_for(condition, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.1)


def test_run_replays_a_feed_to_the_server_and_status_tells_the_story(
        tmp_path: Path, contract_server: ContractServer, phrases_dir: Path) -> None:
    feed = tmp_path / "feed.jsonl"
    feed.write_text(json.dumps({"text": "honestly nobody would miss me", "window_title": "Chat"})
                    + "\n" + json.dumps({"text": "see you at lunch"}) + "\n")
    config = feed_config(tmp_path, feed, phrases_dir)
    enrol(tmp_path, config, contract_server)
    agent = subprocess.Popen([*agent_command(), "run", "--config", str(config)],
                             stderr=subprocess.PIPE, text=True)
    try:
        wait_for(lambda: len(contract_server.state.incidents) == 1
                 and contract_server.state.heartbeats and agent.poll() is None)
    finally:
        agent.send_signal(signal.SIGTERM)
        _, stderr = agent.communicate(timeout=30)
        print(stderr)
    assert agent.returncode == 0, stderr
    (stored,) = contract_server.state.incidents.values()
    assert stored.record.phrase != "" and stored.record.window_title == "Chat"
    beat = contract_server.state.heartbeats[-1]
    assert set(beat) == {"agent_version", "spool_depth", "dropped_screenshots",
                         "last_capture_at", "last_error"}
    status = json.loads(run_cli("status", "--json", "--config", str(config)).stdout)
    assert status["enrolled"] and status["spool_depth"] == 0
    assert status["last_upload_at"] and status["last_capture_at"] and status["last_hit_at"]
    text = run_cli("status", "--config", str(config)).stdout
    for label in ("last capture:", "last upload:", "spool depth:     0 hit(s) waiting",
                  "errors:          none"):
        assert label in text
    secret = json.loads((tmp_path / "state" / "device.json").read_text())["device_token"]
    assert secret not in stderr and secret not in text


def test_no_display_and_no_server_each_give_one_line_and_are_retried(
        tmp_path: Path, contract_server: ContractServer, phrases_dir: Path) -> None:
    feed = tmp_path / "feed.jsonl"
    feed.write_text(json.dumps({"text": "I want to die"}) + "\n")
    config = feed_config(tmp_path, feed, phrases_dir)
    config.write_text(config.read_text().replace("[screen]\nenabled = false",
                                                 "[screen]\nenabled = true"))
    enrol(tmp_path, config, contract_server)
    contract_server.stop()  # the server goes away after enrolment
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    agent = subprocess.Popen([*agent_command(), "run", "--config", str(config)],
                             stderr=subprocess.PIPE, text=True, env=env)
    try:
        time.sleep(12)  # several screen retries and many upload retries
        assert agent.poll() is None  # still running: no crash, no crash loop
        status = json.loads(run_cli("status", "--json", "--config", str(config)).stdout)
    finally:
        agent.send_signal(signal.SIGTERM)
        _, stderr = agent.communicate(timeout=30)
    lines = stderr.splitlines()
    display_lines = [ln for ln in lines if "screen: no display" in ln]
    server_lines = [ln for ln in lines if "cannot reach the server" in ln]
    assert len(display_lines) == 1, stderr
    assert len(server_lines) == 1, stderr  # the uploader and the heartbeat share one line
    assert "Traceback" not in stderr
    assert status["spool_depth"] == 1 and set(status["errors"]) >= {"screen", "server"}
