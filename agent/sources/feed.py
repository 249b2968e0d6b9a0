"""Feeds: JSON lines of text from a file, a pipe or a local socket.

Browser extensions and other helpers can see text the screen does not show clearly (a page
scrolled away, a search box), and a recorded feed replays a demo. One line is one object:
`{"text": str, "window_title"?: str, "application"?: str, "user"?: str, "observed_at"?: str}`.
A bad line is reported with its source and line number and skipped; the lines around it
are still read.
"""
from __future__ import annotations

import json
import logging
import os
import selectors
import socket
import stat
from collections.abc import Callable
from contextlib import suppress
from dataclasses import replace
from pathlib import Path
from typing import Any, BinaryIO

from agent.sources.base import Observation, SourceUnavailable
from classifier.records import HitValidationError, Source, parse_utc

log = logging.getLogger("agent.feed")

#: A longer line is refused (a feed is text seen by a person, not a data dump).
MAX_LINE_BYTES = 256 * 1024
_TEXT_FIELDS = ("window_title", "application", "user", "observed_at")


class FeedLineError(ValueError):
    pass


def parse_line(raw: bytes) -> Observation:
    """One feed line into an observation, or FeedLineError saying what is wrong."""
    if len(raw) > MAX_LINE_BYTES:
        raise FeedLineError(f"line is longer than {MAX_LINE_BYTES} bytes")
    try:
        item: Any = json.loads(raw)
    except (UnicodeDecodeError, ValueError) as exc:
        raise FeedLineError(f"not valid JSON ({exc})") from None
    if not isinstance(item, dict):
        raise FeedLineError("a feed line must be a JSON object")
    text = item.get("text")
    if not isinstance(text, str):
        raise FeedLineError('"text" must be present and a string')
    for name in _TEXT_FIELDS:
        if name in item and not isinstance(item[name], str):
            raise FeedLineError(f'"{name}" must be a string')
    observed_at = item.get("observed_at")
    if observed_at is not None:
        try:
            observed_at = parse_utc(observed_at).isoformat(timespec="milliseconds") \
                .replace("+00:00", "Z")
        except HitValidationError as exc:
            raise FeedLineError(str(exc)) from None
    return Observation(text=text, source=Source.FEED,
                       window_title=item.get("window_title", ""),
                       application=item.get("application", ""),
                       user=item.get("user") or None, observed_at=observed_at)


class _Lines:
    """Splits a byte stream into lines, parses each and counts them for error messages.
    `consumed` is how many bytes of the stream whole lines have used so far."""

    def __init__(self, name: str, line_number: int = 0) -> None:
        self.name = name
        self.buffer = b""
        self.line_number = line_number
        self.consumed = 0

    def feed(self, chunk: bytes, *, final: bool = False
             ) -> list[tuple[Observation | None, int, int]]:
        """(observation or None for a skipped line, bytes consumed up to the end of that
        line, its line number) for each complete line."""
        self.buffer += chunk
        lines = self.buffer.split(b"\n")
        self.buffer = lines.pop()
        ends_with_newline = [True] * len(lines)
        if (final and self.buffer) or len(self.buffer) > MAX_LINE_BYTES:
            lines.append(self.buffer)  # a last line without newline, or a runaway line
            ends_with_newline.append(False)
            self.buffer = b""
        out: list[tuple[Observation | None, int, int]] = []
        for raw, newline in zip(lines, ends_with_newline):
            self.line_number += 1
            self.consumed += len(raw) + newline
            observation = None
            if raw.strip():
                try:
                    observation = parse_line(raw)
                except FeedLineError as exc:
                    log.error("%s line %d: %s; line skipped", self.name, self.line_number, exc)
            out.append((observation, self.consumed, self.line_number))
        return out

    def observations(self, chunk: bytes, *, final: bool = False) -> list[Observation]:
        return [o for o, _, _ in self.feed(chunk, final=final) if o is not None]


