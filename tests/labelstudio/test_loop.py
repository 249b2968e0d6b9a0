"""Retrain, compare, promote or refuse: the rule a safeguarding lead signs off, the data the
candidate is trained on, and the command the data team runs each term."""
from __future__ import annotations

import argparse
import json
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from classifier.onnx_model import OnnxContextModel, newest_model_dir
from tests.training.builders import tiny_config, tiny_model_folder, write_manifest, write_seed
from training.config import load_config
from training.labelstudio.rows import family_of
from training.labelstudio.settings import LearningPaths
from training.loop import (
    FROZEN_TEST,
    NEW_HELD_OUT,
    Evaluation,
    RetrainError,
    add_subcommands,
    combined_seed,
    loop_manifest,
    publish_candidate,
    read_labelled,
    refusals,
)
from training.publish import load_dataset


def figures(recall: float | None, false_alerts: int, concerns: int = 10,
            innocent: int = 20) -> dict:
    return {"examples": concerns + innocent, "concerns": concerns, "innocent": innocent,
            "concern_recall": recall, "false_alerts": false_alerts}


# (set, current recall, current false alerts, candidate recall, candidate false alerts, refused?)
RULE = [
    ("same on everything", 0.9, 5, 0.9, 5, []),
    ("fewer false alerts, same recall", 0.9, 5, 0.9, 2, []),
    ("more recall, same false alerts", 0.8, 5, 1.0, 5, []),
    ("recall falls by one concern", 1.0, 5, 0.9, 0,
     ["recall of genuine concerns falls from 100.0% to 90.0%"]),
    ("one more false alert", 0.9, 5, 1.0, 6, ["false alerts rise from 5 to 6 of 20"]),
    ("worse on both", 0.9, 5, 0.8, 7, ["recall", "false alerts rise"]),
]


@pytest.mark.parametrize("case, cur_recall, cur_fa, new_recall, new_fa, why", RULE,
                         ids=[r[0] for r in RULE])
def test_a_candidate_ships_only_if_recall_holds_and_false_alerts_do_not_rise(
        case, cur_recall, cur_fa, new_recall, new_fa, why):
    evaluation = Evaluation(FROZEN_TEST, True, figures(cur_recall, cur_fa),
                            figures(new_recall, new_fa))
    reasons = refusals([evaluation])
    assert len(reasons) == len(why)
    for reason, expected in zip(reasons, why):
        assert reason.startswith(FROZEN_TEST) and expected in reason


def test_the_held_out_new_labels_count_too_but_information_only_sets_do_not():
    frozen = Evaluation(FROZEN_TEST, True, figures(0.9, 5), figures(0.9, 5))
    new = Evaluation(NEW_HELD_OUT, True, figures(1.0, 0, 3, 4), figures(2 / 3, 0, 3, 4))
    info = Evaluation("all new labels", False, figures(1.0, 0), figures(0.0, 20))
    assert [r.split(":")[0] for r in refusals([frozen, new, info])] == [NEW_HELD_OUT]


def test_an_empty_set_is_not_judged_and_nothing_to_judge_refuses():
    empty = Evaluation(NEW_HELD_OUT, True, figures(None, 0, 0, 0), figures(None, 0, 0, 0))
    frozen = Evaluation(FROZEN_TEST, True, figures(0.9, 5), figures(0.9, 5))
    assert refusals([frozen, empty]) == []
    assert refusals([empty]) == ["no test examples to compare the versions on"]


# --- publishing -------------------------------------------------------------------------------

def test_a_promoted_candidate_becomes_the_newest_version(tmp_path):
    models = tmp_path / "models"
    tiny_model_folder(tmp_path / "built" / "2026.01.01")
    shutil.copytree(tmp_path / "built" / "2026.01.01", models / "2026.01.01")
    candidate = tmp_path / "candidates" / "2026.11.29"
    tiny_model_folder(candidate, seed=3)
    published = publish_candidate(candidate, models)
    assert published == models / "2026.11.29" == newest_model_dir(models)
    assert not candidate.exists() and not (models / ".partial").exists()
    assert OnnxContextModel.load(published, threads=1).version == "2026.11.29"


def test_a_published_version_is_never_overwritten(tmp_path):
    tiny_model_folder(tmp_path / "models" / "2026.11.29")
    tiny_model_folder(tmp_path / "candidates" / "2026.11.29", seed=3)
    with pytest.raises(RetrainError, match="immutable"):
        publish_candidate(tmp_path / "candidates" / "2026.11.29", tmp_path / "models")
    assert (tmp_path / "candidates" / "2026.11.29").is_dir()


# --- the data ---------------------------------------------------------------------------------

def labelled_row(text: str, phrase: str, label: str, category: str) -> dict:
    start = text.index(phrase)
    return {"family": family_of(text), "label": label, "source": "chat", "phrase": phrase,
            "text": text, "start": start, "end": start + len(phrase),
            "phrase_category": category, "incident_id": f"inc-{len(text)}"}


