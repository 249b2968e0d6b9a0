"""The shipped context model against the product's promise, on the frozen test split.

These load the real model (int8 ONNX, a few seconds) and the real phrase library; they skip
only when no model version ships yet. The bars are the issue's: recall of genuine concerns
at least 95%, false alerts on innocent hits cut by at least 80% against keywords-only, and
the category right on at least 85% of true alerts.
"""
from __future__ import annotations

import json

import pytest

from classifier.judge import KeywordJudge, load_judge
from classifier.onnx_model import MODEL_FILE, OnnxContextModel, newest_model_dir
from classifier.phrases import PhraseLibrary
from classifier.scan import Scanner
from training.config import load_config
from training.metrics import false_alert_cut, scan_verdicts, score_verdicts
from training.publish import load_dataset

SHIPPED = newest_model_dir()
pytestmark = pytest.mark.skipif(SHIPPED is None, reason="no context model ships yet")


@pytest.fixture(scope="module")
def model() -> OnnxContextModel:
    judge = load_judge(SHIPPED, threads=2)
    assert isinstance(judge, OnnxContextModel)
    return judge


@pytest.fixture(scope="module")
def test_figures(model):
    """Whole test-split texts through the scanner, with the model and keywords-only."""
    library = PhraseLibrary.load()
    rows = load_dataset(load_config(), library).rows("test")
    return (score_verdicts(rows, scan_verdicts(rows, library, model)),
            score_verdicts(rows, scan_verdicts(rows, library, KeywordJudge())))


def test_it_catches_at_least_95_percent_of_genuine_concerns(test_figures):
    figures, _ = test_figures
    assert figures["concerns"] > 500
    assert figures["concern_recall"] >= 0.95


def test_it_cuts_false_alerts_on_innocent_texts_by_at_least_80_percent(test_figures):
    figures, keywords = test_figures
    assert keywords["false_alerts"] == figures["innocent"] > 500
    assert false_alert_cut(figures, keywords) >= 0.80


def test_it_files_at_least_85_percent_of_true_alerts_in_the_right_category(test_figures):
    figures, _ = test_figures
    assert figures["category_accuracy_on_true_alerts"] >= 0.85


def test_the_artefact_is_small_and_its_card_matches_its_metrics():
    assert (SHIPPED / MODEL_FILE).stat().st_size <= 30_000_000
    metrics = json.loads((SHIPPED / "metrics.json").read_text())
    card = (SHIPPED / "MODEL_CARD.md").read_text()
    assert f"Shipped precision: **{metrics['export']['shipped']}**" in card
    assert metrics["fit"]["minutes"] <= 30


@pytest.fixture(scope="module")
def scanner(model) -> Scanner:
    return Scanner(judge=model)


# What a safeguarding lead would expect of it: the same trigger words, judged by their context.
@pytest.mark.parametrize("text, alert, category", [
    ("i just want to kill myself, i can't do this anymore", True, "suicide"),
    ("honestly everyone would be better off without me", True, "suicide"),
    ("if i fail this test i will literally kill myself lol jk", False, None),
    ("ive started to self harm again and i hide it under my sleeves", True, "self_harm"),
    ("Our PSHE lesson today was about how to help a friend who talks about self harm.",
     False, None),
    ("he said he is bringing a knife tomorrow to get me after school", True, "violence"),
    ("Dice the onions with a sharp knife and fry them gently.", False, None),
])
def test_canonical_cases(scanner, text, alert, category):
    result = scanner.scan(text)
    assert result.hits, "the phrase library should find a hit here"
    assert (result.alert, result.category) == (alert, category), result.to_dict(
        0, library_version="", model_version="")
