"""The dataset: hits found as the scanner finds them, noisy copies, frozen splits by family."""
from __future__ import annotations

import json
from collections import defaultdict

import pytest

from classifier.context import context_window
from classifier.matcher import Matcher
from tests.training.builders import ROWS, SPLIT_OF, seed_line, write_seed
from training.dataset import SeedError, build_dataset, report
from training.splits import SplitManifest, SplitManifestError, hash_split

FRACTIONS = {"train": 0.70, "dev": 0.15, "test": 0.15}


def build(seed_dir, manifest_path, library, augment=0.0):
    return build_dataset(seed_dir, SplitManifest.load(manifest_path, FRACTIONS), augment,
                         library)


def test_every_example_is_the_window_the_scanner_would_cut(seed_dir, manifest_path,
                                                           fixture_library):
    dataset = build(seed_dir, manifest_path, fixture_library)
    assert sum(e.primary for e in dataset.examples) == len(ROWS) and not dataset.dropped
    matcher = Matcher.for_library(fixture_library)
    for example in dataset.examples:
        hit = next(m for m in matcher.find(example.text)
                   if (m.phrase, m.category) == (example.phrase, example.phrase_category)
                   and example.text[m.start:m.end] == example.context[example.start:example.end])
        assert (example.context, example.start, example.end) == context_window(
            example.text, hit.start, hit.end)
        assert example.context[example.start:example.end].lower().startswith(example.phrase)


@pytest.mark.parametrize("text, phrase, category, label, primary", [
    # the row's own hit, and another phrase the scanner also finds in the same text
    ("i just want to kill myself tonight, nobody would even notice", "kill myself", "suicide",
     "suicide", True),
    ("i just want to kill myself tonight, nobody would even notice", "kill", "violence",
     "suicide", False),
    ("lol if i fail this maths test i'll kill myself haha jk", "kill", "violence", "none",
     False),
])
def test_every_hit_in_a_text_is_an_example_with_the_texts_label(
        seed_dir, manifest_path, fixture_library, text, phrase, category, label, primary):
    dataset = build(seed_dir, manifest_path, fixture_library)
    (example,) = [e for e in dataset.examples if e.text == text and e.phrase == phrase]
    assert (example.phrase_category, example.label, example.primary) == (
        category, label, primary)
    assert dataset.rows(example.split).count(example) == int(primary)


@pytest.mark.parametrize("line, reason", [
    ('{"family": "x-1", "label": "suicide", "source": "chat"', "not JSON"),
    ('["a list"]', "not a JSON object"),
    (seed_line("x-1", "suicidal", "chat", "kill myself", "i will kill myself"), "'suicidal' is not a category"),
    (seed_line("x-1", "suicide", "tiktok", "kill myself", "i will kill myself"), "source 'tiktok'"),
    (seed_line("x-1", "suicide", "chat", "", "i will kill myself"), "missing or empty field(s): phrase"),
    (seed_line("x-1", "suicide", "chat", "kill myself", "i am fine today"), "does not find 'kill myself'"),
    (seed_line("x-1", "suicide", "chat", "end it all", "i want to end it all"), "does not find 'end it all'"),
])
def test_a_bad_row_is_reported_with_its_line_and_dropped(tmp_path, manifest_path,
                                                         fixture_library, line, reason):
    seed = write_seed(tmp_path / "seed", extra={"suicide": line.rstrip("\n") + "\n"})
    dataset = build(seed, manifest_path, fixture_library)
    assert sum(e.primary for e in dataset.examples) == len(ROWS)
    assert len(dataset.dropped) == 1
    assert dataset.dropped[0].startswith("suicide.jsonl:") and reason in dataset.dropped[0]


def test_a_seed_folder_without_files_is_an_error(tmp_path, manifest_path, fixture_library):
    with pytest.raises(SeedError, match="no seed files"):
        build(tmp_path, manifest_path, fixture_library)


