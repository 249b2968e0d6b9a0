"""The automaton keys a phrase is matched by.

Obfuscations that would change a text's length on every line (OCR `rn` for `m`, `h8` for
`hate`, letters spelled out with spaces, apostrophes dropped, OCR `I`/`1` for `l`) are cheaper
to expand once on the phrase side than to undo on every text. Each key knows how far its
boundary padding reaches and which of its positions must hold an OCR look-alike in the
original text, so `fall` never matches the word `fail`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from itertools import combinations

from classifier.normalise import phrase_view
from classifier.phrases import MatchMode, Phrase

#: Original characters that OCR or leetspeak produce for a lowercase `l`.
L_LOOKALIKES = frozenset("I1|")
MAX_L_SWAPS = 3
#: OCR and hurried typing split a long word in two (`depre ssed`, `sui cide`, `my self`):
#: a one-word phrase this long gets a key per split point that leaves both parts this long.
SPLIT_MIN_WORD, SPLIT_MIN_PART = 6, 3
SPLIT_EXTRA = {"myself": "my self"}
#: Letters spelled out one by one (`k i l l`, `s.u.i.c.i.d.e`) are matched for phrases of up
#: to this many letters, as written (not inflected): longer ones are not typed that way.
SPELLED_MAX = 20
#: ... and run words together (`#killmyself`, `wanttodie`): a phrase of two or more words
#: also matches with its spaces dropped once it is this long, from the start of a word to
#: wherever that word ends. Not inside a word: keys that may start anywhere make the
#: automaton follow every letter of every text, which cost a tenth of the prefilter's speed.
MERGED_MIN = 8
#: OCR breaks words anywhere (`se lf h a rm`, `secr et`): a text with a two-letter piece
#: that is not a word (or a lone letter that is none) is also matched with its spaces
#: removed, against phrases at least this long without theirs (shorter ones would turn up
#: inside unrelated words).
DESPACED_MIN = 6
#: Two-letter words and chat forms that are not OCR fragments (`i ll`, `you re` come from
#: apostrophes).
SHORT_WORDS = frozenset(
    "ad ah am an as at aw be bf by da de do dr eh ex ez fr gf gg go ha he hi hm id if ig im "
    "in is it jk la ll lo ma me mm mr ms my nd no np of oh ok on or ow pa pc pm re rn so st "
    "th to tv ty uh uk um up ur us ve vs we xd ya ye yo".split())
#: ... and single letters that are no chat word either (`i f eel so a l one`, `a g e`): not
#: `a i u r n k x y b c o w`, nor the `m s t d` that a dropped apostrophe leaves (`i m`).
LONE_LETTERS = tuple("efghjlpqvz")
FRAGMENTS = tuple(a + b for a in "abcdefghijklmnopqrstuvwxyz" for b in "abcdefghijklmnopqrstuvwxyz"
                  if a + b not in SHORT_WORDS) + LONE_LETTERS
#: Splits and run-together forms are not made for broad triggers (severity 1): those are
#: single everyday words, and their split halves would fire on ordinary text.
VARIANT_MIN_SEVERITY = 2


@dataclass(frozen=True, slots=True)
class Key:
    """One automaton key for one phrase."""

    text: str                    # the key, boundary spaces included
    phrase_index: int
    lead: int                    # 1 when the key starts with a boundary space
    trail: int                   # 1 when it ends with one
    lookalikes: tuple[int, ...]  # positions (from the phrase start) that must be I, 1 or |
    reach: int = field(init=False)  # from the key's last character back to the phrase's first

    def __post_init__(self) -> None:
        object.__setattr__(self, "reach", len(self.text) - 1 - self.lead)


def _pad(view: str, mode: MatchMode) -> tuple[str, int, int]:
    if mode is MatchMode.WORD:
        return f" {view} ", 1, 1
    if mode is MatchMode.PREFIX:
        return f" {view}", 1, 0
    return view, 0, 0


#: Last words that are not inflected: pronouns and particles (`kill myself`, not `myselfs`).
UNINFLECTED = frozenset(
    "i me my mine myself you your yours yourself u ur he him his himself she her hers herself "
    "it its itself we us our ours ourselves they them their theirs themselves this that these "
    "those all now up out off on in down away again anymore here there too so not no yet".split())
_VOWELS = frozenset("aeiou")


def inflections(word: str) -> set[str]:
    """Regular English forms of a last word: plural or third person, past, -ing. Pupils
    write `casinos`, `plugs`, `stabbed`, `gambling`, while a library lists `casino`, `plug`,
    `stab`, `gamble`; irregular forms (`knives`) are written into the library itself."""
    if len(word) < 3 or not word.isalpha() or word in UNINFLECTED or word.endswith("s") \
            or (len(word) > 5 and word.endswith(("ed", "ing"))):
        return set()
    forms = set()
    stem_y = word[-1] == "y" and word[-2] not in _VOWELS
    if word.endswith(("x", "z", "ch", "sh")):
        forms.add(word + "es")
    elif stem_y:
        forms.update({word[:-1] + "ies", word[:-1] + "ied"})
    else:
        forms.add(word + "s")
    if word.endswith("ie"):
        forms.update({word + "d", word[:-2] + "ying"})
    elif word[-1] == "e":
        forms.update({word + "d", word[:-1] + "ing"})
    elif (len(word) <= 4 and word[-1] not in _VOWELS | {"w", "x", "y"}
          and word[-2] in _VOWELS and word[-3] not in _VOWELS
          and sum(c in _VOWELS for c in word) == 1):
        # one short stressed syllable doubles its last consonant (stab -> stabbed,
        # stabbing), and only then: `scar` must not find `scared`
        forms.update({word + word[-1] + "ed", word + word[-1] + "ing"})
    else:
        forms.update({word + "ing"} | (set() if stem_y else {word + "ed"}))
    return forms


#: The verbs that most often lead a phrase (`feel like a burden`, `want to disappear`, `get
#: him after school`, `break his jaw`), with the forms pupils write them in (`felt like a
#: burden`, `getting him after school`, `breaking his jaw`). Only these, and not for broad
#: triggers: inflecting every first word grew the automaton by a third for a third of a point
#: of recall; this list costs under a twentieth.
LEAD_VERB_FORMS: dict[str, tuple[str, ...]] = {
    "feel": ("feels", "feeling", "felt"), "want": ("wants", "wanting", "wanted"),
    "get": ("gets", "getting", "got"), "go": ("goes", "going", "went"),
    "make": ("makes", "making", "made"), "keep": ("keeps", "keeping", "kept"),
    "take": ("takes", "taking", "took"), "give": ("gives", "giving", "gave"),
    "send": ("sends", "sending", "sent"), "tell": ("tells", "telling", "told"),
    "hide": ("hides", "hiding", "hid"), "hate": ("hates", "hating", "hated"),
    "think": ("thinks", "thinking", "thought"), "meet": ("meets", "meeting", "met"),
    "leave": ("leaves", "leaving", "left"), "wish": ("wishes", "wishing", "wished"),
    "need": ("needs", "needing", "needed"), "try": ("tries", "trying", "tried"),
    "cry": ("cries", "crying", "cried"), "stop": ("stops", "stopping", "stopped"),
    "end": ("ends", "ending", "ended"), "put": ("puts", "putting"),
    "buy": ("buys", "buying", "bought"), "sell": ("sells", "selling", "sold"),
    "lose": ("loses", "losing", "lost"), "win": ("wins", "winning", "won"),
    "spread": ("spreads", "spreading"), "delete": ("deletes", "deleting", "deleted"),
    "cover": ("covers", "covering", "covered"), "say": ("says", "saying", "said"),
    "check": ("checks", "checking", "checked"), "pay": ("pays", "paying", "paid"),
    "find": ("finds", "finding", "found"), "watch": ("watches", "watching", "watched"),
    "pretend": ("pretends", "pretending", "pretended"), "ask": ("asks", "asking", "asked"),
    "bring": ("brings", "bringing", "brought"), "post": ("posts", "posting", "posted"),
    "share": ("shares", "sharing", "shared"), "pick": ("picks", "picking", "picked"),
    "come": ("comes", "coming", "came"), "look": ("looks", "looking", "looked"),
    "talk": ("talks", "talking", "talked"), "start": ("starts", "starting", "started"),
    "see": ("sees", "seeing", "saw"), "run": ("runs", "running", "ran"),
    "bet": ("bets", "betting"), "cut": ("cuts", "cutting"), "hurt": ("hurts", "hurting"),
    "block": ("blocks", "blocking", "blocked"), "add": ("adds", "adding", "added"),
    "break": ("breaks", "breaking", "broke"), "blank": ("blanks", "blanking", "blanked"),
    "freeze": ("freezes", "freezing", "froze"), "move": ("moves", "moving", "moved"),
    "carry": ("carries", "carrying", "carried"), "deal": ("deals", "dealing", "dealt"),
    "hit": ("hits", "hitting"), "punch": ("punches", "punching", "punched"),
    "kick": ("kicks", "kicking", "kicked"), "smash": ("smashes", "smashing", "smashed"),
    "beat": ("beats", "beating"), "throw": ("throws", "throwing", "threw"),
    "grab": ("grabs", "grabbing", "grabbed"), "shoot": ("shoots", "shooting", "shot"),
    "follow": ("follows", "following", "followed"), "film": ("films", "filming", "filmed"),
    "drop": ("drops", "dropping", "dropped"), "hold": ("holds", "holding", "held"),
    "lend": ("lends", "lending", "lent"), "borrow": ("borrows", "borrowing", "borrowed"),
    "owe": ("owes", "owing", "owed"), "drink": ("drinks", "drinking", "drank"),
    "smoke": ("smokes", "smoking", "smoked"), "fight": ("fights", "fighting", "fought"),
    "jump": ("jumps", "jumping", "jumped"), "ignore": ("ignores", "ignoring", "ignored"),
    "laugh": ("laughs", "laughing", "laughed"), "call": ("calls", "calling", "called"),
}


def base_views(phrase: Phrase) -> set[str]:
    """The phrase as written, without apostrophes (`dont` as well as `don't`), and, for a
    whole-word phrase, with its last word inflected or its leading verb in another form."""
    views = {phrase_view(phrase.phrase)}
    if "'" in phrase.phrase:
        views.add(phrase_view(phrase.phrase.replace("'", "")))
    if phrase.match is MatchMode.WORD:
        for view in list(views):  # a copy: the loop adds to `views`
            head, _, last = view.rpartition(" ")
            views.update(f"{head} {form}".lstrip() for form in inflections(last))
            first, _, rest = view.partition(" ")
            if rest and phrase.severity >= VARIANT_MIN_SEVERITY:
                views.update(f"{form} {rest}" for form in LEAD_VERB_FORMS.get(first, ()))
    return {v for v in views if v}


def split_forms(view: str) -> set[str]:
    """A one-word view split in two at every allowed point (`sui cide`); in a longer view,
    only the splits pupils write on purpose (`kill my self`). Splitting every word of every
    phrase would grow the automaton by a third for little: it is the single strong words
    that OCR noise must not hide."""
    words = view.split(" ")
    forms = set()
    for i, word in enumerate(words):
        splits = {word[:cut] + " " + word[cut:]
                  for cut in range(SPLIT_MIN_PART, len(word) - SPLIT_MIN_PART + 1)
                  } if len(words) == 1 and len(word) >= SPLIT_MIN_WORD and word.isalpha() \
            else set()
        if word in SPLIT_EXTRA:
            splits.add(SPLIT_EXTRA[word])
        forms.update(" ".join(words[:i] + [split] + words[i + 1:]) for split in splits)
    return forms


def despaced_views(phrase: Phrase) -> set[str]:
    """The phrase as written with its spaces removed, for texts that OCR broke apart."""
    if phrase.severity < VARIANT_MIN_SEVERITY or phrase.match is MatchMode.EMBEDDED:
        return set()
    views = {phrase_view(phrase.phrase), phrase_view(phrase.phrase.replace("'", ""))}
    return {v.replace(" ", "") for v in views if len(v.replace(" ", "")) >= DESPACED_MIN}


def keys_for(phrase: Phrase, index: int) -> list[Key]:
    forms: dict[str, tuple[int, ...]] = {}
    written = {phrase_view(phrase.phrase), phrase_view(phrase.phrase.replace("'", ""))}
    for view in base_views(phrase):
        # An inflected form gets one OCR slip at a time, not every combination: together
        # they would double the automaton, and a bigger automaton is slower on every text.
        as_written = view in written
        ocr_forms = {view, view.replace("m", "rn"), view.replace("ate", "8")} if as_written \
            else {view}
        for form in ocr_forms:
            forms.setdefault(form, ())
            l_positions = [i for i, c in enumerate(form) if c == "l"]
            if len(l_positions) <= MAX_L_SWAPS:
                for size in range(1, (len(l_positions) if as_written else 1) + 1):
                    for chosen in combinations(l_positions, size):
                        swapped = "".join("i" if i in chosen else c for i, c in enumerate(form))
                        forms.setdefault(swapped, chosen)
        letters = view.replace(" ", "")
        if 3 <= len(letters) <= SPELLED_MAX and as_written:
            forms.setdefault(" ".join(letters), ())
    keys = []
    if phrase.severity >= VARIANT_MIN_SEVERITY and phrase.match is not MatchMode.EMBEDDED:
        for view in written:
            for form in split_forms(view):
                forms.setdefault(form, ())
            merged = view.replace(" ", "")
            if " " in view and len(merged) >= MERGED_MIN and merged not in forms:
                keys.append(Key(" " + merged, index, 1, 0, ()))
    for form, lookalikes in forms.items():
        text, lead, trail = _pad(form, phrase.match)
        keys.append(Key(text, index, lead, trail, lookalikes))
    return keys
