"""A model the data team publishes is picked up by a running server, without a restart."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from api.scoring import BatchingJudge, reload_newest_model
from classifier.judge import KeywordJudge
from tests.training.builders import tiny_model_folder


@pytest.fixture
def models_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "models"
    (root / "context").mkdir(parents=True)
    monkeypatch.setenv("SAFEGUARD_MODELS_DIR", str(root))
    return root


def test_a_newly_published_version_replaces_the_one_in_service(models_root: Path):
    batching = BatchingJudge(KeywordJudge())
    assert reload_newest_model(batching, threads=1) is None  # nothing published yet
    tiny_model_folder(models_root / "context" / "2026.12.1")
    assert reload_newest_model(batching, threads=1) == "2026.12.1"
    assert batching.version == "2026.12.1"
    assert reload_newest_model(batching, threads=1) is None  # already in service


def test_a_broken_new_version_is_refused_and_the_old_one_stays(models_root: Path):
    batching = BatchingJudge(KeywordJudge())
    good = tiny_model_folder(models_root / "context" / "2026.12.1")[2]
    reload_newest_model(batching, threads=1)
    broken = models_root / "context" / "2026.12.2"
    shutil.copytree(good, broken)
    (broken / "labels.json").write_text('["tampered"]')  # no longer matches SHA256SUMS
    assert reload_newest_model(batching, threads=1) is None
    assert batching.version == "2026.12.1"
