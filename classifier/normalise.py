"""Text normalisation for the phrase prefilter, with a map back to the original offsets.

Pupils (and OCR) write `k1ll`, `$uicide`, `ѕuicide` (Cyrillic s), `s.u.i.c.i.d.e`,
`diieee`, `seIf harm`. Matching must see through all of that, yet every hit must point at
the characters that are really on the screen, because a reviewer sees them highlighted.

Speed matters as much: the prefilter reads every word on every screen. So the common case is
a single C-level translation that keeps lengths (one character in, one out, offsets are the
identity), and only texts that need a length-changing rule pay for a Python pass that records
where each character came from. Rules that would change lengths on every text are expressed
as extra phrase keys instead (see `classifier.variants`).
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Protocol

import numpy as np

# ---------------------------------------------------------------------------------------------
# One character in, one character out: case, leetspeak and OCR look-alikes, and every other
# non-alphanumeric character becomes a space (the word separator the phrase keys are padded
# with). '!' is left alone here: inside a word it is a leet `i` (`k!ll`), after a word it is
# punctuation (`help me!`), which only a look at its neighbours can tell.
LEET = {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "$": "s", "@": "a",
        "|": "i"}
_ASCII = bytearray(b" " * 256)
for _b in range(256):
    _c = chr(_b)
    if _c.isascii() and _c.isalnum():
        _ASCII[_b] = ord(_c.lower())
for _k, _v in LEET.items():
    _ASCII[ord(_k)] = ord(_v)
_ASCII[ord("!")] = ord("!")
_ASCII[1] = 1  # the matcher's batch separator passes through untouched
ASCII_TABLE = bytes(_ASCII)

# Letters from other scripts that look like Latin ones and are used to dodge filters.
HOMOGLYPHS = {
    "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p",
    "с": "c", "т": "t", "у": "y", "х": "x", "ѕ": "s", "і": "i", "ї": "i", "ј": "j", "ԁ": "d",
    "ɡ": "g", "һ": "h", "ӏ": "l", "ԛ": "q", "ԝ": "w", "ո": "n", "ս": "u", "ց": "g",
    "α": "a", "β": "b", "ε": "e", "η": "n", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p",
    "τ": "t", "υ": "u", "χ": "x", "ω": "w", "ѵ": "v", "ı": "i", "ł": "l", "ø": "o", "ß": "ss",
    "æ": "ae", "œ": "oe", "đ": "d", "ħ": "h", "ŧ": "t",
}
_ELL, _CAP_A, _ZERO, _NINE = ord("l"), ord("A"), ord("0"), ord("9")
# Invisible characters that split a word without showing: `su\u200bicide`.
_INVISIBLE = {0x00AD, 0x034F, 0x180E, 0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF}


# Pupils code drugs, weapons and adult content in emoji (a leaf, a pill, a snowflake): each
# emoji or pictograph reads as a word of its own that no one types, so that a library phrase
# can be one emoji (or several) and match with whole-word boundaries. Symbols below the
# arrows block (currency, ©, °) stay separators.
_FIRST_EMOJI = 0x2190


def is_emoji(ch: str) -> bool:
    """A character that reads as a word of its own (see `symbol_word`)."""
    return ord(ch) >= _FIRST_EMOJI and unicodedata.category(ch) == "So"


def symbol_word(cp: int) -> str:
    """The word an emoji reads as: `zz` and its code point in the letters g-v, space-padded."""
    return " zz" + "".join(chr(ord("g") + int(d, 16)) for d in f"{cp:x}") + " "


class _FoldTable(dict):
    """A `str.translate` table for non-ASCII text, filled lazily one code point at a time:
    NFKC compatibility forms (fullwidth, ligatures, styled letters), accents dropped,
    casefolded, homoglyphs mapped. Values are strings (possibly longer or empty)."""

    def __missing__(self, cp: int) -> str:
        ch = chr(cp)
        if cp < 128:
            out = chr(ASCII_TABLE[cp])
        elif cp in _INVISIBLE or unicodedata.category(ch) in ("Mn", "Me", "Cf"):
            out = ""
        elif is_emoji(ch):
            out = symbol_word(cp)
        else:
            low = ch.lower()
            out = HOMOGLYPHS.get(low) or HOMOGLYPHS.get(ch)
            if out is None:
                decomposed = unicodedata.normalize("NFKD", ch)
                stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
                folded = stripped.casefold()
                pieces = []
                for c in folded:
                    if c.isascii():
                        pieces.append(chr(ASCII_TABLE[ord(c)]))
                    elif c.isalnum():
                        pieces.append(HOMOGLYPHS.get(c, c))
                    else:
                        pieces.append(" ")
                out = "".join(pieces) or " "
        self[cp] = out
        return out


FOLD_TABLE = _FoldTable()

# Starts with a literal `!` (not `!+`), so that the regex engine jumps from one `!` to the
# next at C speed instead of trying every position: ten times faster on chat text.
_BANG_BEFORE_LETTER = re.compile(r"!!*(?=[a-z])")


def fix_bangs(view: str) -> str:
    """`k!ll` is `kill`, but `help me!` ends a sentence."""
    def in_word(m: re.Match[str]) -> str:
        inside = m.start() > 0 and view[m.start() - 1].isalpha()
        return ("i" if inside else " ") * (m.end() - m.start())

    return _BANG_BEFORE_LETTER.sub(in_word, view).replace("!", " ")


_BANG_BEFORE_LETTER_BYTES = re.compile(rb"!(?=[a-z])")


def fix_bangs_bytes(view: bytes) -> bytes:
    """`fix_bangs` for a UTF-8 view. Nearly every `!` is punctuation, so the common case is
    one C-level replace; only a view with a `!` before a letter takes the regex."""
    if b"!" not in view:
        return view
    if _BANG_BEFORE_LETTER_BYTES.search(view):
        return fix_bangs(view.decode("utf-8")).encode("utf-8")
    return view.replace(b"!", b" ")


@dataclass(frozen=True, slots=True)
class Normalised:
    """A normalised view of a text. `starts[i]`/`ends[i]` give the original characters that
    view character i came from; both are None when the view is aligned one-to-one."""

    text: str
    starts: list[int] | None = None
    ends: list[int] | None = None

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Original [start, end) of the view's [start, end)."""
        if self.starts is None or self.ends is None:
            return start, end
        return self.starts[start], self.ends[end - 1]


