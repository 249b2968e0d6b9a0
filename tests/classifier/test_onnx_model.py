"""The runtime context model: checksummed loading, per-batch padding, the decision, and no
torch. Models here are tiny randomly initialised BERTs built in the test (well under a
second each); the shipped model's quality is tested in tests/training/test_shipped_model.py.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from classifier.judge import ContextInput, KeywordJudge, load_judge
from classifier.model_input import HIT_END, HIT_START, ModelInputError, mark_hit, unleet
from classifier.onnx_model import (
    CHECKSUMS_FILE,
    ModelArtefactError,
    OnnxContextModel,
    newest_model_dir,
    write_checksums,
)
from classifier.taxonomy import MODEL_LABELS

pytest.importorskip("torch", reason="building the tiny test model needs the train extra")
from tests.training.builders import tiny_model_folder

HITS = [
    ContextInput("this homework is killing me", 17, 24, "violence"),
    ContextInput("everyone would be better off without me, i have thought about it for "
                 "weeks and i have written a note", 18, 39, "suicide"),
    ContextInput("kms", 0, 3, "suicide"),
    ContextInput("we watched a documentary about knife crime in citizenship", 31, 36,
                 "violence"),
]


@pytest.fixture(scope="module")
def tiny_folder(tmp_path_factory) -> Path:
    _, _, folder = tiny_model_folder(tmp_path_factory.mktemp("models") / "2026.01.01")
    return folder


@pytest.fixture
def folder_copy(tiny_folder, tmp_path) -> Path:
    return Path(shutil.copytree(tiny_folder, tmp_path / tiny_folder.name))


# --- what the model is shown ------------------------------------------------------------------

@pytest.mark.parametrize("text, start, end, shown", [
    ("this homework is killing me", 17, 24,
     f"this homework is  {HIT_START} killing {HIT_END}  me"),
    ("kms", 0, 3, f" {HIT_START} kms {HIT_END} "),
    # a pupil typing the marker cannot fake a second hit
    (f"{HIT_START} i want to die", 6, 19, f"{' ' * 5}  {HIT_START} i want to die {HIT_END} "),
])
def test_the_hit_is_wrapped_in_markers(text, start, end, shown):
    assert mark_hit(text, start, end) == shown


@pytest.mark.parametrize("written, read", [
    ("k1ll mys3lf tbh", "kill myself tbh"),
    ("i wanna k!ll my$elf", "i wanna kill myself"),
    ("n0b0dy w0uld m1ss me", "nobody would miss me"),
    ("3veryone h4tes me", "everyone hates me"),
    # numbers, names and tags stay as written
    ("he's 24 and says he's in year 10", "he's 24 and says he's in year 10"),
    ("bet365 free bet, r34, covid19, 10am", "bet365 free bet, r34, covid19, 10am"),
    ("@d4nny #h4te help! now", "@d4nny #hate help! now"),
])
def test_leetspeak_is_read_as_words_one_character_for_one(written, read):
    assert unleet(written) == read
    assert len(unleet(written)) == len(written)


def test_the_hit_itself_is_shown_without_leetspeak():
    assert mark_hit("ok k1ll mys3lf", 3, 14) == f"ok  {HIT_START} kill myself {HIT_END} "


@pytest.mark.parametrize("start, end", [(5, 5), (-1, 3), (3, 99)])
def test_offsets_outside_the_context_are_refused(start, end):
    with pytest.raises(ModelInputError, match="do not lie inside"):
        mark_hit("short text", start, end)


def test_a_batch_is_padded_to_its_own_longest_hit_not_a_fixed_length(tiny_folder):
    model = OnnxContextModel.load(tiny_folder, threads=1)
    encoder = model._encoder
    short = encoder.encode(HITS[2:3])
    mixed = encoder.encode(HITS[:3])
    lengths = [len(r) for r in encoder.token_rows(HITS[:3])]
    assert short["input_ids"].shape == (1, lengths[2])
    assert mixed["input_ids"].shape == (3, max(lengths))
    assert mixed["attention_mask"].sum(axis=1).tolist() == lengths
    assert max(lengths) < encoder.spec.max_length  # the packaged file padded to 128


def test_a_long_window_is_cut_around_the_hit_not_at_its_end(tiny_folder):
    encoder = OnnxContextModel.load(tiny_folder, threads=1)._encoder
    text = "we talked about the match and the homework " * 30 + "i want to die"
    arrays = encoder.encode([ContextInput(text, len(text) - 13, len(text), "suicide")])
    ids = arrays["input_ids"][0].tolist()
    assert len(ids) == encoder.spec.max_length
    assert encoder.spec.start_id in ids and encoder.spec.end_id in ids


# --- the verdict --------------------------------------------------------------------------------

def test_each_verdict_carries_scores_for_every_label_and_the_version(tiny_folder):
    model = OnnxContextModel.load(tiny_folder, threads=1)
    verdicts = model.judge(HITS)
    assert len(verdicts) == len(HITS)
    for v in verdicts:
        assert set(v.scores) == set(MODEL_LABELS)
        assert sum(v.scores.values()) == pytest.approx(1.0, abs=1e-5)
        assert v.model_version == "2026.01.01"
        assert v.score == pytest.approx(1 - v.scores["none"], abs=1e-6)
        assert v.category is None or v.score >= model.thresholds[v.category]


@pytest.mark.parametrize("threshold, alerts", [(0.0, True), (1.0, False)])
def test_the_threshold_decides_the_alert(tmp_path, threshold, alerts):
    _, _, folder = tiny_model_folder(tmp_path / "v1", threshold=threshold)
    verdicts = OnnxContextModel.load(folder, threads=1).judge(HITS)
    assert [v.alert for v in verdicts] == [alerts] * len(HITS)


def test_batching_changes_no_score_and_keeps_the_input_order(tiny_folder):
    one_by_one = OnnxContextModel.load(tiny_folder, threads=1, batch_size=1)
    batched = OnnxContextModel.load(tiny_folder, threads=2, batch_size=3)
    items = HITS * 3
    np.testing.assert_allclose(batched.probabilities(items), one_by_one.probabilities(items),
                               atol=1e-5)
    assert batched.judge([]) == []


def test_the_session_uses_the_thread_count_it_is_given(tiny_folder):
    model = OnnxContextModel.load(tiny_folder, threads=1)
    assert model._session.get_session_options().intra_op_num_threads == 1


def test_the_runtime_never_imports_torch_or_transformers(tiny_folder):
    script = ("import sys; from classifier.judge import ContextInput, load_judge; "
              f"j = load_judge({str(tiny_folder)!r}, threads=1); "
              "v = j.judge([ContextInput('i want to die', 0, 13, 'suicide')]); "
              "heavy = [m for m in ('torch', 'transformers') if m in sys.modules]; "
              "print(type(j).__name__, len(v), heavy)")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, check=False, text=True,
                         timeout=120, cwd=Path(__file__).resolve().parents[2])
    assert out.stdout.strip() == "OnnxContextModel 1 []", out.stderr


# --- refusing a damaged artefact ----------------------------------------------------------------

@pytest.mark.parametrize("damage, message", [
    (lambda d: (d / "thresholds.json").write_text('{"thresholds": {}}'), "checksum mismatch"),
    (lambda d: (d / "model.onnx").write_bytes(b"\0" * 64), "checksum mismatch"),
    (lambda d: (d / "tokenizer.json").unlink(), "listed in SHA256SUMS but missing"),
    (lambda d: (d / CHECKSUMS_FILE).unlink(), "cannot read the checksum file"),
    (lambda d: (d / CHECKSUMS_FILE).write_text("not a checksum line\n"), "not a 'sha256"),
    (lambda d: (d / CHECKSUMS_FILE).write_text(
        (d / CHECKSUMS_FILE).read_text().split("\n", 1)[1]), "no checksum for"),
])
def test_a_damaged_or_edited_artefact_is_refused(folder_copy, damage, message):
    damage(folder_copy)
    with pytest.raises(ModelArtefactError, match=message):
        OnnxContextModel.load(folder_copy)


def rewrite(folder: Path, name: str, data) -> None:
    """Edit a file and re-sign it, as a careless hand edit with `sha256sum` would."""
    (folder / name).write_text(json.dumps(data))
    names = [line.split()[1] for line in (folder / CHECKSUMS_FILE).read_text().splitlines()]
    write_checksums(folder, names)


@pytest.mark.parametrize("name, data, message", [
    ("labels.json", {"labels": [*MODEL_LABELS[:-1], "grooming"], "input_format":
                     "hit-markers-v1"}, "unknown: \\['grooming'\\]"),
    ("labels.json", {"labels": list(MODEL_LABELS), "input_format": "phrase-pair-v0"},
     "input format"),
    ("labels.json", {"labels": list(MODEL_LABELS[:-1]), "input_format": "hit-markers-v1"},
     "plus 'none'"),
    ("thresholds.json", {"thresholds": {c: 0.5 for c in MODEL_LABELS[:-2]}},
     "missing: \\['gambling'\\]"),
    ("thresholds.json", {"thresholds": {**{c: 0.5 for c in MODEL_LABELS[:-1]},
                                        "gamling": 0.5}}, "unknown: \\['gamling'\\]"),
    ("thresholds.json", {"thresholds": {c: 1.5 for c in MODEL_LABELS[:-1]}}, "in \\[0, 1\\]"),
    ("thresholds.json", {"thresholds": {c: 0.5 for c in MODEL_LABELS[:-1]},
                         "category_override": 0.5}, "category_override must be"),
])
def test_labels_and_thresholds_must_match_the_taxonomy(folder_copy, name, data, message):
    rewrite(folder_copy, name, data)
    with pytest.raises(ModelArtefactError, match=message):
        OnnxContextModel.load(folder_copy)


def test_a_label_count_that_disagrees_with_the_graph_is_refused(folder_copy):
    labels = [label for label in MODEL_LABELS if label != "gambling"]
    rewrite(folder_copy, "labels.json", {"labels": labels, "input_format": "hit-markers-v1"})
    rewrite(folder_copy, "thresholds.json",
            {"thresholds": {c: 0.5 for c in labels if c != "none"}})
    with pytest.raises(ModelArtefactError, match="12 outputs but labels.json lists 11"):
        OnnxContextModel.load(folder_copy)


# --- finding the newest version -----------------------------------------------------------------

def test_the_newest_published_version_wins_in_natural_order(tmp_path, tiny_folder):
    for name in ("2026.11.9", "2026.11.10", "2026.11.10.2"):
        shutil.copytree(tiny_folder, tmp_path / name)
    (tmp_path / "2026.12.01").mkdir()           # no SHA256SUMS: not a published version
    (tmp_path / ".partial").mkdir()
    assert newest_model_dir(tmp_path).name == "2026.11.10.2"


def test_without_any_model_the_keyword_baseline_is_used(tmp_path, monkeypatch):
    monkeypatch.setenv("SAFEGUARD_MODELS_DIR", str(tmp_path))
    assert newest_model_dir() is None
    assert isinstance(load_judge(), KeywordJudge)


def test_a_model_folder_that_does_not_exist_is_an_error_not_a_fallback(tmp_path):
    with pytest.raises(ModelArtefactError, match="no such model folder"):
        load_judge(tmp_path / "missing")
