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
# A window never crosses a line break, so within it only punctuation ends a sentence.
_SENTENCE_END = re.compile(r"[.!?…](?=\s)")


def _window_start(left: str, min_words: int) -> int:
    """Where the window starts in `left`, the hit's line before it: the sentence's start or
    `min_words` words back, whichever is earlier. A short line is taken whole without any
    regex, which is most hits: this runs for every one."""
    parts = left.rsplit(None, min_words)
    if len(parts) <= min_words:
        return 0
    widened = len(left) - len(left[len(parts[0]):].lstrip())
    sentence = 0
    for sentence_end in _SENTENCE_END.finditer(left):
        sentence = sentence_end.end()
    return min(sentence, widened)


def _window_end(right: str, min_words: int) -> int:
    """Where the window ends in `right`, the hit's line after it: the sentence's end or
    `min_words` words on, whichever is later."""
    parts = right.split(None, min_words)
    if len(parts) <= min_words:
        return len(right)
    widened = len(right[: len(right) - len(parts[min_words])].rstrip())
    sentence_end = _SENTENCE_END.search(right)
    return max(sentence_end.end() if sentence_end else len(right), widened)


def context_window(text: str, start: int, end: int, *, min_words: int = MIN_WORDS,
                   max_side_chars: int = MAX_SIDE_CHARS) -> tuple[str, int, int]:
    """Return (context, start, end) with the hit's offsets inside the context."""
    if not 0 <= start < end <= len(text):
        raise ValueError(f"hit [{start}, {end}) lies outside a text of {len(text)} characters")
    # Nothing beyond the cap can enter the window, so nothing beyond it is read.
    lo = max(0, start - max_side_chars, text.rfind("\n", 0, start) + 1)
    line_end = text.find("\n", end)
    hi = min(len(text), end + max_side_chars, line_end if line_end != -1 else len(text))
    ctx_start = lo + _window_start(text[lo:start], min_words)
    ctx_end = end + _window_end(text[end:hi], min_words)

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
