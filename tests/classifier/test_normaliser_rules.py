"""One case per normaliser rule: the obfuscation must still hit, at the original offsets."""
from __future__ import annotations

import pytest

from classifier.matcher import Matcher
from classifier.normalise import fold
from classifier.variants import inflections

# (rule, text, phrase that must hit, the original characters the hit must cover)
OBFUSCATIONS = [
    ("case", "I WANT TO DIE", "want to die", "WANT TO DIE"),
    ("nfkc fullwidth", "ｋｍｓ tbh", "kms", "ｋｍｓ"),
    ("accents", "ѕuícídal thoughts again", "suicid", "ѕuícídal"),
    ("cyrillic homoglyphs", "і wаnt tо dіе", "want to die", "wаnt tо dіе"),
    ("greek homoglyphs", "κms", "kms", "κms"),
    ("leet digits", "gonna k1ll mys3lf", "kill myself", "k1ll mys3lf"),
    ("leet symbols", "$uicide", "suicid", "$uicide"),
    ("leet bang inside a word", "k!ll myself!", "kill myself", "k!ll myself"),
    ("leet 8 for ate", "i h8 you", "hate you", "h8 you"),
    ("spaced letters", "k i l l myself", "kill", "k i l l"),
    ("dotted letters", "s.u.i.c.i.d.e", "suicid", "s.u.i.c.i.d"),
    ("stretched letters", "i want to diieee", "want to die", "want to diieee"),
    ("stretched double letter", "killlll myself", "kill myself", "killlll myself"),
    ("ocr capital I for l", "seIf harm", "self harm", "seIf harm"),
    ("ocr 1 for l", "se1f harm", "self harm", "se1f harm"),
    ("ocr rn for m", "seIf harrn", "self harm", "seIf harrn"),
    ("ocr zero for o", "kn1fe fight t0night", "knife", "kn1fe"),
    ("invisible characters", "su\u200bicide", "suicid", "su\u200bicide"),
    ("apostrophe dropped", "i dont want to live", "don't want to live", "dont want to live"),
    ("curly apostrophe", "i don’t want to live", "don't want to live", "don’t want to live"),
    ("line break inside a phrase", "i want to\ndie", "want to die", "want to\ndie"),
    ("repeated separators", "i want  to -- die", "want to die", "want  to -- die"),
    ("leading and doubled spaces", "   kill   myself", "kill myself", "kill   myself"),
    ("embedded in a hashtag", "#pornhubpremium", "pornhub", "pornhub"),
    ("inflection: past with a doubled consonant", "he got stabbed", "stab", "stabbed"),
    ("inflection: -ing", "stabbing someone", "stab", "stabbing"),
    ("inflection: plural", "knifes out", "knife", "knifes"),
    ("inflection: third person", "he plugs for them", "plug", "plugs"),
    ("a leading common verb in another form", "i just wanted to die", "want to die",
     "wanted to die"),
    ("a leading violent verb in another form", "on god im breaking his jaw", "break his jaw",
     "breaking his jaw"),
    ("ocr split word", "got some pin gers", "pingers", "pin gers"),
    ("ocr split stem", "sui cidal thoughts", "suicid", "sui cidal"),
    ("my self", "i will kill my self", "kill myself", "kill my self"),
    ("run together in a hashtag", "#wanttodie", "want to die", "wanttodie"),
    ("ocr breaks anywhere", "got some pi ngers", "pingers", "pi ngers"),
    ("ocr l for a capital I", "SUlClDE", "suicid", "SUlClDE"),
    ("ocr breaks several words", "se lf h a rm", "self harm", "se lf h a rm"),
    ("ocr leaves a lone letter", "sel f harm again", "self harm", "sel f harm"),
    ("ocr breaks and swaps I for l", "i will ki ll mys eIf", "kill myself", "ki ll mys eIf"),
    ("run together, and the word goes on", "killmyselfnow", "kill myself", "killmyselfnow"),
    ("an emoji is a word", "anyone got 🍃? tryna get lifted", "🍃", "🍃"),
    ("an emoji among emoji and letters", "had a🍃🍃😂 before form", "🍃", "🍃"),
    ("emoji with a variation selector", "who's got the 💊❄️ for sat", "💊❄️", "💊❄"),
]


@pytest.mark.parametrize("rule,text,phrase,covered", OBFUSCATIONS, ids=[o[0] for o in OBFUSCATIONS])
def test_obfuscation_still_hits_at_original_offsets(small_library, rule, text, phrase, covered):
    hits = [h for h in Matcher.for_library(small_library).find(text) if h.phrase == phrase]
    assert hits, f"{rule}: {text!r} should hit {phrase!r}"
    assert text[hits[0].start:hits[0].end] == covered


# Near misses that a careless normaliser would turn into hits.
NEAR_MISSES = [
    ("a real word differing by l/i", "i might fail the test", "fall"),
    ("lowercase i is not an OCR l", "seif harm", "self harm"),
    ("stem inside a word", "the cutting myselfie trend", "cutting myself"),
    ("whole words only", "skill myself up", "kill myself"),
    ("word inside a longer word", "unplugged the router", "plug"),
    ("a double letter the phrase lacks", "stabb", "stab"),
    ("an irregular ending is not an inflection", "stabby", "stab"),
    ("a first word is inflected only when it is a common verb", "kills myself", "kill myself"),
    ("a short phrase is not read with spaces removed", "a kn ife", "knife"),
    ("no two-letter piece, no despaced reading", "i want to kill mys elfish", "kill myself"),
    ("a lone letter that is a chat word is no OCR piece", "kill u myself", "kill myself"),
    ("a short phrase is not matched run together", "ihateyou", "hate you"),
    ("a run-together phrase must start a word", "omgkillmyself", "kill myself"),
    ("an l among capitals is read as I", "FAlL", "fall"),
    ("another emoji is another word", "a 🌿 in the garden", "🍃"),
    ("one emoji of a pair is not the pair", "snow ❄️ today", "💊❄️"),
]


@pytest.mark.parametrize("case,text,phrase", NEAR_MISSES, ids=[n[0] for n in NEAR_MISSES])
def test_near_misses_do_not_hit(small_library, case, text, phrase):
    assert phrase not in {h.phrase for h in Matcher.for_library(small_library).find(text)}


def test_fold_keeps_offsets_aligned_for_ascii_and_maps_back_otherwise():
    ascii_view = fold("Hello, W0rld!")
    assert ascii_view.starts is None and len(ascii_view.text) == len("Hello, W0rld!")
    text = "ﬁne su\u200bicide"
    view = fold(text)
    assert view.text.startswith("fine suicide")
    start = view.text.index("suicide")
    o_start, o_end = view.span(start, start + len("suicide"))
    assert text[o_start:o_end] == "su\u200bicide"


@pytest.mark.parametrize("word,forms", [
    ("casino", {"casinos", "casinoed", "casinoing"}),
    ("gamble", {"gambles", "gambled", "gambling"}),
    ("stab", {"stabs", "stabbed", "stabbing"}),
    ("scar", {"scars", "scarred", "scarring"}),  # not `scared`
    ("open", {"opens", "opened", "opening"}),    # two syllables: no doubling
    ("cry", {"cries", "cried", "crying"}),
    ("punch", {"punches", "punched", "punching"}),
    ("die", {"dies", "died", "dying"}),
    ("myself", set()), ("kms", set()), ("pingers", set()), ("u", set()),
])
def test_regular_inflections_of_a_last_word(word, forms):
    assert inflections(word) == forms
