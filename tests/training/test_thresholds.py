"""The decision rule, its per-category thresholds, and the figures reported to staff."""
from __future__ import annotations

import numpy as np
import pytest

from classifier.judge import Verdict
from classifier.onnx_model import DecisionRule, decide
from classifier.taxonomy import MODEL_LABELS
from training.config import ThresholdConfig
from training.dataset import Example
from training.metrics import false_alert_cut, score_verdicts
from training.thresholds import MIN_SUPPORT, tune_rule

LABELS = MODEL_LABELS
NO_MARGIN = ThresholdConfig(recall_target=0.9, recall_margin=0.0, floor=0.05, ceiling=0.9,
                            category_override=5.0)


def probs(**named: float) -> np.ndarray:
    """One probability row; whatever is not named goes to `none`."""
    row = np.zeros(len(LABELS))
    for label, p in named.items():
        row[LABELS.index(label)] = p
    row[LABELS.index("none")] = 1 - sum(named.values())
    return row


RULE = DecisionRule({label: 0.5 for label in LABELS if label != "none"} | {"suicide": 0.2},
                    category_override=5.0)


@pytest.mark.parametrize("row, phrase_category, alert, category", [
    (probs(suicide=0.25), "suicide", True, "suicide"),     # low, but suicide's bar is 0.2
    (probs(bullying=0.45), "bullying", False, "bullying"),  # below bullying's 0.5
    (probs(bullying=0.55), "bullying", True, "bullying"),
    (probs(gambling=0.5), "gambling", True, "gambling"),    # the bar is reached at equality
    # concern split between two categories still counts in full (0.65)
    (probs(self_harm=0.3, suicide=0.35), "self_harm", True, "self_harm"),
    # the phrase's own category stands on a near tie...
    (probs(discrimination=0.5, bullying=0.4), "bullying", True, "bullying"),
    # ...and the model overrides it when it is five times surer: `kill` in a suicidal text
    (probs(suicide=0.9, violence=0.05), "violence", True, "suicide"),
    (probs(suicide=0.15, violence=0.01), "violence", False, "suicide"),
    (probs(), "bullying", False, "bullying"),               # all `none`
])
def test_the_concern_score_must_reach_the_threshold_of_the_hits_category(
        row, phrase_category, alert, category):
    (decision,) = decide(row[None, :], LABELS, RULE, [phrase_category])
    assert (decision.alert, decision.category) == (alert, category)
    assert decision.score == pytest.approx(1 - row[LABELS.index("none")])


def dev_set(scores_by_category: dict[str, list[float]], innocent: list[tuple[str, float]]):
    rows, truth, phrase_categories = [], [], []
    for cat, scores in scores_by_category.items():
        for s in scores:
            rows.append(probs(**{cat: s}))
            truth.append(cat)
            phrase_categories.append(cat)
    for cat, s in innocent:
        rows.append(probs(**{cat: s}))
        truth.append("none")
        phrase_categories.append(cat)
    return np.array(rows), truth, phrase_categories


def tune(p, truth, cats, config=NO_MARGIN) -> dict[str, float]:
    rule = tune_rule(p, truth, cats, LABELS, config)
    assert rule.category_override == config.category_override
    return rule.thresholds


def test_each_category_keeps_the_recall_target_at_the_highest_threshold():
    # 10 suicide concerns: keeping 90% allows one miss, so the threshold sits at the
    # second-lowest concern score (0.30); innocent hits above it are the price.
    suicide = [0.95, 0.9, 0.85, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.1]
    bullying = [0.9] * 8 + [0.7, 0.62]
    p, truth, cats = dev_set({"suicide": suicide, "bullying": bullying},
                             [("suicide", 0.2), ("bullying", 0.5)])
    t = tune(p, truth, cats)
    assert t["suicide"] == pytest.approx(0.30)
    assert t["bullying"] == pytest.approx(0.7)  # and the innocent 0.5 bullying hit is dropped
    alerts = [d.alert for d in decide(p, LABELS, DecisionRule(t), cats)]
    concern = [label != "none" for label in truth]
    assert sum(a and c for a, c in zip(alerts, concern)) / sum(concern) >= 0.9
    assert not any(a and not c for a, c in zip(alerts, concern))


def test_the_margin_buys_recall_on_dev():
    scores = [0.95, 0.9, 0.85, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.15]
    p, truth, cats = dev_set({"suicide": scores}, [])
    with_margin = ThresholdConfig(recall_target=0.9, recall_margin=0.1, floor=0.05, ceiling=0.9,
                                  category_override=5.0)
    assert tune(p, truth, cats, with_margin)["suicide"] == pytest.approx(0.15)


def test_a_category_with_too_few_dev_concerns_gets_the_pooled_threshold():
    p, truth, cats = dev_set({"suicide": [0.4] * 20, "gambling": [0.99] * (MIN_SUPPORT - 1)},
                             [])
    t = tune(p, truth, cats)
    assert t["gambling"] == t["extremism"] == pytest.approx(0.4)  # pooled, not 0.9


def test_thresholds_stay_between_floor_and_ceiling():
    p, truth, cats = dev_set({"suicide": [0.999] * 10, "violence": [0.01] * 10}, [])
    t = tune(p, truth, cats)
    assert t["suicide"] == pytest.approx(0.9) and t["violence"] == pytest.approx(0.05)


def example(label: str, source: str = "chat", file_category: str = "suicide") -> Example:
    return Example("f", label, source, "p", file_category, file_category, "ctx p", "ctx p", 4,
                   5, "test", "", "x:1", True)


def verdict(alert: bool, category: str | None) -> Verdict:
    return Verdict(alert, category, 0.9 if alert else 0.1, {}, "v")


def test_the_figures_a_safeguarding_lead_reads():
    cases = [  # (true label, alert?, category filed)
        ("suicide", True, "suicide"),
        ("suicide", True, "self_harm"),    # caught, wrong category
        ("suicide", False, None),          # missed
        ("self_harm", True, "self_harm"),
        ("none", True, "suicide"),         # false alert
        ("none", False, None),
        ("none", False, None),
        ("none", False, None),
    ]
    examples = [example(label) for label, _, _ in cases]
    model = score_verdicts(examples, [verdict(a, c) for _, a, c in cases])
    keywords = score_verdicts(examples, [verdict(True, "suicide") for _ in cases])
    assert model["concern_recall"] == pytest.approx(3 / 4)
    assert model["false_alerts"] == 1 and keywords["false_alerts"] == 4
    assert false_alert_cut(model, keywords) == pytest.approx(0.75)
    assert model["category_accuracy_on_true_alerts"] == pytest.approx(2 / 3)
    assert model["per_category"]["suicide"] == {
        "support": 3, "alerts": 2, "precision": 0.5, "recall": pytest.approx(1 / 3)}
    assert model["per_category"]["self_harm"]["precision"] == pytest.approx(0.5)
    assert model["per_category"]["gambling"]["precision"] is None
    assert model["innocent_false_alert_rate_by_phrase_category"]["suicide"] == 0.25