LABELLED = [
    labelled_row("he's bringing a knife to the park friday, i'm scared", "knife", "violence",
                 "violence"),
    labelled_row("what a loser lol we lost again", "loser", "none", "bullying"),
    labelled_row("i self harm when everything gets too loud", "self harm", "self_harm",
                 "self_harm"),
    # A phrase the library no longer lists: dropped by the dataset, and counted.
    labelled_row("i feel so hopeless about everything", "hopeless", "emotional_distress",
                 "violence"),
]


def write_rows(path: Path, rows=LABELLED) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.fixture
def corpus(tmp_path):
    root = tmp_path / "corpus"
    return load_config(tiny_config(root, seed_dir=write_seed(root / "seed"),
                                   splits=write_manifest(root / "splits.json")))


def test_labelled_rows_join_the_seed_corpus_as_examples(tmp_path, corpus, library):
    seed = combined_seed(corpus.data.seed_dir, LABELLED, tmp_path / "combined")
    paths = LearningPaths(tmp_path / "learning")
    config = replace(corpus, data=replace(corpus.data, seed_dir=seed,
                                          splits=loop_manifest(corpus, paths.splits)))
    dataset = load_dataset(config, library)
    new = {e.family: e for e in dataset.examples if e.family.startswith("review-")}
    assert {e.label for e in new.values()} == {"violence", "none", "self_harm"}
    assert any("hopeless" in reason for reason in dataset.dropped)
    knife = new[family_of(LABELLED[0]["text"])]
    assert knife.context[knife.start:knife.end] == "knife"
    assert knife.file_category == "violence"
    seed_only = load_dataset(corpus, library)
    assert len(dataset.examples) == len(seed_only.examples) + 3


def test_the_loop_keeps_the_committed_split_of_every_seed_family(tmp_path, corpus):
    paths = LearningPaths(tmp_path / "learning")
    paths.root.mkdir()
    paths.splits.write_text(json.dumps({"families": {"suicide-01": "test",
                                                     "review-abc": "dev"}}))
    loop_manifest(corpus, paths.splits)
    families = json.loads(paths.splits.read_text())["families"]
    assert families["suicide-01"] == "train"  # the committed manifest wins
    assert families["review-abc"] == "dev"    # the loop's own families are kept


@pytest.mark.parametrize("content, problem", [
    (None, "no labelled rows yet; run `safeguard-train labelstudio pull`"),
    ("", "no labelled rows yet; label some tasks"),
    ('{"family": "f"\n', "labelled.jsonl:1: not JSON"),
    (json.dumps({**LABELLED[0], "phrase_category": "radicalisation"}) + "\n",
     "labelled.jsonl:1: missing or unknown"),
    (json.dumps(LABELLED[0]) + "\n" + json.dumps({**LABELLED[1], "label": ""}) + "\n",
     "labelled.jsonl:2: missing or unknown field(s) label"),
])
def test_labelled_rows_that_cannot_be_used_are_named_by_file_and_line(tmp_path, content,
                                                                       problem):
    path = tmp_path / "labelled.jsonl"
    if content is not None:
        path.write_text(content)
    with pytest.raises(RetrainError, match=problem.replace("(", r"\(").replace(")", r"\)")):
        read_labelled(path)


# --- the command ------------------------------------------------------------------------------

def run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="safeguard-train")
    add_subcommands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.handler(args)


@pytest.mark.slow
def test_retrain_compares_promotes_or_refuses_and_reports(tmp_path, corpus, library_dir,
                                                          monkeypatch, capsys):
    models = tmp_path / "models"
    shutil.copytree(library_dir, models / "phrases")
    tiny_model_folder(tmp_path / "built" / "2026.01.01", threshold=0.5)
    shutil.copytree(tmp_path / "built" / "2026.01.01", models / "context" / "2026.01.01")
    monkeypatch.setenv("SAFEGUARD_MODELS_DIR", str(models))
    learning = tmp_path / "learning"
    learning.mkdir()
    write_rows(learning / "labelled.jsonl")
    status = run(["retrain", "--config", str(corpus.source), "--learning-dir", str(learning),
                  "--version", "2026.11.29"])
    out = capsys.readouterr().out
    report = json.loads((learning / "reports" / "2026.11.29.json").read_text())
    assert report["current_version"] == "2026.01.01" and report["version"] == "2026.11.29"
    assert report["data"]["labelled_rows"] == 4 and report["data"]["labelled_rows_dropped"] == 1
    if status == 0:
        assert report["promoted"] and not report["reasons"] and "**promoted**" in out
        assert newest_model_dir(models / "context").name == "2026.11.29"
    else:
        assert status == 3 and report["reasons"] and "**not promoted**" in out
        assert newest_model_dir(models / "context").name == "2026.01.01"
        assert (learning / "candidates" / "2026.11.29" / "SHA256SUMS").is_file()
    assert json.loads((learning / "sync-state.json").read_text())["retrain_due"] is False


def test_retrain_without_labelled_rows_says_what_to_do(tmp_path, corpus, capsys):
    status = run(["retrain", "--config", str(corpus.source), "--learning-dir",
                  str(tmp_path / "learning")])
    assert status == 2
    assert "run `safeguard-train labelstudio pull` first" in capsys.readouterr().err
