"""The endpoint agent's cost and speed on a real X screen (Xvfb), side by side with a peer.

Measured with the real processes: `safeguard-agent run` at a 5 s cadence against a real
`safeguard-server`, a Tk window as the screen. The peer is what a plain agent does: grab
every monitor each cadence and OCR the whole frame (no change detection, no region
stacking), run at the same time on the same screen so both see the same frames.

1. CPU seconds per minute (the process and its Tesseract children) on a static screen and on
   a screen that changes every frame.
2. End-to-end delay from a trigger phrase appearing on screen to its incident existing on
   the server (p50, p95); it is bounded below by the cadence (the agent looks every 5 s).

`--quick` runs in under a minute (one cadence per window, three delay trials: a smoke run,
not a measurement). The last line printed is JSON.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ["OMP_THREAD_LIMIT"] = "1"

import psutil

from agent.spool import Spool, spool_path
from tests.agent.conftest import (
    TkWindow,
    XScreen,
    agent_command,
    write_config,
    write_library,
)
from tests.agent.real_server import RealServer

CADENCE = 5.0

PEER = """
import os, sys, time
os.environ["OMP_THREAD_LIMIT"] = "1"
import mss, numpy as np, pytesseract
from PIL import Image
cadence = float(sys.argv[1])
with mss.MSS() as grabber:
    while True:
        started = time.monotonic()
        for monitor in grabber.monitors[1:]:
            shot = grabber.grab(monitor)
            image = Image.frombuffer("RGB", shot.size, shot.bgra, "raw", "BGRX", 0, 1)
            pytesseract.image_to_data(image, output_type=pytesseract.Output.DICT)
        time.sleep(max(0.0, cadence - (time.monotonic() - started)))
