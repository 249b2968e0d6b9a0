"""The labelling interface is the taxonomy: every model label a choice, nothing else, and
what a pupil typed is shown as text, never run as markup."""
from __future__ import annotations

import pytest
from label_studio_sdk.label_interface import LabelInterface

from classifier.taxonomy import BY_ID, MODEL_LABELS
from training.labelstudio.interface import (
    AnnotationError,
    choice_result,
    chosen_label,
    labelling_config,
    marked_html,
)


def test_the_choices_are_the_model_labels_in_order():
    control = LabelInterface(labelling_config()).get_control("label")
    assert list(control.labels) == list(MODEL_LABELS)
    assert control.to_name == ["context"]


@pytest.mark.parametrize("label", ["suicide", "sexual_exploitation", "none"])
def test_a_labeller_sees_what_each_category_means(label):
    config = labelling_config()
    hint = "Innocent use" if label == "none" else BY_ID[label].description.split(",")[0]
    assert hint in config


@pytest.mark.parametrize("label", MODEL_LABELS)
def test_every_label_round_trips_through_a_result(label):
    result = choice_result(label)
    assert LabelInterface(labelling_config()).validate_prediction({"result": result})
    assert chosen_label(result) == label


@pytest.mark.parametrize("result, problem", [
    ([], "exactly one choice, found 0"),
    (None, "exactly one choice, found 0"),
    ([{"from_name": "label", "value": {"choices": ["suicide", "none"]}}], "found 2"),
    ([{"from_name": "label", "value": {"choices": ["radicalisation"]}}], "not a model label"),
    ([{"from_name": "other", "value": {"choices": ["suicide"]}}], "found 0"),
])
def test_an_annotation_that_is_not_one_known_label_is_refused(result, problem):
    with pytest.raises(AnnotationError, match=problem):
        chosen_label(result)


def test_an_unknown_label_cannot_be_predicted():
    with pytest.raises(AnnotationError):
        choice_result("radicalisation")


@pytest.mark.parametrize("context, start, end, shown", [
    ("i want to die tonight", 2, 13, "i <mark><b>want to die</b></mark> tonight"),
    ("<script>alert(1)</script> kms", 26, 29,
     "&lt;script&gt;alert(1)&lt;/script&gt; <mark><b>kms</b></mark>"),
    ("line one\nkill myself", 9, 20, "line one<br/><mark><b>kill myself</b></mark>"),
    ("a & b <i>knife</i>", 9, 14, "a &amp; b &lt;i&gt;<mark><b>knife</b></mark>&lt;/i&gt;"),
])
def test_the_hit_is_marked_and_the_text_escaped(context, start, end, shown):
    assert marked_html(context, start, end) == shown
