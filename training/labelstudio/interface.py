"""The Label Studio labelling interface, generated from the taxonomy.

One choice per model label (the eleven categories and `none`), with the category's
description as the hint, so a category added to `classifier.taxonomy` reaches the labellers
with the next push and never drifts from what the model emits. The hit is shown highlighted
inside its context; everything the labeller reads is HTML-escaped first.
"""
from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any
from xml.sax.saxutils import quoteattr

from classifier.taxonomy import BY_ID, MODEL_LABELS, NONE

FROM_NAME = "label"
TO_NAME = "context"
NONE_HINT = ("Innocent use of the trigger words: schoolwork, news, song lyrics, games, "
             "jokes with no sign of risk, support or prevention material.")

INSTRUCTIONS = """<p>Each task is a phrase from the safeguarding library found on a school
device, with the words around it. Decide what the <b>highlighted phrase</b> means <i>here</i>:
a genuine concern (pick its category) or innocent use (<b>none</b>).</p>
<p>The model's guess is filled in for you: correct it whenever it is wrong. The reviewer's
decision is shown for reference; if you disagree with it, label what you believe and the
data team will raise it with the DSL. Pupils and devices are pseudonyms; if a task makes you
worried about a child right now, tell the DSL straight away rather than only labelling it.</p>"""


class AnnotationError(ValueError):
    """An annotation whose result is not exactly one known label."""


def labelling_config() -> str:
    """The project's XML labelling config."""
    choices = "\n".join(
        f"    <Choice value={quoteattr(label)} hint={quoteattr(_hint(label))}/>"
        for label in MODEL_LABELS)
    return f"""<View>
  <Header value="What does the highlighted phrase mean here?"/>
  <HyperText name="{TO_NAME}" value="$html" inline="true"/>
  <View style="margin-top: 0.5em; color: #555">
    <Text name="about" value="$about"/>
  </View>
  <Choices name="{FROM_NAME}" toName="{TO_NAME}" choice="single-radio" required="true"
           requiredMessage="Pick a category, or none for innocent use" showInline="false">
{choices}
  </Choices>
</View>
"""


def _hint(label: str) -> str:
    if label == NONE:
        return NONE_HINT
    category = BY_ID[label]
    return f"{category.label}: {category.description}"


def marked_html(context: str, start: int, end: int) -> str:
    """The context as HTML with the hit in a <mark>; the text itself is escaped."""
    before, hit, after = context[:start], context[start:end], context[end:]
    return (f"{html.escape(before)}<mark><b>{html.escape(hit)}</b></mark>"
            f"{html.escape(after)}").replace("\n", "<br/>")


def choice_result(label: str) -> list[dict[str, Any]]:
    """An annotation or prediction result choosing `label`."""
    if label not in MODEL_LABELS:
        raise AnnotationError(f"{label!r} is not a model label")
    return [{"from_name": FROM_NAME, "to_name": TO_NAME, "type": "choices",
             "value": {"choices": [label]}}]


def chosen_label(result: Sequence[dict[str, Any]]) -> str:
    """The one label an annotation chose."""
    chosen = [c for item in result or () if item.get("from_name") == FROM_NAME
              for c in item.get("value", {}).get("choices", [])]
    if len(chosen) != 1:
        raise AnnotationError(f"expected exactly one choice, found {len(chosen)}")
    if chosen[0] not in MODEL_LABELS:
        raise AnnotationError(f"{chosen[0]!r} is not a model label (taxonomy changed?)")
    return chosen[0]
