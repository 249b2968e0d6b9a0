"""Safeguard Monitor's classifier: the taxonomy, the phrase prefilter (stage 1) and the
context model (stage 2), joined in one scan pipeline. Agent, api and training import it;
it imports none of them, and never torch.

Import the pieces from their modules: `classifier.taxonomy`, `classifier.phrases`,
`classifier.matcher`, `classifier.context`, `classifier.judge`, `classifier.scan`,
`classifier.records`.
"""
from classifier.taxonomy import CATEGORIES, CATEGORY_IDS, MODEL_LABELS, NONE, category

__all__ = ["CATEGORIES", "CATEGORY_IDS", "MODEL_LABELS", "NONE", "category"]
