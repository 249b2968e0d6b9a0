"""Per-category alert thresholds, tuned on the dev split for the product's promise: catch the
genuine concerns first (recall target), then raise as few false alerts as possible.

The rule they feed is `classifier.onnx_model.decide`: a hit is filed under a category (its
phrase's, unless the model is much surer of another) and alerts when its concern score,
1 - p(none), reaches that category's threshold. So each category's threshold is tuned on the dev hits routed to it: the highest
threshold that still keeps `recall_target + recall_margin` of the genuine concerns among them
(false alerts only fall as a threshold rises). A category with too few dev concerns to tune on gets the
threshold tuned on all dev concerns together.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from classifier.onnx_model import DecisionRule, decide
from classifier.taxonomy import NONE
from training.config import ThresholdConfig

#: Fewer genuine dev concerns than this in a category: use the pooled threshold.
MIN_SUPPORT = 8
STEP = 0.01


def highest_threshold(scores: np.ndarray, target: float, grid: np.ndarray) -> float:
    """The highest grid value that keeps at least `target` of `scores` at or above it."""
    if scores.size == 0:
        return float(grid[0])
    keeps = [t for t in grid if (scores >= t).mean() >= target]
    return float(max(keeps)) if keeps else float(grid[0])


def tune_rule(probabilities: np.ndarray, truth: Sequence[str], phrase_categories: Sequence[str],
              labels: Sequence[str], config: ThresholdConfig) -> DecisionRule:
    """The decision rule for these dev probabilities: the configured category override and
    a threshold per category tuned as the module says."""
    target = min(config.recall_target + config.recall_margin, 1.0)
    grid = np.round(np.arange(config.floor, config.ceiling + STEP / 2, STEP), 4)
    provisional = DecisionRule({label: 0.0 for label in labels if label != NONE},
                               config.category_override)
    decisions = decide(probabilities, labels, provisional, phrase_categories)
    routed = np.array([d.category for d in decisions])
    scores = np.array([d.score for d in decisions])
    concern = np.array([t != NONE for t in truth])
    pooled = highest_threshold(scores[concern], target, grid)
    thresholds = {}
    for label in provisional.thresholds:
        mine = scores[concern & (routed == label)]
        thresholds[label] = (highest_threshold(mine, target, grid)
                             if mine.size >= MIN_SUPPORT else pooled)
    return DecisionRule(thresholds, config.category_override)
