"""The matcher's promises: boundaries, overlaps, offsets, one automaton per library version."""
from __future__ import annotations

import random

import pytest
from flashtext import KeywordProcessor

from classifier.matcher import Matcher
from classifier.phrases import MatchMode, Phrase, PhraseLibrary


def spans(library, text):
    return [(h.phrase, h.category, text[h.start:h.end]) for h in Matcher.for_library(library).find(text)]


def test_longest_phrase_wins_within_a_category(small_library):
    found = spans(small_library, "i want to kill myself")
    assert ("kill myself", "suicide", "kill myself") in found
    assert not any(p == "want to die" for p, _, _ in found)


def test_overlapping_phrases_of_different_categories_are_both_kept(small_library):
    found = spans(small_library, "i want to kill myself")
    assert {(p, c) for p, c, _ in found} == {("kill myself", "suicide"), ("kill", "violence")}


def test_repeated_phrase_is_reported_each_time(small_library):
    text = "loser loser loser"
    assert [s for _, _, s in spans(small_library, text)] == ["loser", "loser", "loser"]


def test_prefix_phrase_reports_the_whole_word(small_library):
    assert spans(small_library, "feeling suicidal tonight") == [("suicid", "suicide", "suicidal")]


def test_hits_are_ordered_and_point_into_the_original(small_library):
    text = "He said: EVERYONE HATES YOU.\nThen he pulled a KNIFE."
    hits = Matcher.for_library(small_library).find(text)
    # `hates you` (violence) overlaps the bullying phrase: both categories are kept.
    assert [text[h.start:h.end] for h in hits] == ["EVERYONE HATES YOU", "HATES YOU", "KNIFE"]
    assert [h.severity for h in hits] == [4, 2, 3]


def test_no_hits_in_innocent_everyday_text(small_library):
    assert spans(small_library, "See you at football practice on Tuesday, bring water.") == []


def test_matcher_is_built_once_per_library_version(small_library):
    assert Matcher.for_library(small_library) is Matcher.for_library(small_library)
    other = PhraseLibrary.build([Phrase("knife", "violence", 3)], "other.1")
    assert Matcher.for_library(other) is not Matcher.for_library(small_library)


def test_agrees_with_flashtext_on_plain_lowercase_text():
    """Where no normaliser rule applies, our hit set is flashtext's (per category, since
    flashtext keeps one of two overlapping phrases and we keep both categories). No phrase
    here starts with a verb the matcher inflects (`hates you` would be a rule applying)."""
    rng = random.Random(7)
    vocab = ("the a to and of you it is in that me my so was for on this with but just have "
             "not be are at like do we they what can all get if your no up know go out about "
             "one really how when time people want think school day knife plug kill myself "
             "hurt you want to die stab loser everyone hates").split()
    library = PhraseLibrary.build(
        [Phrase(p, c, 3) for p, c in [("kill myself", "suicide"), ("want to die", "suicide"),
                                      ("kill", "violence"), ("knife", "violence"),
                                      ("stab", "violence"), ("hurt you", "violence"),
                                      ("plug", "substance_misuse"), ("loser", "bullying"),
                                      ("everyone hates you", "bullying"),
                                      ("people want", "bullying")]], "agree.1")
    matcher = Matcher.for_library(library)
    for cat in {p.category for p in library.phrases}:
        kp = KeywordProcessor()
        for p in library.phrases:
            if p.category == cat:
                kp.add_keyword(p.phrase)
        for _ in range(300):
            text = " ".join(rng.choice(vocab) for _ in range(rng.randint(3, 30)))
            ours = [(h.start, h.end) for h in matcher.find(text) if h.category == cat]
            theirs = [(s, e) for _, s, e in kp.extract_keywords(text, span_info=True)]
            assert ours == theirs, text


@pytest.mark.parametrize("mode,text,hits", [
    (MatchMode.WORD, "a plug b", True), (MatchMode.WORD, "pluggy", False),
    (MatchMode.WORD, "unplugged", False),
    (MatchMode.WORD, "plugged", True),  # regular inflections of the last word are the word
    (MatchMode.PREFIX, "plugged", True), (MatchMode.PREFIX, "unplugged", False),
    (MatchMode.EMBEDDED, "unplugged", True),
])
def test_match_modes(mode, text, hits):
    library = PhraseLibrary.build([Phrase("plug", "substance_misuse", 2, mode)], f"m.{mode}")
    assert bool(Matcher.for_library(library).find(text)) is hits


def test_mild_phrase_does_not_hide_a_more_severe_overlapping_one():
    """Regression: 'ur dead' (3) hid 'dead after school' (4) in 'ur dead after school'."""
    library = PhraseLibrary.build([Phrase("ur dead", "violence", 3),
                                   Phrase("dead after school", "violence", 4)], "overlap.1")
    found = [h.phrase for h in Matcher.for_library(library).find("ur dead after school")]
    assert found == ["ur dead", "dead after school"]


def test_a_batch_finds_what_each_text_finds_alone(small_library):
    """Batched matching joins texts; no hit may cross from one text into the next."""
    texts = ["i want to kill", "myself tonight", "ѕuicide", "", "knife!", "  stab  ",
             "diieee want to diieee", "kill\x01myself", "loser", "i h8 you", "kms" * 3,
             "su\u200bicide at straße", "ｋｉｌｌ ｍｙｓｅｌｆ", "😭 i want to die 😭", "!!",
             "k!ll myself!! now", "!stab", "kill , . myself", "我想死 kill myself 我",
             "\n", "loser\nloser", "naïve café, want   to   die", "\u200b\u200b",
             "ﬁ kill myself"]
    matcher = Matcher.for_library(small_library)
    alone = [[(h.phrase, h.start, h.end) for h in Matcher.find_many(matcher, [t])[0]]
             for t in texts]
    batched = [[(h.phrase, h.start, h.end) for h in hits] for hits in matcher.find_many(texts)]
    assert batched == alone
    assert ("kill myself", 0, 14) not in batched[0] + batched[1]
    assert batched[4] == [("knife", 0, 5)] and batched[5] == [("stab", 2, 6)]
    for text, hits in zip(texts, batched):  # and each hit points at the original words
        for phrase, start, end in hits:
            if phrase in ("kill myself", "want to die", "stab"):
                shown = text[start:end].replace("\u200b", "")
                assert shown[0].lower() in "kwsｋ" and shown[-1].lower() in "fetbｆ", (text, shown)


def test_an_empty_batch_finds_nothing(small_library):
    """Regression: an empty batch split into one empty view and recursed for ever."""
    assert Matcher.for_library(small_library).find_many([]) == []
    assert Matcher.for_library(small_library).find_many([""]) == [[]]


@pytest.mark.parametrize("text", ["sel f harm \u200d ew", "🏳️\u200d🌈 ew", "café sel f harm ew"])
def test_an_ocr_piece_that_ends_a_refolded_text_is_read_despaced(small_library, text):
    """Regression: a two-letter piece at the very end of a text whose fold changed its length
    (an invisible joiner, an emoji, an accent) pointed past the text's map and raised."""
    hits = Matcher.for_library(small_library).find(text)
    assert [text[h.start:h.end] for h in hits] == (["sel f harm"] if "harm" in text else [])