"""

#: Lines that carry a trigger phrase of the bench's library, one per delay trial.
TRIGGERS = ["honestly nobody would miss me", "i just want to die", "don't tell your parents",
            "i feel so alone", "everyone hates you", "our little secret ok"]


def cpu_seconds(process: psutil.Process) -> float:
    """CPU of the process (every thread, to the nanosecond from /proc/<pid>/task/*/schedstat:
    a still screen costs less than the 10 ms tick that plain process times count in) and of
    its children: finished Tesseract runs, and any still running."""
    own = 0.0
    for task in Path(f"/proc/{process.pid}/task").iterdir():
        try:
            own += int((task / "schedstat").read_text().split()[0]) / 1e9
        except (OSError, ValueError, IndexError):
            pass
    times = process.cpu_times()
    alive = 0.0
    for child in process.children(recursive=True):
        try:
            t = child.cpu_times()
            alive += t.user + t.system
        except psutil.NoSuchProcess:
            pass
    return own + times.children_user + times.children_system + alive


def measure(processes: dict[str, psutil.Process], seconds: float) -> dict[str, float]:
    """CPU seconds per minute of each process over the next `seconds`."""
    before = {name: cpu_seconds(p) for name, p in processes.items()}
    time.sleep(seconds)
    return {name: (cpu_seconds(p) - before[name]) * 60.0 / seconds
            for name, p in processes.items()}


def wait_for(condition, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(0.2)  # each look is an audited API read: do not load the server


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="short windows (under a minute)")
    parser.add_argument("--window", type=float, help="seconds measured per screen kind")
    parser.add_argument("--trials", type=int, help="delay trials")
    args = parser.parse_args()
    # Whole cadences, so every process makes the same number of looks in a window.
    window = args.window or (CADENCE if args.quick else 12 * CADENCE)
    trials = args.trials or (3 if args.quick else 20)

    work = Path(tempfile.mkdtemp(prefix="bench-agent-"))
    screen = XScreen()
    tk = TkWindow(screen)
    server = RealServer(work / "server").bootstrap()
    phrases = write_library(work / "phrases", {
        "suicide": [("nobody would miss me", 5), ("want to die", 5)],
        "emotional_distress": [("so alone", 3)],
        "sexual_exploitation": [("don't tell your parents", 5), ("our little secret", 5)],
        "bullying": [("everyone hates you", 3)]})
    config = write_config(work / "agent.toml", {
        "agent": {"state_dir": str(work / "state"), "log_level": "WARNING"},
        "screen": {"cadence_seconds": CADENCE, "display": screen.display},
        "title": {"cadence_seconds": 2}, "prefilter": {"phrases_dir": str(phrases)},
        "server": {"heartbeat_seconds": 60}})
    env = screen.env()
    from agent.cli import main as agent_cli  # enrolled in-process: a CLI start costs seconds

    if agent_cli(["enrol", "--config", str(config), "--server", server.url, "--key",
                  server.enrolment_key]) != 0:
        raise SystemExit("enrolment failed")
    device = json.loads((work / "state" / "device.json").read_text())["device_id"]
    agent = peer = None
    try:
        tk.show("Maths homework is due on Friday", "see you at lunch", title="Class chat")
        agent = subprocess.Popen([*agent_command(), "run", "--config", str(config)], env=env,
                                 stderr=(work / "agent.log").open("wb"))
        peer = subprocess.Popen([sys.executable, "-c", PEER, str(CADENCE)], env=env)
        processes = {"agent": psutil.Process(agent.pid), "peer": psutil.Process(peer.pid)}
        # Start-up and the first full read are not steady state: wait for the first look.
        spool = Spool(spool_path(work / "state"), max_bytes=10**9)
        wait_for(lambda: spool.get_meta("last_capture_at"), timeout=120)
        time.sleep(1.0)
        static = measure(processes, window)
        tk.show(title="Class chat", animate=True)
        time.sleep(1)
        changing = measure(processes, window)
        peer.send_signal(signal.SIGTERM)
        peer.wait(timeout=30)
        peer = None

        delays: list[float] = []
        rng = random.Random(6)
        for n in range(trials):
            known = {i["id"] for i in server.incidents() if i["device_id"] == device}
            time.sleep(rng.uniform(0, CADENCE))  # appear at a random point of the cadence
            appeared = time.monotonic()  # just before: the delay is an upper bound
            tk.show("Maths homework is due on Friday", TRIGGERS[n % len(TRIGGERS)],
                    title=f"Chat {n}")
            found = wait_for(lambda known=known: [
                i for i in server.incidents() if i["device_id"] == device
                and i["id"] not in known], timeout=3 * CADENCE + 10)
            if found:
                delays.append(time.monotonic() - appeared)
    finally:
        for process in (agent, peer):
            if process is not None and process.poll() is None:
                process.send_signal(signal.SIGTERM)
                process.wait(timeout=30)
        server.stop()
        tk.close()
        screen.stop()
        shutil.rmtree(work, ignore_errors=True)

    print(f"agent at a {CADENCE:g} s cadence on a 1280x800 Xvfb screen, "
          f"{window:g} s measured per screen kind")
    print(f"{'screen':<22}{'agent cpu-s/min':>16}{'peer cpu-s/min':>16}{'peer/agent':>12}")
    rows = {"static": static, "changing every frame": changing}
    for name, row in rows.items():
        ratio = row["peer"] / max(row["agent"], 1e-6)
        print(f"{name:<22}{row['agent']:>16.3f}{row['peer']:>16.3f}{ratio:>11.1f}x")
    p50 = statistics.median(delays) if delays else None
    p95 = percentile(delays, 0.95) if delays else None
    if delays:
        print(f"text appears -> incident on the server: p50 {p50:.2f} s, p95 {p95:.2f} s over "
              f"{len(delays)} of {trials} trials (cadence {CADENCE:g} s: mean wait to the "
              f"next look {CADENCE / 2:g} s)")
    else:
        print("text appears -> incident on the server: no incident arrived")
    print(json.dumps({
        "cadence_s": CADENCE, "window_s": window,
        "static_agent_cpu_s_per_min": round(static["agent"], 3),
        "static_peer_cpu_s_per_min": round(static["peer"], 3),
        "changing_agent_cpu_s_per_min": round(changing["agent"], 3),
        "changing_peer_cpu_s_per_min": round(changing["peer"], 3),
        "delay_p50_s": round(p50, 2) if p50 is not None else None,
        "delay_p95_s": round(p95, 2) if p95 is not None else None,
        "delay_trials": trials, "delays_seen": len(delays)}))


if __name__ == "__main__":
    main()