def capital_i_misread(raw: bytes, view: bytes) -> bytes:
    """In capitals, a lowercase `l` between capitals or digits is an `I` that OCR (or a
    filter-dodger) wrote as `l`: `CASlN0 B0NUS`, `SPlNS`. Read it as `i`; one numpy pass
    finds the few candidates, so ordinary text pays almost nothing."""
    chars = np.frombuffer(raw, dtype=np.uint8)
    capital = (chars - _CAP_A) < 26  # uint8 arithmetic wraps: one test for A-Z
    ells = np.flatnonzero(capital[:-2] & (chars[1:-1] == _ELL)) + 1
    if not len(ells):
        return view
    after = chars[ells + 1]
    misread = ells[capital[ells + 1] | ((after >= _ZERO) & (after <= _NINE))]
    if not len(misread):
        return view
    patched = np.frombuffer(view, dtype=np.uint8).copy()
    patched[misread] = ord("i")
    return patched.tobytes()


_NON_ASCII = re.compile(r"[^\x00-\x7f]")


def fold_aligned(text: str) -> str | None:
    """The folded view of `text` when every character folds to exactly one ASCII character,
    so that offsets need no map (nearly every text: accents, curly quotes, emoji,
    homoglyphs); None otherwise. ASCII is translated as bytes in one C call, and only the
    non-ASCII characters are looked up one by one."""
    raw = text.encode("ascii", "replace")  # one '?' per code point
    view = capital_i_misread(raw, raw.translate(ASCII_TABLE))
    if not text.isascii():
        patched = bytearray(view)
        for m in _NON_ASCII.finditer(text):
            out = FOLD_TABLE[ord(m.group())]
            if len(out) != 1 or not out.isascii():
                return None
            patched[m.start()] = ord(out)
        view = bytes(patched)
    return fix_bangs_bytes(view).decode("ascii")


def fold(text: str) -> Normalised:
    """Case, compatibility forms, accents, homoglyphs, leetspeak, separators."""
    aligned = fold_aligned(text)
    if aligned is not None:
        return Normalised(aligned)
    pieces: list[str] = []
    starts: list[int] = []
    for i, ch in enumerate(text):
        out = FOLD_TABLE[ord(ch)]
        pieces.append(out)
        starts.extend([i] * len(out))
    view = fix_bangs("".join(pieces))
    return Normalised(view, starts, [s + 1 for s in starts])


def phrase_view(phrase: str) -> str:
    """The view of a library phrase: the same fold as texts, single-spaced."""
    return " ".join(fold(phrase).text.split())


class TextMap(Protocol):
    """A view of a text (`text`) that can map its [start, end) back to the original."""

    text: str

    def span(self, start: int, end: int) -> tuple[int, int]: ...


_RUN = re.compile(r"([a-z])\1+")


def collapse_runs(norm: TextMap) -> tuple[Normalised, list[int]]:
    """Each run of one letter becomes one letter. Returns the collapsed view (mapped to the
    original text) and the run length behind each collapsed character."""
    pieces: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    runs: list[int] = []
    pos = 0
    text = norm.text
    for m in _RUN.finditer(text):
        for i in range(pos, m.start()):
            pieces.append(text[i]); starts.append(i); ends.append(i + 1); runs.append(1)
        pieces.append(m.group(1)); starts.append(m.start()); ends.append(m.end())
        runs.append(m.end() - m.start())
        pos = m.end()
    for i in range(pos, len(text)):
        pieces.append(text[i]); starts.append(i); ends.append(i + 1); runs.append(1)
    o_starts = [norm.span(s, s + 1)[0] for s in starts]
    o_ends = [norm.span(e - 1, e)[1] for e in ends]
    return Normalised("".join(pieces), o_starts, o_ends), runs


def run_lengths(view: str) -> tuple[str, list[int]]:
    """A phrase view's letters with runs collapsed, and each run's length."""
    letters: list[str] = []
    runs: list[int] = []
    for ch in view:
        if letters and letters[-1] == ch and ch.isalpha():
            runs[-1] += 1
        else:
            letters.append(ch)
            runs.append(1)
    return "".join(letters), runs
