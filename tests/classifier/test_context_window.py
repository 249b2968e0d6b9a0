from __future__ import annotations

import pytest

from classifier.context import context_window


def window(text, phrase):
    start = text.index(phrase)
    ctx, s, e = context_window(text, start, start + len(phrase))
    assert ctx[s:e] == phrase
    return ctx


def test_short_sentence_is_widened_to_twenty_words_each_side():
    before = " ".join(f"b{i}" for i in range(30)) + ". "
    after = ". " + " ".join(f"a{i}" for i in range(30))
    ctx = window(before + "i cant anymore" + after, "cant")
    words = ctx.split()
    hit = words.index("cant")
    assert hit == 20 and len(words) - hit - 1 == 20
    assert words[0] == "b11" and words[-1] == "a18"


def test_long_sentence_is_kept_whole_within_the_cap():
    sentence = "so yeah " + "honestly " * 25 + "i want to die " + "really " * 25 + "ok."
    ctx = window("Unrelated intro. " + sentence + " Next topic here.", "want to die")
    assert ctx.startswith("so yeah") and ctx.endswith("ok.")


def test_window_is_capped_in_text_without_sentence_ends():
    ocr = "word " * 2000 + "kill myself " + "word " * 2000
    ctx = window(ocr, "kill myself")
    assert len(ctx) <= 2 * 400 + len("kill myself")


def test_window_never_cuts_a_word_in_half():
    text = ("x" * 395 + " ") * 3 + "knife" + (" " + "y" * 395) * 3
    ctx = window(text, "knife")
    assert set(ctx.replace("knife", "").split()) <= {"x" * 395, "y" * 395}


def test_hit_outside_text_is_an_error():
    with pytest.raises(ValueError):
        context_window("short", 3, 40)


def test_window_stays_on_the_hit_s_line():
    """OCR'd chat bubbles are lines: a neighbour's words must not colour the hit's."""
    screen = ("honestly nobody would miss me if I was gone\nMaths homework is due on Friday\n"
              "this homework is killing me lol")
    assert window(screen, "nobody would miss me") == "honestly nobody would miss me if I was gone"
    assert window(screen, "killing me") == "this homework is killing me lol"
