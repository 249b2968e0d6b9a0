"""`safeguard-train labelstudio ...` as the data team runs it: settings from the
environment, one line per outcome, a clear error (and exit status 2) for what is missing."""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from tests.labelstudio.conftest import CURRENT, LabelStudioServer
from tests.labelstudio.school import dsl_reviews, send_term
from training.labelstudio.cli import add_subcommands
from training.labelstudio.interface import labelling_config

ENV = ("LABEL_STUDIO_URL", "LABEL_STUDIO_API_KEY", "SAFEGUARD_SERVER_URL", "SAFEGUARD_API_TOKEN",
       "SAFEGUARD_PSEUDONYM_SALT", "SAFEGUARD_LEARNING_DIR")


def run(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="safeguard-train")
    add_subcommands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(list(argv))
    return args.handler(args)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch, tmp_path):
    for name in ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SAFEGUARD_LEARNING_DIR", str(tmp_path / "learning"))


def test_config_prints_the_generated_labelling_config(capsys):
    assert run("labelstudio", "config") == 0
    assert capsys.readouterr().out == labelling_config()


@pytest.mark.parametrize("command, missing", [
    (["push"], "LABEL_STUDIO_API_KEY"),
    (["pull"], "LABEL_STUDIO_API_KEY"),
    (["sync", "--once"], "LABEL_STUDIO_API_KEY"),
])
def test_a_missing_token_is_named(command, missing, capsys):
    assert run("labelstudio", *command) == 2
    assert missing in capsys.readouterr().err


def test_a_label_studio_that_is_down_is_an_error_not_a_traceback(monkeypatch, capsys):
    monkeypatch.setenv("LABEL_STUDIO_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", "not-a-real-token-but-long-enough")
    assert run("labelstudio", "pull") == 2
    err = capsys.readouterr().err
    assert "cannot list Label Studio projects" in err
    assert "not-a-real-token" not in err


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_push_sync_and_pull_from_the_command_line(label_studio: LabelStudioServer,
                                                  review_server, models: Path, library,
                                                  monkeypatch, tmp_path, capsys):
    dsl_reviews(review_server, send_term(review_server, library))
    monkeypatch.setenv("LABEL_STUDIO_URL", label_studio.url)
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", label_studio.token)
    monkeypatch.setenv("SAFEGUARD_SERVER_URL", review_server.url)
    monkeypatch.setenv("SAFEGUARD_API_TOKEN", review_server.tokens["dsl"])
    common = ["--project", "Command line school", "--model", str(models / "context" / CURRENT),
              "--suppressed-fraction", "0"]

    assert run("labelstudio", "push", *common) == 0
    pushed = capsys.readouterr().out
    assert "(created): 0 tasks already there, 9 added (9 reviewed, 0 suppressed)" in pushed
    assert review_server.tokens["dsl"] not in pushed and label_studio.token not in pushed

    assert run("labelstudio", "sync", "--once", "--retrain-after", "1", *common) == 0
    synced = capsys.readouterr().out
    assert "9 tasks already there, 0 added" in synced
    assert "0 new annotation(s) since the last retrain" in synced

    assert run("labelstudio", "pull", "--project", "Command line school") == 0
    assert "9 tasks: 0 labelled -> 0 training rows; dropped 9 unlabelled" in capsys.readouterr().out
    learning = tmp_path / "learning"
    assert (learning / "labelled.jsonl").read_text() == ""
    progress = [json.loads(line) for line in (learning / "tasks.jsonl").read_text().splitlines()]
    assert len(progress) == 9 and {p["state"] for p in progress} == {"unlabelled"}
    assert (learning / "pseudonym.salt").stat().st_mode & 0o777 == 0o600
