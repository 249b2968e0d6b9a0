"""Stage 1: find library phrases in a text, fast, through obfuscation, at original offsets.

One pyahocorasick automaton per library version holds every phrase key padded with boundary
spaces, so a whole-word match is a plain automaton match on the normalised view and no
boundary check runs in Python. A second automaton over run-collapsed keys is used only for the
rare texts that stretch letters (`diieee`).
"""
from __future__ import annotations

import threading
from bisect import bisect_right
from collections import defaultdict
from itertools import accumulate, compress, count, repeat
from operator import contains, not_
from typing import ClassVar, Sequence

import ahocorasick
import numpy as np

from classifier.normalise import (
    ASCII_TABLE,
    Normalised,
    TextMap,
    capital_i_misread,
    collapse_runs,
    fix_bangs_bytes,
    fold,
    fold_aligned,
    run_lengths,
)
from classifier.phrases import PhraseLibrary
from classifier.records import PhraseMatch
from classifier.variants import (
    FRAGMENTS,
    L_LOOKALIKES,
    Key,
    _pad,
    base_views,
    despaced_views,
    keys_for,
)

_FRAGMENT = ("fragment",)  # the automaton value of a two-letter piece that is not a word
#: Joins a batch's texts: no key holds it, so no match crosses from one text to the next.
SEPARATOR = "\x01"
BATCH_GAP = f" {SEPARATOR} "
_SPACE = ord(" ")
_GAP_AFTER = len(BATCH_GAP).__add__  # a text's length plus the gap that follows it
_A, _Z = ord("a"), ord("z")
_FREQUENCY_RANK = {c: i for i, c in enumerate(" etaoinshrdlcumwfgypbvkjxqz0123456789")}


def _by_letter_frequency(key: str) -> list[int]:
    return [_FREQUENCY_RANK.get(c, len(_FREQUENCY_RANK)) for c in key]


