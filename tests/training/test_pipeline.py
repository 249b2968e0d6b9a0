"""`safeguard-train fit` end to end on a tiny model and corpus (fit -> export -> quantise ->
publish -> scan), so the pipeline cannot rot between real training runs."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from classifier.judge import load_judge
from classifier.onnx_model import (
    ARTEFACT_FILES,
    CHECKSUMS_FILE,
    OnnxContextModel,
    newest_model_dir,
    verify_checksums,
)
from classifier.scan import Scanner
from tests.training.builders import tiny_config, write_fixture_library, write_manifest, write_seed
from training.cli import main as train_cli
from training.config import ConfigError, load_config
from training.publish import PublishError, publish, train_and_publish

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def published(tmp_path_factory, fixture_library):
    root = tmp_path_factory.mktemp("pipeline")
    seed = write_seed(root / "seed")
    splits = write_manifest(root / "splits.json")
    config = load_config(tiny_config(root, seed_dir=seed, splits=splits, augment=0.3))
    logs: list[str] = []
    folder = train_and_publish(config, version="2026.01.02", models_root=root / "models",
                               work_root=root / "work", library=fixture_library,
                               log=logs.append)
    return config, folder, logs, root


def test_a_published_version_holds_every_file_with_checksums(published):
    _, folder, _, root = published
    assert sorted(p.name for p in folder.iterdir()) == sorted([*ARTEFACT_FILES, CHECKSUMS_FILE])
    verify_checksums(folder)
    assert newest_model_dir(root / "models") == folder
    assert not (root / "models" / ".partial").exists()


def test_the_card_and_metrics_report_what_was_measured(published):
    _, folder, logs, _ = published
    metrics = json.loads((folder / "metrics.json").read_text())
    assert metrics["export"]["shipped"] in ("int8", "fp32")
    test_hits = sum(c["test"] for c in metrics["data"]["counts"].values())
    assert metrics["test"]["model"]["examples"] == test_hits > 0
    assert metrics["test"]["keywords_only"]["concern_recall"] == 1.0
    assert metrics["library_version"] == "fixture.1"
    card = (folder / "MODEL_CARD.md").read_text()
    assert f"Shipped precision: **{metrics['export']['shipped']}**" in card
    assert "| suicide |" in card and "Recall of genuine concerns" in card
    assert any("agree with fp32" in line for line in logs)
    thresholds = json.loads((folder / "thresholds.json").read_text())
    assert thresholds["tuned_on"] == "dev" and len(thresholds["thresholds"]) == 11


def test_the_scanner_judges_hits_with_the_published_model(published, fixture_library):
    _, folder, _, _ = published
    judge = load_judge(folder, threads=1)
    assert isinstance(judge, OnnxContextModel) and judge.version == "2026.01.02"
    result = Scanner(fixture_library, judge).scan("honestly i want to die, nobody would notice")
    assert [j.hit.phrase for j in result.hits] == ["want to die"]
    verdict = result.hits[0].verdict
    assert verdict.model_version == "2026.01.02" and set(verdict.scores) >= {"suicide", "none"}


def test_training_is_reproducible(published, fixture_library, tmp_path):
    config, folder, _, _ = published
    again = train_and_publish(config, version="2026.01.02", models_root=tmp_path / "models",
                              work_root=tmp_path / "work", library=fixture_library,
                              log=lambda _: None)
    texts = ["i want to kill myself tonight", "this boss fight is going to kill me lol"]
    first, second = (Scanner(fixture_library, load_judge(d, threads=1)) for d in (folder, again))
    for text in texts:
        np.testing.assert_allclose(list(first.scan(text).scores.values()),
                                   list(second.scan(text).scores.values()), atol=1e-6)


def test_the_publish_step_reruns_from_the_work_folder_without_training(published,
                                                                       fixture_library):
    config, folder, _, root = published
    again = publish(config, root / "work" / folder.name, version="2026.01.03",
                    models_root=root / "models", library=fixture_library, log=lambda _: None)
    for name in ("thresholds.json", "model.onnx"):
        assert (again / name).read_bytes() == (folder / name).read_bytes()
    assert newest_model_dir(root / "models") == again


def test_a_version_is_never_overwritten(published, fixture_library):
    config, folder, _, _ = published
    with pytest.raises(PublishError, match="already exists"):
        train_and_publish(config, version=folder.name, models_root=folder.parent,
                          library=fixture_library, log=lambda _: None)


def test_evaluate_prints_the_headline_figures(published, capsys, monkeypatch):
    config, folder, _, root = published
    # evaluate finds hits with the library in force: make that the fixture library
    write_fixture_library(root / "installed" / "phrases")
    monkeypatch.setenv("SAFEGUARD_MODELS_DIR", str(root / "installed"))
    code = train_cli(["evaluate", "--model", str(folder), "--config", str(config.source),
                      "--threads", "1"])
    out = capsys.readouterr().out
    assert code == 0
    assert "test split, scanned with judge 2026.01.02 (library fixture.1):" in out
    for heading in ("recall of genuine concerns", "false alerts cut vs keywords-only",
                    "category right on true alerts", "suicide"):
        assert heading in out


@pytest.mark.parametrize("args, message", [
    (["evaluate", "--config", "/nonexistent/config.toml"], "cannot read config"),
    (["evaluate", "--model", "/nonexistent/model"], "no such model folder"),
])
def test_the_command_line_names_what_is_wrong(args, message):
    out = subprocess.run([sys.executable, "-m", "training.cli", *args], capture_output=True, check=False,
                         text=True, timeout=120, cwd=REPO)
    assert out.returncode == 2 and message in out.stderr and "Traceback" not in out.stderr


@pytest.mark.parametrize("edit, message", [
    (("epochs = ", "epochs = \"four\" # "), "epochs must be int"),
    (("dev = 0.15", "dev = 0.25"), "sum to 1"),
    (("class_weighting = \"sqrt_inverse\"", "class_weighting = \"balanced\""), "one of"),
    (("[export]", "[export]\nfuse_harder = true"), "unknown setting"),
])
def test_a_bad_config_is_refused_with_the_setting_named(tmp_path, edit, message):
    text = load_config().source.read_text()
    assert edit[0] in text
    path = tmp_path / "config.toml"
    path.write_text(text.replace(edit[0], edit[1], 1))
    with pytest.raises(ConfigError, match=message):
        load_config(path)