def test_noisy_copies_still_hit_keep_their_family_and_are_reproducible(
        seed_dir, manifest_path, fixture_library):
    dataset = build(seed_dir, manifest_path, fixture_library, augment=0.99)
    noisy = [e for e in dataset.examples if e.noise and e.primary]
    assert len(noisy) >= len(ROWS) // 2
    originals = {e.where: e for e in dataset.examples if not e.noise and e.primary}
    matcher = Matcher.for_library(fixture_library)
    for copy in noisy:
        original = originals[copy.where]
        assert (copy.family, copy.label, copy.split, copy.phrase) == (
            original.family, original.label, original.split, original.phrase)
        assert copy.text != original.text
        assert any(m.phrase == copy.phrase for m in matcher.find(copy.context))
    again = build(seed_dir, manifest_path, fixture_library, augment=0.99)
    assert again.examples == dataset.examples


def test_no_family_straddles_splits_and_the_manifest_wins(seed_dir, manifest_path,
                                                          fixture_library):
    dataset = build(seed_dir, manifest_path, fixture_library, augment=0.5)
    splits = defaultdict(set)
    for e in dataset.examples:
        splits[e.family].add(e.split)
    assert {f: s.pop() for f, s in splits.items() if len(s) == 1} == SPLIT_OF


@pytest.mark.parametrize("family, split", [
    ("bullying-001", "train"), ("suicide-042", "train"), ("gambling-007", "dev"),
    ("none-xyz", "test"), ("self_harm-013", "train"),
])
def test_the_hash_rule_is_pinned(family, split):
    # sha256, not Python's salted hash(): the same split in every process, on every machine.
    assert hash_split(family, FRACTIONS) == split


def test_the_hash_rule_gives_roughly_the_configured_fractions():
    families = [f"family-{n}" for n in range(6000)]
    counts = {s: 0 for s in FRACTIONS}
    for f in families:
        counts[hash_split(f, FRACTIONS)] += 1
    for split, share in FRACTIONS.items():
        assert abs(counts[split] / len(families) - share) < 0.02


def test_freezing_records_new_families_and_never_moves_old_ones(tmp_path):
    path = tmp_path / "splits.json"
    manifest = SplitManifest.load(path, FRACTIONS)
    assert manifest.freeze(["a", "b"]) == ["a", "b"]
    manifest.families["a"] = "test" if manifest.families["a"] != "test" else "dev"
    moved = manifest.families["a"]
    manifest.save(path)
    reloaded = SplitManifest.load(path, {"train": 0.1, "dev": 0.1, "test": 0.8})
    assert reloaded.split_of("a") == moved  # frozen beats the hash rule and new fractions
    assert reloaded.freeze(["a", "b", "c"]) == ["c"]
    saved = json.loads(path.read_text())
    assert saved["families"] == {"a": moved, "b": manifest.families["b"]}


@pytest.mark.parametrize("content, message", [
    ("{not json", "cannot read"),
    ('{"families": {"fam-1": "holdout"}}', "split 'holdout'"),
    ('{"families": ["fam-1"]}', "expected"),
])
def test_a_broken_manifest_is_refused(tmp_path, content, message):
    path = tmp_path / "splits.json"
    path.write_text(content)
    with pytest.raises(SplitManifestError, match=message):
        SplitManifest.load(path, FRACTIONS)


def test_the_report_counts_splits_labels_and_hard_negatives(seed_dir, manifest_path,
                                                            fixture_library):
    lines = list(report(build(seed_dir, manifest_path, fixture_library)))
    table = {line.split()[0]: line.split()[1:5] for line in lines[1:16] if line.strip()}
    assert table["suicide"] == ["2", "2", "0", "4"]
    assert table["none"] == ["4", "2", "4", "10"]
    assert table["total"] == ["8", "6", "6", "20"]
    assert int(table["hits"][3]) > 20  # other phrases in the same texts are hits too
    hard = {line.split()[0]: line for line in lines if "/" in line}
    assert "4 / 8" in hard["suicide"] and "50.0%" in hard["suicide"]
    assert "< 40%" not in hard["suicide"]
    assert "0 / 0" in hard["gambling"]