class FileFeed:
    """A JSON-lines file, read from the start and then followed as it grows (a rotated or
    truncated file is read again from its start).

    How far the file has been read is checkpointed with the hits it produced (see
    `Observation.checkpoint`), so a restarted agent carries on after the last line it had
    spooled instead of filing the whole file again."""

    cadence = 0.5

    def __init__(self, path: Path | str, *, follow: bool = True,
                 resume: Callable[[str], Any] | None = None) -> None:
        self.path = Path(path)
        self.name = f"feed file {self.path}"
        self.checkpoint_name = f"feed-position:{self.path.resolve()}"
        self.follow = follow
        self._resume = resume
        self._handle: BinaryIO | None = None
        self._inode: int | None = None
        self._start = 0
        self._lines = _Lines(self.name)
        self.finished = False

    def _open(self) -> BinaryIO:
        if self._handle is None:
            try:
                handle = self.path.open("rb")
            except FileNotFoundError:
                raise SourceUnavailable(f"{self.path} does not exist (yet)") from None
            except OSError as exc:
                raise SourceUnavailable(f"cannot open {self.path}: {exc}") from None
            st = os.fstat(handle.fileno())
            self._inode, self._start, line = st.st_ino, 0, 0
            saved = self._resume(self.checkpoint_name) if self._resume else None
            if isinstance(saved, dict) and saved.get("inode") == st.st_ino \
                    and 0 <= saved.get("offset", -1) <= st.st_size:
                self._start, line = int(saved["offset"]), int(saved.get("line", 0))
                handle.seek(self._start)
            self._lines = _Lines(self.name, line)
            self._handle = handle
        return self._handle

    def poll(self) -> list[Observation]:
        if self.finished:
            return []
        handle = self._open()
        out = []
        for observation, consumed, number in self._lines.feed(handle.read(),
                                                              final=not self.follow):
            if observation is not None:
                out.append(replace(observation, checkpoint=(self.checkpoint_name, {
                    "inode": self._inode, "offset": self._start + consumed, "line": number})))
        if not self.follow:
            self.finished = True
            self.close()
        elif self._replaced():
            self.close()  # read the new file from its start on the next poll
        return out

    def _replaced(self) -> bool:
        try:
            st = self.path.stat()
        except FileNotFoundError:
            return False
        return st.st_ino != self._inode or (self._handle is not None
                                            and st.st_size < self._handle.tell())

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None


class PipeFeed:
    """A named pipe (FIFO) any local program can write lines into; "-" is standard input."""

    cadence = 0.2

    def __init__(self, path: Path | str) -> None:
        self.path = str(path)
        self.name = "feed stdin" if self.path == "-" else f"feed pipe {self.path}"
        self._fd: int | None = None
        self._lines = _Lines(self.name)

    def _open(self) -> int:
        if self._fd is None:
            if self.path == "-":
                self._fd = os.dup(0)
            else:
                path = Path(self.path)
                if not path.exists():
                    os.mkfifo(path, 0o600)
                elif not stat.S_ISFIFO(path.stat().st_mode):
                    raise SourceUnavailable(f"{path} exists and is not a named pipe")
                # O_RDWR keeps the pipe open with no writer, so EOF never spins the loop.
                self._fd = os.open(path, os.O_RDWR | os.O_NONBLOCK)
            os.set_blocking(self._fd, False)
        return self._fd

    def poll(self) -> list[Observation]:
        fd = self._open()
        chunks = []
        while True:
            try:
                chunk = os.read(fd, 65536)
            except BlockingIOError:
                break
            if not chunk:
                break
            chunks.append(chunk)
        return self._lines.observations(b"".join(chunks))

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


class SocketFeed:
    """A Unix socket the agent listens on; each connection sends JSON lines. Only the
    agent's own user may connect (mode 0600)."""

    cadence = 0.2

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.name = f"feed socket {self.path}"
        self._server: socket.socket | None = None
        self._selector = selectors.DefaultSelector()
        self._clients: dict[socket.socket, _Lines] = {}
        self._connections = 0

    def _listen(self) -> socket.socket:
        if self._server is None:
            if self.path.exists() or self.path.is_symlink():
                if not stat.S_ISSOCK(self.path.lstat().st_mode):
                    raise SourceUnavailable(f"{self.path} exists and is not a socket")
                self.path.unlink()  # left by an agent that did not stop cleanly
            server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            old = os.umask(0o177)
            try:
                server.bind(str(self.path))
            except OSError as exc:
                server.close()
                raise SourceUnavailable(f"cannot listen on {self.path}: {exc}") from None
            finally:
                os.umask(old)
            server.listen(8)
            server.setblocking(False)
            self._selector.register(server, selectors.EVENT_READ)
            self._server = server
        return self._server

    def poll(self) -> list[Observation]:
        server = self._listen()
        out: list[Observation] = []
        for key, _ in self._selector.select(timeout=0):
            sock = key.fileobj
            if sock is server:
                try:
                    conn, _ = server.accept()
                except BlockingIOError:
                    continue
                conn.setblocking(False)
                self._connections += 1
                self._clients[conn] = _Lines(f"{self.name} connection {self._connections}")
                self._selector.register(conn, selectors.EVENT_READ)
                continue
            out.extend(self._drain(sock))  # type: ignore[arg-type]
        return out

    def _drain(self, sock: socket.socket) -> list[Observation]:
        lines = self._clients[sock]
        out: list[Observation] = []
        while True:
            try:
                chunk = sock.recv(65536)
            except BlockingIOError:
                return out
            except OSError:
                chunk = b""
            if not chunk:  # the writer closed: a last line without a newline still counts
                out.extend(lines.observations(b"", final=True))
                self._drop(sock)
                return out
            out.extend(lines.observations(chunk))

    def _drop(self, sock: socket.socket) -> None:
        self._selector.unregister(sock)
        self._clients.pop(sock, None)
        sock.close()

    def close(self) -> None:
        for sock in list(self._clients):
            self._drop(sock)
        if self._server is not None:
            self._selector.unregister(self._server)
            self._server.close()
            self._server = None
            with suppress(FileNotFoundError):
                self.path.unlink()
