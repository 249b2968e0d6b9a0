"""The endpoint agent: sees the screen, prefilters, captures evidence, never loses a hit.

    sources (screen OCR, window titles, feeds) -> Capturer (prefilter, repeat suppression,
    evidence) -> Spool (SQLite, durable, bounded) -> Uploader (retries) -> review server

`safeguard-agent` (agent.cli) is the command; `Agent` wires the parts. The names below are
imported on first use, so `import agent` stays cheap (the CLI's `status` needs no OCR stack).
"""
from __future__ import annotations

from importlib import import_module
from typing import Any

__version__ = "0.1.0"

_PUBLIC = {
    "Agent": "agent.runner",
    "AgentConfig": "agent.config", "ConfigError": "agent.config", "load_config": "agent.config",
    "Capturer": "agent.capture",
    "DeviceCredentials": "agent.credentials", "NotEnrolledError": "agent.credentials",
    "ServerClient": "agent.client",
    "Spool": "agent.spool", "SpoolWriteError": "agent.spool",
    "Uploader": "agent.uploader", "Backoff": "agent.uploader",
    "TextSource": "agent.sources", "Observation": "agent.sources",
    "ScreenSource": "agent.sources", "TitleSource": "agent.sources",
    "FileFeed": "agent.sources", "PipeFeed": "agent.sources", "SocketFeed": "agent.sources",
}

__all__ = ["__version__", *sorted(_PUBLIC)]  # noqa: PLE0604 - the names are strings


def __getattr__(name: str) -> Any:
    if name in _PUBLIC:
        return getattr(import_module(_PUBLIC[name]), name)
    raise AttributeError(f"module 'agent' has no attribute {name!r}")
