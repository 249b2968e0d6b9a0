"""The library is the ceiling of the whole product: the model can only remove alerts.

`tests/data/holdout_lines.jsonl` was written apart from the library and the training corpus
(different author, different wording) to check that the keyword stage catches real pupils'
wording, including concerns phrased without the obvious keyword. `holdout_lines_2.jsonl` came
later from another author who never saw the library (about a third of its concerns without
the keyword); the library caught 86% of it, and the gaps it showed steered library release
2026.12.0, so both files now guard against regressions rather than estimate recall.

The `*_unmet` sets show where the keyword stage stands against the 95% target: lines with the
keyword are caught 97-99%, lines without it 58-80%. Short anchors written for indirect
wording (2026.12.1) caught 0-2 more of 30-45 fresh indirect lines per author: pupils describe
a concern in words nobody repeats, which a phrase list cannot enumerate.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from classifier.matcher import Matcher
from classifier.phrases import PhraseLibrary
from classifier.taxonomy import CATEGORY_IDS

DATA = Path(__file__).resolve().parents[1] / "data"
HOLDOUTS = {path.name: [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
            for path in sorted(DATA.glob("holdout_lines*.jsonl"))}
ROWS = [row for rows in HOLDOUTS.values() for row in rows]


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return Matcher.for_library(PhraseLibrary.load())


@pytest.mark.parametrize("holdout", sorted(HOLDOUTS))
def test_keyword_stage_catches_95_percent_of_genuine_concerns(matcher, holdout):
    genuine = [r for r in HOLDOUTS[holdout] if r["label"] != "none"]
    missed = [r["text"] for r in genuine if not matcher.find(r["text"])]
    recall = 1 - len(missed) / len(genuine)
    assert recall >= 0.95, f"recall {recall:.3f}; missed: {missed}"


@pytest.mark.parametrize("category", CATEGORY_IDS)
def test_every_category_has_genuine_lines_that_hit(matcher, category):
    lines = [r["text"] for r in ROWS if r["label"] == category]
    hit = [t for t in lines if matcher.find(t)]
    assert len(hit) >= 0.85 * len(lines), set(lines) - set(hit)


def test_innocent_uses_of_trigger_words_are_reported_for_the_model_to_judge(matcher):
    """Keyword products alert on these; we report the hit and let stage 2 suppress it."""
    innocent = [r["text"] for r in ROWS if r["label"] == "none"]
    assert sum(bool(matcher.find(t)) for t in innocent) >= len(innocent) // 2


UNMET_FLOORS = {
    # Each mirrors the evaluation mix (330 concerns, one in six without the obvious keyword;
    # 60 innocent lines) and was written by an author who never saw the library.
    # Library 2026.12.0 rounds 1-2 caught 90.9% of this one; it steered round 3 and the
    # despaced reading, and its themes steered 2026.12.1's anchors (now 97.6%).
    "holdout_3_unmet.jsonl": 0.97,
    # Written after round 3: 87.3% before round 4; its themes steered 2026.12.1 (now 97.6%).
    "holdout_4_unmet.jsonl": 0.97,
    # Written before 2026.12.1 and not shown to its authors: 93.6% and 89.7% before it,
    # 96.1% and 90.9% after. Their misses then steered rows (now 97.3%, 94.8%).
    "holdout_5a_unmet.jsonl": 0.97,
    "holdout_5b_unmet.jsonl": 0.94,
    # Written while 2026.12.1 was being built, and after it froze: measured clean at 92.1%
    # and 92.7% (97-98% of keyword lines, 62% and 73% of the rest). Their keyword-line
    # misses then got rows (now 93.6%, 95.2%).
    "holdout_5c_unmet.jsonl": 0.93,
    "holdout_5d_unmet.jsonl": 0.95,
}


@pytest.mark.parametrize("name", sorted(UNMET_FLOORS))
def test_unmet_holdouts_stay_above_their_floor(matcher, name):
    """The 95% target is not met on these yet: the floors only stop them slipping back."""
    rows = [json.loads(line) for line in (DATA / name).read_text(encoding="utf-8").splitlines()]
    genuine = [r["text"] for r in rows if r["label"] != "none"]
    assert sum(bool(matcher.find(t)) for t in genuine) / len(genuine) >= UNMET_FLOORS[name]