class Matcher:
    """Finds phrases of one library. Build it with `Matcher.for_library` (cached)."""

    _cache: ClassVar[dict[tuple, "Matcher"]] = {}
    _lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, library: PhraseLibrary) -> None:
        self.library = library
        self.version = library.version
        self._phrases = library.phrases
        self._main = ahocorasick.Automaton()
        grouped: dict[str, list[Key]] = defaultdict(list)
        for index, phrase in enumerate(self._phrases):
            for key in keys_for(phrase, index):
                grouped[key.text].append(key)
        # pyahocorasick scans a node's children in insertion order: insert so that common
        # letters come first at every node (a few per cent faster on every character).
        for text in sorted(grouped, key=_by_letter_frequency):
            self._main.add_word(text, tuple(grouped[text]))
        for fragment in FRAGMENTS:
            if f" {fragment} " not in grouped:
                self._main.add_word(f" {fragment} ", _FRAGMENT)
        self._main.make_automaton()
        self._despaced = ahocorasick.Automaton()
        despaced: dict[str, list[int]] = defaultdict(list)
        for index, phrase in enumerate(self._phrases):
            for view in despaced_views(phrase):
                despaced[view].append(index)
        for text, indexes in despaced.items():
            self._despaced.add_word(text, (len(text), tuple(indexes)))
        self._despaced.make_automaton()
        self._collapsed = ahocorasick.Automaton()
        collapsed: dict[str, list[tuple[int, int, int, tuple[int, ...]]]] = defaultdict(list)
        for index, phrase in enumerate(self._phrases):
            for view in base_views(phrase):
                letters, runs = run_lengths(view)
                text, lead, trail = _pad(letters, phrase.match)
                collapsed[text].append((index, lead, trail, tuple(runs)))
        for text, entries in collapsed.items():
            self._collapsed.add_word(text, tuple(entries))
        self._collapsed.make_automaton()

    @classmethod
    def for_library(cls, library: PhraseLibrary) -> "Matcher":
        """One automaton per library version (and content), built once per process."""
        cache_key = (library.version, hash(library.phrases))
        with cls._lock:
            matcher = cls._cache.get(cache_key)
            if matcher is None:
                matcher = cls._cache[cache_key] = cls(library)
            return matcher

    def find(self, text: str) -> list[PhraseMatch]:
        """Every phrase in `text`, overlaps resolved, offsets into `text`, ordered by start."""
        return self.find_many([text])[0]

    def find_many(self, texts: Sequence[str]) -> list[list[PhraseMatch]]:
        """`find` for a batch. The texts are normalised, squeezed and matched as one string
        (kept apart by a separator no key contains), all at C speed, and the hits are mapped
        back in one vectorised step, so that Python runs per hit, not per character or text."""
        if not texts:
            return []
        if any(map(contains, texts, repeat(SEPARATOR))):  # no text may hold the separator
            return self.find_many([t.replace(SEPARATOR, " ") for t in texts])
        batch = _Batch(texts)
        words = batch.text
        # Where each hit starts and ends in the batch string, and which phrase it is.
        firsts: list[int] = []
        lasts: list[int] = []
        keys_found: list[Key] = []
        fragments: list[int] = []
        for end, keys in self._main.iter(words):
            if keys is _FRAGMENT:
                # its last letter, not the space after it: that space may be the batch's
                # padding, which a text whose fold changed lengths has no map for
                fragments.append(end - 1)
                continue
            for key in keys:
                firsts.append(end - key.reach)
                # a stem reports the whole word it starts
                lasts.append(end - key.trail if key.trail or not key.lead
                             else words.find(" ", end) - 1)
                keys_found.append(key)
        found: dict[int, list[PhraseMatch]] = {}
        if keys_found:
            spans = batch.spans(firsts, lasts)
            for key, (k, start, end), first in zip(keys_found, spans, firsts):
                if key.lookalikes and not self._lookalikes_hold(batch, first, key):
                    continue
                found.setdefault(k, []).append(self._hit(key.phrase_index, start, end))
        stretched = batch.stretched  # where a letter repeats three times; one per text kept
        by_text = {k: index for (k, _, _), index in zip(batch.spans(stretched, stretched),
                                                        stretched)}
        for k, index in by_text.items():
            found.setdefault(k, []).extend(self._find_stretched(batch.segment(index)))
        for k in {k for k, _, _ in batch.spans(fragments, fragments)}:
            found.setdefault(k, []).extend(self._find_despaced(texts[k]))
        results: list[list[PhraseMatch]] = [[] for _ in texts]
        for k, hits in found.items():
            results[k] = resolve_overlaps(hits) if len(hits) > 1 else hits
        return results

    def _hit(self, index: int, start: int, end: int) -> PhraseMatch:
        """The match of phrase `index` at the original text's [start, end)."""
        phrase = self._phrases[index]
        return PhraseMatch(phrase.phrase, phrase.category, phrase.severity, start, end)

    @staticmethod
    def _lookalikes_hold(batch: "_Batch", first: int, key: Key) -> bool:
        """The positions where the key has `i` for an `l` show I, 1 or | in the original."""
        positions = [first + p for p in key.lookalikes]
        return all(batch.texts[k][start] in L_LOOKALIKES
                   for k, start, _ in batch.spans(positions, positions))

    def _find_despaced(self, text: str) -> list[PhraseMatch]:
        """Phrases in a text that OCR broke apart, read with every space removed. The hits
        that the spaced reading found already come back too; overlap resolution drops them."""
        base = fold(text)
        letters = [i for i, c in enumerate(base.text) if c != " "]
        despaced = "".join(base.text[i] for i in letters)
        # ... and once more with OCR's I, 1 and | read as `l` (`Iife`)
        as_l = "".join("l" if text[base.span(i, i + 1)[0]] in L_LOOKALIKES else c
                       for i, c in zip(letters, despaced))
        found = {}
        for reading in {despaced, as_l}:
            for end, (length, indexes) in self._despaced.iter(reading):
                o_start, o_end = base.span(letters[end - length + 1], letters[end] + 1)
                for index in indexes:
                    found[index, o_start] = self._hit(index, o_start, o_end)
        return list(found.values())

    def _find_stretched(self, norm: TextMap) -> list[PhraseMatch]:
        collapsed, runs = collapse_runs(norm)
        padded = f" {collapsed.text} "
        found = []
        for end, entries in self._collapsed.iter(padded):
            for index, lead, trail, phrase_runs in entries:
                length = len(phrase_runs)
                start = end - (length + lead + trail) + 1 + lead - 1
                if all(runs[start + i] >= need for i, need in enumerate(phrase_runs)):
                    found.append(self._hit(index, *collapsed.span(start, start + length)))
        return found


