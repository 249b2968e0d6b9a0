"""Context windows: the words around a hit that the context model reads.

The sentence alone is often too short to judge ("i cant anymore"), and OCR text often has no
sentence ends at all, so the window is the hit's sentence widened to at least
`MIN_WORDS` words on each side and capped so that one hit in a long document stays small.
"""
from __future__ import annotations

import re

MIN_WORDS = 20
MAX_SIDE_CHARS = 400
_LOOKAROUND = 2000
_SENTENCE_END = re.compile(r"[.!?…](?=\s)|\n\s*\n|\n(?=[A-Z•\-*])")
_WORD = re.compile(r"\S+")


def context_window(text: str, start: int, end: int, *, min_words: int = MIN_WORDS,
                   max_side_chars: int = MAX_SIDE_CHARS) -> tuple[str, int, int]:
    """Return (context, start, end) with the hit's offsets inside the context."""
    if not 0 <= start < end <= len(text):
        raise ValueError(f"hit [{start}, {end}) lies outside a text of {len(text)} characters")
    lo = max(0, start - _LOOKAROUND)
    hi = min(len(text), end + _LOOKAROUND)
    left, right = text[lo:start], text[end:hi]

    ends_before = [m.end() for m in _SENTENCE_END.finditer(left)]
    sentence_start = lo + (ends_before[-1] if ends_before else 0)
    words_before = [m.start() for m in _WORD.finditer(left)]
    widened_start = lo + words_before[-min_words] if len(words_before) >= min_words else lo
    ctx_start = max(min(sentence_start, widened_start), start - max_side_chars)

    first_end = _SENTENCE_END.search(right)
    sentence_end = end + (first_end.end() if first_end else len(right))
    words_after = [m.end() for m in _WORD.finditer(right)]
    widened_end = end + words_after[min_words - 1] if len(words_after) >= min_words else hi
    ctx_end = min(max(sentence_end, widened_end), end + max_side_chars)

    # Never cut a word in half at either edge.
    while ctx_start > lo and ctx_start < start and not text[ctx_start - 1].isspace():
        ctx_start += 1
    while ctx_end < hi and ctx_end > end and not text[ctx_end].isspace():
        ctx_end -= 1
    while ctx_start < start and text[ctx_start].isspace():
        ctx_start += 1
    while ctx_end > end and text[ctx_end - 1].isspace():
        ctx_end -= 1
    return text[ctx_start:ctx_end], start - ctx_start, end - ctx_start
