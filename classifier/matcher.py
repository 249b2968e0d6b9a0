"""Stage 1: find library phrases in a text, fast, through obfuscation, at original offsets.

One pyahocorasick automaton per library version holds every phrase key padded with boundary
spaces, so a whole-word match is a plain automaton match on the normalised view and no
boundary check runs in Python. A second automaton over run-collapsed keys is used only for the
rare texts that stretch letters (`diieee`).
"""
from __future__ import annotations

import re
import threading
from bisect import bisect_right
from collections import defaultdict
from itertools import accumulate
from typing import ClassVar, Sequence

import ahocorasick

from classifier.normalise import (ASCII_TABLE, RUN_MARKERS, Normalised, collapse_runs,
                                  Squeezed, TextMap, fix_bangs, fold, run_lengths, squeeze)
from classifier.phrases import PhraseLibrary
from classifier.records import PhraseMatch
from classifier.variants import L_LOOKALIKES, Key, _pad, base_views, keys_for

_RUN_MARKER = ("run",)
#: Joins a batch's texts: no key holds it, so no match crosses from one text to the next.
SEPARATOR = "\x01"
BATCH_GAP = f" {SEPARATOR} "
_SEPARATOR_RE = re.compile(SEPARATOR)


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
        for text, keys in grouped.items():
            self._main.add_word(text, tuple(keys))
        for marker in RUN_MARKERS:
            if marker not in grouped:
                self._main.add_word(marker, _RUN_MARKER)
        self._main.make_automaton()
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
        """`find` for a batch. The texts are normalised and matched as one string (kept apart
        by a separator no key contains), so that per-text Python work is paid only by the
        few texts that hold a hit."""
        if not texts:
            return []
        plain = list(map(str.isascii, texts))
        source = texts if all(plain) else [t if ok else "" for t, ok in zip(texts, plain)]
        view = SEPARATOR.join(source).encode("ascii").translate(ASCII_TABLE).decode("ascii")
        if "!" in view:
            view = fix_bangs(view)
        views = view.split(SEPARATOR)
        if len(views) != len(texts):  # a text held the separator itself: take it out
            cleaned = [t.replace(SEPARATOR, " ") for t in texts]
            assert not any(SEPARATOR in t for t in cleaned)
            return self.find_many(cleaned)
        bases: dict[int, Normalised] = {}
        for i, ok in enumerate(plain):
            if not ok:
                base = bases[i] = fold(texts[i])
                views[i] = base.text
        # Doubled separators would break a phrase: squeeze the texts that have them.
        squeezed = [squeeze(v) if "  " in v else v for v in views]
        batch = f" {BATCH_GAP.join(squeezed)} "
        offsets = list(accumulate(map(len, squeezed[:-1]), lambda a, n: a + n + len(BATCH_GAP),
                                  initial=1))

        found: dict[int, list[PhraseMatch]] = {}
        maps: dict[int, TextMap] = {}
        stretched: set[int] = set()
        for end, keys in self._main.iter(batch):
            if keys is _RUN_MARKER:
                stretched.add(bisect_right(offsets, end) - 1)
                continue
            k = bisect_right(offsets, end - keys[0].reach) - 1
            norm = maps.get(k)
            if norm is None:
                norm = maps[k] = self._mapped(views[k], squeezed[k], bases.get(k))
            local_end = end - offsets[k]
            for key in keys:
                start = local_end - key.reach
                stop = local_end + 1 - key.trail
                if key.lookalikes and not self._lookalikes_hold(texts[k], norm, start, key):
                    continue
                if key.lead and not key.trail:  # a stem: report the whole word it starts
                    words = norm.text
                    while stop < len(words) and words[stop] != " ":
                        stop += 1
                found.setdefault(k, []).append(self._match(key.phrase_index, norm, start, stop))
        for k in stretched:
            norm = maps.get(k) or self._mapped(views[k], squeezed[k], bases.get(k))
            found.setdefault(k, []).extend(self._find_stretched(norm))
        results: list[list[PhraseMatch]] = [[] for _ in texts]
        for k, hits in found.items():
            results[k] = resolve_overlaps(hits) if len(hits) > 1 else hits
        return results

    @staticmethod
    def _mapped(view: str, squeezed: str, base: Normalised | None) -> TextMap:
        """The squeezed view with its map to the original text (only built for a hit)."""
        base = base if base is not None else Normalised(view)
        if len(squeezed) == len(view):
            return base
        return Squeezed(view, squeezed, base)

    def _match(self, index: int, norm: TextMap, start: int, stop: int) -> PhraseMatch:
        phrase = self._phrases[index]
        o_start, o_end = norm.span(start, stop)
        return PhraseMatch(phrase.phrase, phrase.category, phrase.severity, o_start, o_end)

    @staticmethod
    def _lookalikes_hold(text: str, norm: TextMap, start: int, key: Key) -> bool:
        return all(text[norm.span(start + p, start + p + 1)[0]] in L_LOOKALIKES
                   for p in key.lookalikes)

    def _find_stretched(self, norm: TextMap) -> list[PhraseMatch]:
        collapsed, runs = collapse_runs(norm)
        padded = f" {collapsed.text} "
        found = []
        for end, entries in self._collapsed.iter(padded):
            for index, lead, trail, phrase_runs in entries:
                length = len(phrase_runs)
                start = end - (length + lead + trail) + 1 + lead - 1
                if all(runs[start + i] >= need for i, need in enumerate(phrase_runs)):
                    found.append(self._match(index, collapsed, start, start + length))
        return found


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