class _Batch:
    """A batch's texts as the one string the automaton reads, with the way back.

    The texts, joined by `BATCH_GAP`, are folded in one pass (`fold_aligned`; texts whose
    fold changes lengths are folded alone and keep their own map), padded with a space, and
    runs of separators are squeezed to one space (`18+ chat`, `kill, myself`, OCR's double
    spaces) with numpy. Only the positions of the removed spaces are kept: a hit's position
    is mapped back by counting the removals before it, for all of a batch's hits at once."""

    __slots__ = ("texts", "text", "stretched", "_removed", "_origins", "_bases")

    def __init__(self, texts: Sequence[str]) -> None:
        self.texts = texts
        self._bases: dict[int, Normalised] = {}
        lengths = list(map(len, texts))
        # ASCII texts are folded together by one C-level translation; the few others are
        # folded on their own and written over the spaces that stand in for them.
        others = list(compress(count(), map(not_, map(str.isascii, texts))))
        source = list(texts) if others else texts
        for k in others:
            source[k] = " " * lengths[k]
        raw = BATCH_GAP.join(source).encode("ascii")
        view = capital_i_misread(raw, raw.translate(ASCII_TABLE))
        if others:
            patched = bytearray(view)
            starts = list(accumulate(map(_GAP_AFTER, lengths[:-1]), initial=0))
            views: dict[int, str] = {}
            for k in others:
                aligned = fold_aligned(texts[k])
                if aligned is None:  # its fold changes lengths: it keeps its own map
                    base = self._bases[k] = fold(texts[k])
                    views[k] = base.text
                else:
                    patched[starts[k]:starts[k] + lengths[k]] = aligned.encode("ascii")
            view = bytes(patched)
            if views:
                decoded = view.decode("ascii")
                parts = [views[k] if k in views else decoded[s:s + n]
                         for k, (s, n) in enumerate(zip(starts, lengths))]
                lengths = list(map(len, parts))
                view = BATCH_GAP.join(parts).encode("utf-8")
        view = fix_bangs_bytes(view)
        # Where each text's view starts in the padded, unsqueezed string.
        self._origins = list(accumulate(map(_GAP_AFTER, lengths[:-1]), initial=1))
        padded = b" " + view + b" "
        if padded.isascii():
            chars = np.frombuffer(padded, dtype=np.uint8)
            encoding = "ascii"
        else:
            chars = np.frombuffer(padded.decode("utf-8").encode("utf-32-le"), dtype="<u4")
            encoding = "utf-32-le"
        space = chars == _SPACE
        removed = np.flatnonzero(space[1:] & space[:-1]) + 1  # a space after a space goes
        if len(removed):
            keep = np.ones(len(chars), dtype=bool)
            keep[removed] = False
            chars = chars[keep]
        self.text = chars.tobytes().decode(encoding)
        # Three of a letter in a row (`nooo`, `diieee`): those texts are matched again with
        # runs collapsed. Found here with numpy rather than by automaton keys such as `aaa`,
        # which would make the automaton step into a key on every letter of every text.
        pairs = chars[1:] == chars[:-1]
        runs = np.flatnonzero(pairs[1:] & pairs[:-1])
        runs = runs[(chars[runs] >= _A) & (chars[runs] <= _Z)]  # letters, not digits
        self.stretched: list[int] = runs.tolist()
        # removal i comes after `_removed[i]` kept characters
        self._removed = removed - np.arange(len(removed))

    def spans(self, firsts: list[int], lasts: list[int]) -> list[tuple[int, int, int]]:
        """(text index, original start, original end) for hits whose first and last
        characters sit at `firsts` and `lasts` of the squeezed string."""
        ends = np.asarray(firsts + lasts, dtype=np.int64)
        ends = (ends + np.searchsorted(self._removed, ends, side="right")).tolist()
        n = len(firsts)
        origins = self._origins
        out = []
        for first, last in zip(ends[:n], ends[n:]):
            k = bisect_right(origins, first) - 1
            start, end = first - origins[k], last + 1 - origins[k]
            base = self._bases.get(k)
            out.append((k, *base.span(start, end)) if base is not None else (k, start, end))
        return out

    def segment(self, index: int) -> Normalised:
        """The part of the squeezed string that holds its character at `index` (one text's),
        mapped to that text."""
        before = self.text.rfind(SEPARATOR, 0, index)
        first = before + 2 if before != -1 else 1
        last = self.text.find(SEPARATOR, index)
        last = max(first, (last if last != -1 else len(self.text)) - 1)
        positions = list(range(first, last))
        spans = self.spans(positions, positions)
        return Normalised(self.text[first:last], [s for _, s, _ in spans],
                          [e for _, _, e in spans])


def resolve_overlaps(matches: list[PhraseMatch]) -> list[PhraseMatch]:
    """Within a category the leftmost-longest match wins, unless a match it overlaps is more
    severe (a short mild phrase must not hide a serious one that starts a word later); across
    categories both are kept, because the same words can be a concern of two kinds and the
    model judges each."""
    by_category: dict[str, list[PhraseMatch]] = defaultdict(list)
    for m in matches:
        by_category[m.category].append(m)
    kept: list[PhraseMatch] = []
    for group in by_category.values():
        group.sort(key=lambda m: (m.start, -(m.end - m.start), -m.severity))
        chosen: list[PhraseMatch] = []
        for m in group:
            if not chosen or m.start >= chosen[-1].end:
                chosen.append(m)
            elif m.severity > chosen[-1].severity and m.end > chosen[-1].end:
                chosen.append(m)
        kept.extend(chosen)
    kept.sort(key=lambda m: (m.start, m.end, m.category))
    return kept
