"""The library is the ceiling of the whole product: the model can only remove alerts.

`tests/data/holdout_lines.jsonl` was written apart from the library and the training corpus
(different author, different wording) to check that the keyword stage catches real pupils'
wording, including concerns phrased without the obvious keyword.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from classifier.matcher import Matcher
from classifier.phrases import PhraseLibrary
from classifier.taxonomy import CATEGORY_IDS

HOLDOUT = Path(__file__).resolve().parents[1] / "data" / "holdout_lines.jsonl"
ROWS = [json.loads(line) for line in HOLDOUT.read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return Matcher.for_library(PhraseLibrary.load())


def test_keyword_stage_catches_95_percent_of_genuine_concerns(matcher):
    genuine = [r for r in ROWS if r["label"] != "none"]
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
