"""Fixtures for the agent: a real X screen (Xvfb), real Tesseract, a real HTTP server.

Xvfb is started here on a display number nobody uses, so these tests can run beside other
workers' screens; OMP_THREAD_LIMIT=1 keeps Tesseract from fighting for the two cores.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ["OMP_THREAD_LIMIT"] = "1"

from tests.agent.contract_server import ContractServer

HERE = Path(__file__).parent

#: The agent tests' own phrase library: a few phrases a safeguarding lead knows, in several
#: categories and severities, so the tests do not move when the shipped library grows.
TEST_PHRASES: dict[str, list[tuple[str, int]]] = {
    "suicide": [("nobody would miss me", 5), ("want to die", 5)],
    "emotional_distress": [("killing me", 2), ("so alone", 3)],
    "sexual_exploitation": [("don't tell your parents", 5), ("our little secret", 5)],
    "bullying": [("everyone hates you", 3)],
    "gambling": [("place a bet", 1)],
}


def write_library(root: Path, phrases: dict[str, list[tuple[str, int]]] = TEST_PHRASES,
                  version: str = "agent-test.1") -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "library.toml").write_text(f'version = "{version}"\n')
    for cat, rows in phrases.items():
        lines = ["phrase,severity,match,note"] + [f'"{p}",{s},word,' for p, s in rows]
        (root / f"{cat}.csv").write_text("\n".join(lines) + "\n")
    return root


@pytest.fixture(scope="session")
def phrases_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_library(tmp_path_factory.mktemp("agent-phrases"))


def _free_display() -> int:
    for number in range(140, 400):
        if not Path(f"/tmp/.X{number}-lock").exists() and \
                not Path(f"/tmp/.X11-unix/X{number}").exists():
            return number
    raise RuntimeError("no free X display number")


class XScreen:
    def __init__(self, width: int = 1280, height: int = 800) -> None:
        if shutil.which("Xvfb") is None:
            pytest.skip("Xvfb is not installed (apt-get install xvfb)")
        for _ in range(5):
            self.number = _free_display()
            self.display = f":{self.number}"
            self.process = subprocess.Popen(
                ["Xvfb", self.display, "-screen", "0", f"{width}x{height}x24", "-nolisten",
                 "tcp", "-nocursor"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                if Path(f"/tmp/.X11-unix/X{self.number}").exists():
                    return
                if self.process.poll() is not None:
                    break  # lost a race for this number: try the next one
                time.sleep(0.05)
            self.stop()
        raise RuntimeError("Xvfb did not start")

    def env(self) -> dict[str, str]:
        return {**os.environ, "DISPLAY": self.display, "OMP_THREAD_LIMIT": "1"}

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


@pytest.fixture(scope="session")
def xscreen() -> Iterator[XScreen]:
    screen = XScreen()
    yield screen
    screen.stop()


class TkWindow:
    """A real Tk window on the test screen, showing the lines it is told to show."""

    def __init__(self, screen: XScreen) -> None:
        self.process = subprocess.Popen(
            [sys.executable, str(HERE / "tk_window.py")], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, text=True, env=screen.env())
        self._expect("ready")

    def _expect(self, word: str) -> None:
        line = self.process.stdout.readline().strip()
        if line != word:
            raise RuntimeError(f"Tk window said {line!r}, expected {word!r}")

    def show(self, *lines: str, title: str = "Chat", style: str = "plain",
             picture: bool = False, animate: bool = False) -> None:
        """Replace the window's content; returns once it is drawn."""
        import json

        self.process.stdin.write(json.dumps({
            "lines": list(lines), "title": title, "style": style, "picture": picture,
            "animate": animate}) + "\n")
        self.process.stdin.flush()
        self._expect("shown")

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.stdin.close()
            self.process.wait(timeout=10)


@pytest.fixture
def tk_window(xscreen: XScreen) -> Iterator[TkWindow]:
    window = TkWindow(xscreen)
    yield window
    window.close()


@pytest.fixture
def contract_server() -> Iterator[ContractServer]:
    server = ContractServer().start()
    yield server
    server.stop()


def write_config(path: Path, sections: dict[str, dict[str, object]]) -> Path:
    """An agent.toml (JSON scalars and lists are valid TOML values)."""
    import json

    lines = []
    for name, values in sections.items():
        lines.append(f"[{name}]")
        lines += [f"{key} = {json.dumps(value)}" for key, value in values.items()]
        lines.append("")
    path.write_text("\n".join(lines))
    return path


def agent_command() -> list[str]:
    return [str(Path(sys.executable).parent / "safeguard-agent")]
