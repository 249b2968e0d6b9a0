"""The config file IT staff push to every laptop: a mistake is refused with the file, the key
and the reason, never run with a silent default."""
from __future__ import annotations

from pathlib import Path

import pytest

from agent.config import AgentConfig, ConfigError, load_config


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "agent.toml"
    path.write_text(text)
    return path


GOOD = """
[agent]
state_dir = "/var/lib/safeguard-agent"
log_level = "WARNING"

[screen]
cadence_seconds = 10
monitors = [1]
screenshot_format = "png"

[feed]
files = ["/tmp/replay.jsonl"]
follow = false

[spool]
max_megabytes = 50

[scoring]
on_device = true
"""


def test_a_full_config_is_read_with_types_kept(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, GOOD))
    assert config.state_dir == Path("/var/lib/safeguard-agent")
    assert config.agent.log_level == "WARNING"
    assert config.screen.cadence_seconds == 10.0 and isinstance(config.screen.cadence_seconds,
                                                                 float)
    assert config.screen.monitors == [1]
    assert config.screen.screenshot_format == "png"
    assert config.feed.files == ["/tmp/replay.jsonl"] and config.feed.follow is False
    assert config.spool.max_megabytes == 50.0
    assert config.scoring.on_device is True
    # untouched sections keep their defaults
    assert config.title.enabled is True and config.upload.backoff_max_seconds == 300.0


def test_no_config_file_means_defaults_unless_one_was_named(tmp_path: Path) -> None:
    assert load_config(tmp_path / "absent.toml") == AgentConfig()
    with pytest.raises(ConfigError, match=r"absent\.toml: config file not found"):
        load_config(tmp_path / "absent.toml", required=True)


@pytest.mark.parametrize(("text", "message"), [
    ("[screen\ncadence_seconds = 5", r"agent\.toml: not valid TOML: .*line 1"),
    ("[screen]\ncadence_secs = 5", (r"agent\.toml: \[screen\] cadence_secs: unknown key; "
                                   r"known keys: enabled, cadence_seconds")),
    ("[screens]\ncadence_seconds = 5", r"agent\.toml: unknown section \[screens\]"),
    ("screen = 5", r"agent\.toml: \[screen\] must be a table"),
    ('[screen]\ncadence_seconds = "fast"', (r"\[screen\] cadence_seconds: must be a number, "
                                           r"got 'fast'")),
    ("[screen]\ncadence_seconds = 0", r"\[screen\] cadence_seconds: must be between 0.2 and"),
    ("[screen]\nenabled = 1", r"\[screen\] enabled: must be true or false, got 1"),
    ('[screen]\nscreenshot_format = "bmp"', (r"\[screen\] screenshot_format: must be one of "
                                            r"'webp', 'png', got 'bmp'")),
    ('[screen]\nmonitors = [1, "2"]', r"\[screen\] monitors\[1\]: must be a whole number"),
    ("[spool]\nmax_megabytes = -5", r"\[spool\] max_megabytes: must be between 0.05 and"),
    ('[agent]\nlog_level = "LOUD"', r"\[agent\] log_level: must be one of 'DEBUG'"),
    ("[feed]\nfiles = \"/tmp/x\"", r"\[feed\] files: must be a list, got str"),
    ("[upload]\nbackoff_initial_seconds = 10\nbackoff_max_seconds = 5",
     r"\[upload\] backoff_max_seconds must be at least backoff_initial_seconds"),
])
def test_a_bad_config_is_refused_naming_file_and_key(tmp_path: Path, text: str,
                                                     message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_config(write(tmp_path, text))


def test_a_config_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "agent.toml"
    path.write_bytes(b"[agent]\nuser = \"\xff\xfe\"\n")
    with pytest.raises(ConfigError, match=r"agent\.toml: cannot read"):
        load_config(path)
