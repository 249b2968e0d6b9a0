"""Feeds of JSON lines from a file, a pipe or a local socket: every good line is read, a bad
line is named (source and line number) and skipped without losing its neighbours."""
from __future__ import annotations

import json
import logging
import os
import socket
import time
from pathlib import Path

import pytest

from agent.sources import FileFeed, Observation, PipeFeed, SocketFeed, parse_line
from agent.sources.feed import FeedLineError
from classifier.records import Source


def line(text: str, **extra: str) -> str:
    return json.dumps({"text": text, **extra}) + "\n"


def poll_until(feed, count: int, timeout: float = 5.0) -> list[Observation]:
    seen: list[Observation] = []
    deadline = time.monotonic() + timeout
    while len(seen) < count and time.monotonic() < deadline:
        seen.extend(feed.poll())
        time.sleep(0.02)
    return seen


def test_a_feed_line_carries_text_window_and_time() -> None:
    obs = parse_line(line("nobody would miss me", window_title="Chat - Firefox",
                          application="firefox", user="pupil7",
                          observed_at="2025-03-01T10:00:00+01:00").encode())
    assert obs == Observation(text="nobody would miss me", source=Source.FEED,
                              window_title="Chat - Firefox", application="firefox",
                              user="pupil7", observed_at="2025-03-01T09:00:00.000Z")


@pytest.mark.parametrize(("raw", "reason"), [
    (b"{not json", "not valid JSON"),
    (b"[1, 2]", "must be a JSON object"),
    (b'{"txt": "hello"}', '"text" must be present'),
    (b'{"text": 42}', '"text" must be present and a string'),
    (b'{"text": "hi", "window_title": 3}', '"window_title" must be a string'),
    (b'{"text": "hi", "observed_at": "yesterday"}', "not an ISO 8601 time"),
    (b'{"text": "hi", "observed_at": "2025-03-01T10:00:00"}', "must carry a time zone"),
    (b'{"text": "\xff"}', "not valid JSON"),
])
def test_a_bad_line_is_refused_with_the_reason(raw: bytes, reason: str) -> None:
    with pytest.raises(FeedLineError, match=reason):
        parse_line(raw)


def test_a_file_is_read_then_followed_and_bad_lines_are_named(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "replay.jsonl"
    path.write_text(line("first") + "{broken\n" + line("third") + '{"text": "four')
    feed = FileFeed(path)
    assert [o.text for o in feed.poll()] == ["first", "third"]
    assert f"feed file {path} line 2: not valid JSON" in caplog.text
    with path.open("a") as handle:  # the half-written line is completed, more arrive
        handle.write('th"}\n' + line("fifth"))
    assert [o.text for o in feed.poll()] == ["fourth", "fifth"]
    assert feed.poll() == []


def test_a_replayed_file_is_read_once_to_the_end(tmp_path: Path) -> None:
    path = tmp_path / "demo.jsonl"
    path.write_text(line("one") + line("two") + '{"text": "last line without newline"}')
    feed = FileFeed(path, follow=False)
    assert [o.text for o in feed.poll()] == ["one", "two", "last line without newline"]
    assert feed.poll() == [] and feed.finished


def test_a_rotated_file_is_read_from_its_start(tmp_path: Path) -> None:
    path = tmp_path / "feed.jsonl"
    path.write_text(line("old"))
    feed = FileFeed(path)
    assert [o.text for o in feed.poll()] == ["old"]
    path.unlink()
    path.write_text(line("new"))
    assert [o.text for o in poll_until(feed, 1)] == ["new"]


def test_a_missing_file_is_unavailable_not_fatal(tmp_path: Path) -> None:
    from agent.sources import SourceUnavailable

    feed = FileFeed(tmp_path / "later.jsonl")
    with pytest.raises(SourceUnavailable, match="does not exist"):
        feed.poll()
    (tmp_path / "later.jsonl").write_text(line("arrived"))
    assert [o.text for o in feed.poll()] == ["arrived"]


def test_a_named_pipe_gets_lines_from_several_writers(tmp_path: Path) -> None:
    path = tmp_path / "feed.fifo"
    feed = PipeFeed(path)
    assert feed.poll() == []  # creates the pipe; nobody writes yet
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    for text in ("from the extension", "from the replay tool"):
        fd = os.open(path, os.O_WRONLY)
        os.write(fd, line(text).encode())
        os.close(fd)  # the writer goes away; the feed keeps listening
    assert [o.text for o in poll_until(feed, 2)] == ["from the extension",
                                                      "from the replay tool"]
    feed.close()


def test_a_local_socket_takes_connections_and_a_last_line_without_newline(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.ERROR)
    path = tmp_path / "feed.sock"
    feed = SocketFeed(path)
    feed.poll()
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    first = socket.socket(socket.AF_UNIX)
    first.connect(str(path))
    first.sendall((line("tab one") + "oops\n").encode())
    second = socket.socket(socket.AF_UNIX)
    second.connect(str(path))
    second.sendall(b'{"text": "tab two"}')
    second.close()
    got = poll_until(feed, 2)
    first.close()
    assert sorted(o.text for o in got) == ["tab one", "tab two"]
    assert "connection 1 line 2: not valid JSON" in caplog.text
    feed.close()
    assert not path.exists()


def test_a_restarted_agent_carries_on_after_the_last_line_it_stored(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "feed.jsonl"
    path.write_text(line("one") + "{broken\n" + line("three"))
    first = FileFeed(path)
    seen = first.poll()
    assert [o.text for o in seen] == ["one", "three"]
    store = dict([seen[0].checkpoint])  # the agent stopped after storing only "one"
    assert store[first.checkpoint_name]["offset"] == len(line("one"))
    with path.open("a") as handle:
        handle.write(line("four"))
    again = FileFeed(path, resume=store.get)
    assert [o.text for o in again.poll()] == ["three", "four"]  # neither skipped nor repeated
    assert f"feed file {path} line 2: not valid JSON" in caplog.text  # counted from the start


def test_a_checkpoint_for_a_replaced_file_is_ignored(tmp_path: Path) -> None:
    path = tmp_path / "feed.jsonl"
    path.write_text(line("old one") + line("old two"))
    store = dict([FileFeed(path).poll()[-1].checkpoint])
    path.unlink()
    path.write_text(line("new"))  # rotated: a different file at the same path
    assert [o.text for o in FileFeed(path, resume=store.get).poll()] == ["new"]
