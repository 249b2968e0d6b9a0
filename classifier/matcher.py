"""Stage 1: find library phrases in a text, fast, through obfuscation, at original offsets.

One pyahocorasick automaton per library version holds every phrase key padded with boundary
spaces, so a whole-word match is a plain automaton match on the normalised view and no
boundary check runs in Python. A second automaton over run-collapsed keys is used only for the
rare texts that stretch letters (`diieee`).
"""
from __future__ import annotations

import threading
from collections import defaultdict
from typing import ClassVar

import ahocorasick

from classifier.normalise import (ASCII_TABLE, RUN_MARKERS, Normalised, collapse_runs,
                                  fix_bangs, fold, run_lengths)
from classifier.phrases import PhraseLibrary
from classifier.records import PhraseMatch
from classifier.variants import L_LOOKALIKES, Key, _pad, base_views, keys_for

_RUN_MARKER = ("run",)


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
        if text.isascii():  # the common case, kept free of Python-level work per character
            view = text.encode("ascii").translate(ASCII_TABLE).decode("ascii")
            if "!" in view:
                view = fix_bangs(view)
            norm = None
        else:
            norm = fold(text)
            view = norm.text
        found: list[PhraseMatch] = []
        stretched = False
        for end, keys in self._main.iter(f" {view} "):
            if keys is _RUN_MARKER:
                stretched = True
                continue
            if norm is None:
                norm = Normalised(view)
            for key in keys:
                start = end - len(key.text) + key.lead  # view index (padding removed)
                stop = end - key.trail                 # view index, exclusive
                if key.lookalikes and not self._lookalikes_hold(text, norm, start, key):
                    continue
                if key.lead and not key.trail:  # a stem: report the whole word it starts
                    while stop < len(view) and view[stop] != " ":
                        stop += 1
                found.append(self._match(key.phrase_index, norm, start, stop))
        if stretched:
            found.extend(self._find_stretched(norm if norm is not None else Normalised(view)))
        return resolve_overlaps(found) if found else found

    def _match(self, index: int, norm: Normalised, start: int, stop: int) -> PhraseMatch:
        phrase = self._phrases[index]
        o_start, o_end = norm.span(start, stop)
        return PhraseMatch(phrase.phrase, phrase.category, phrase.severity, o_start, o_end)

    @staticmethod
    def _lookalikes_hold(text: str, norm: Normalised, start: int, key: Key) -> bool:
        return all(text[norm.span(start + p, start + p + 1)[0]] in L_LOOKALIKES
                   for p in key.lookalikes)

    def _find_stretched(self, norm: Normalised) -> list[PhraseMatch]:
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
    """Within a category the leftmost-longest match wins; across categories both are kept,
    because the same words can be a concern of two kinds and the model judges each."""
    by_category: dict[str, list[PhraseMatch]] = defaultdict(list)
    for m in matches:
        by_category[m.category].append(m)
    kept: list[PhraseMatch] = []
    for group in by_category.values():
        group.sort(key=lambda m: (m.start, -(m.end - m.start), -m.severity))
        last_end = -1
        for m in group:
            if m.start >= last_end:
                kept.append(m)
                last_end = m.end
    kept.sort(key=lambda m: (m.start, m.end, m.category))
    return kept
