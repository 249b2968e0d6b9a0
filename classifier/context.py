"""Context windows: the words around a hit that the context model reads.

The sentence alone is often too short to judge ("i cant anymore"), and OCR text often has no
sentence ends at all, so the window is the hit's sentence widened to at least
`MIN_WORDS` words on each side and capped so that one hit in a long document stays small.
The widening stops at a line break: a line is a chat message, an OCR'd bubble or a paragraph,
and the next pupil's "this homework is killing me lol" must not colour how "nobody would miss
me" reads.
"""
from __future__ import annotations

import re

MIN_WORDS = 20
MAX_SIDE_CHARS = 400
_SENTENCE_END = re.compile(r"[.!?…](?=\s)|\n\s*\n|\n(?=[A-Z•\-*])")


def _nth_word_start_from_end(text: str, n: int) -> int:
    """Where the n-th word from the end starts (0 when there are fewer). C-level splits, not
    a regex, because this runs for every hit."""
    parts = text.rsplit(None, n)
    if len(parts) <= n:
        return 0
    after_head = len(parts[0])
    return len(text) - len(text[after_head:].lstrip())


def _nth_word_end(text: str, n: int) -> int:
    """Where the n-th word ends (the text's length when there are fewer)."""
    parts = text.split(None, n)
    if len(parts) <= n:
        return len(text)
    return len(text[: len(text) - len(parts[n])].rstrip())


def context_window(text: str, start: int, end: int, *, min_words: int = MIN_WORDS,
                   max_side_chars: int = MAX_SIDE_CHARS) -> tuple[str, int, int]:
    """Return (context, start, end) with the hit's offsets inside the context."""
    if not 0 <= start < end <= len(text):
        raise ValueError(f"hit [{start}, {end}) lies outside a text of {len(text)} characters")
    # Nothing beyond the cap can enter the window, so nothing beyond it is read.
    lo = max(0, start - max_side_chars, text.rfind("\n", 0, start) + 1)
    line_end = text.find("\n", end)
    hi = min(len(text), end + max_side_chars, line_end if line_end != -1 else len(text))
    left, right = text[lo:start], text[end:hi]

    last_end = None
    for last_end in _SENTENCE_END.finditer(left):
        pass
    sentence_start = lo + (last_end.end() if last_end else 0)
    widened_start = lo + _nth_word_start_from_end(left, min_words)
    ctx_start = min(sentence_start, widened_start)

    first_end = _SENTENCE_END.search(right)
    sentence_end = end + (first_end.end() if first_end else len(right))
    widened_end = end + _nth_word_end(right, min_words)
    ctx_end = max(sentence_end, widened_end)

    # Never cut a word in half at either edge.
    while 0 < ctx_start < start and not text[ctx_start - 1].isspace():
        ctx_start += 1
    while end < ctx_end < len(text) and not text[ctx_end].isspace():
        ctx_end -= 1
    while ctx_start < start and text[ctx_start].isspace():
        ctx_start += 1
    while ctx_end > end and text[ctx_end - 1].isspace():
        ctx_end -= 1
    return text[ctx_start:ctx_end], start - ctx_start, end - ctx_start
