"""The phrase library: versioned CSV files per category, plus a school's overlay.

The library ships as data (`models/phrases/<category>.csv`, `library.toml` with its version,
a CHANGELOG) so that safeguarding staff can read and review it without reading code. A school
adapts it through an overlay that adds phrases and excludes others; every exclusion carries a
reason because a removed phrase is a concern nobody will see, and that choice must be
auditable.
"""
from __future__ import annotations

import csv
import hashlib
import json
import tomllib
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, Iterable, Mapping

import yaml

from classifier.normalise import is_emoji
from classifier.paths import phrases_dir
from classifier.taxonomy import CATEGORY_IDS, category, check_severity

CSV_COLUMNS = ("phrase", "severity", "match", "note")


class MatchMode(StrEnum):
    """How a phrase's ends must line up with word boundaries in the text."""

    WORD = "word"          # whole words at both ends (the default)
    PREFIX = "prefix"      # a stem: word boundary at the start only (`suicid` -> suicidal)
    EMBEDDED = "embedded"  # anywhere, even inside a word (hashtags, run-together words)


class PhraseLibraryError(ValueError):
    """A library or overlay file that cannot be used; the message names the file and row."""


@dataclass(frozen=True, slots=True)
class Phrase:
    phrase: str
    category: str
    severity: int
    match: MatchMode = MatchMode.WORD
    note: str = ""


@dataclass(frozen=True, slots=True)
class Exclusion:
    """A phrase a school switched off; `category` None means in every category."""

    phrase: str
    category: str | None
    reason: str


def _clean_phrase(raw: object, where: str) -> str:
    if not isinstance(raw, str) or not raw.strip():
        raise PhraseLibraryError(f"{where}: phrase must be a non-empty string")
    phrase = " ".join(raw.casefold().split())
    # one emoji is a whole coded word in chat (a leaf for cannabis, a pill); one letter is not
    if len(phrase) < 2 and not is_emoji(phrase):
        raise PhraseLibraryError(f"{where}: phrase {raw!r} is too short to match safely")
    return phrase


def _make_phrase(row: Mapping[str, Any], cat: str, where: str) -> Phrase:
    phrase = _clean_phrase(row.get("phrase"), where)
    try:
        category(cat)
        severity = row.get("severity")
        if isinstance(severity, str) and severity.strip().isdigit():
            severity = int(severity)
        severity = check_severity(severity)
        mode = MatchMode((row.get("match") or "word").strip())
    except ValueError as exc:
        raise PhraseLibraryError(f"{where}: {exc}") from None
    note = row.get("note") or ""
    if not isinstance(note, str):
        raise PhraseLibraryError(f"{where}: note must be text")
    return Phrase(phrase, cat, severity, mode, note.strip())


def read_category_file(path: Path) -> list[Phrase]:
    """Read one `<category>.csv`; the category is the file's name, so it cannot disagree."""
    cat = path.stem
    if cat not in CATEGORY_IDS:
        raise PhraseLibraryError(f"{path}: file name is not a category ({', '.join(CATEGORY_IDS)})")
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            if tuple(reader.fieldnames or ()) [:2] != CSV_COLUMNS[:2]:
                raise PhraseLibraryError(
                    f"{path}: header must be {','.join(CSV_COLUMNS)}, got {reader.fieldnames}")
            return [_make_phrase(row, cat, f"{path}:{reader.line_num}") for row in reader]
    except UnicodeDecodeError as exc:
        raise PhraseLibraryError(f"{path}: not UTF-8 ({exc.reason})") from None


def load_overlay(source: Path | str | Mapping[str, Any] | None
                 ) -> tuple[list[Phrase], list[Exclusion], dict[str, Any]]:
    """Validate a school overlay (a YAML file or an already-parsed dict)."""
    if source is None:
        return [], [], {"add": [], "exclude": []}
    where = "overlay"
    if isinstance(source, (str, Path)):
        where = str(source)
        try:
            data = yaml.safe_load(Path(source).read_text(encoding="utf-8")) or {}
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            raise PhraseLibraryError(f"{where}: cannot read overlay: {exc}") from None
    else:
        data = dict(source)
    if not isinstance(data, dict) or set(data) - {"add", "exclude"}:
        raise PhraseLibraryError(f"{where}: overlay must be a mapping with 'add' and/or 'exclude'")
    adds, excludes = data.get("add") or [], data.get("exclude") or []
    if not isinstance(adds, list) or not isinstance(excludes, list):
        raise PhraseLibraryError(f"{where}: 'add' and 'exclude' must be lists")
    added: list[Phrase] = []
    for i, row in enumerate(adds, 1):
        if not isinstance(row, dict) or "category" not in row:
            raise PhraseLibraryError(f"{where}: add #{i} needs phrase, category and severity")
        added.append(_make_phrase(row, str(row["category"]), f"{where}: add #{i}"))
    excluded: list[Exclusion] = []
    for i, row in enumerate(excludes, 1):
        if not isinstance(row, dict):
            raise PhraseLibraryError(f"{where}: exclude #{i} must be a mapping")
        reason = row.get("reason")
        if not isinstance(reason, str) or len(reason.strip()) < 3:
            raise PhraseLibraryError(
                f"{where}: exclude #{i} ({row.get('phrase')!r}) must give a reason: an "
                "exclusion hides concerns, so it is kept as an audit trail")
        cat = row.get("category")
        if cat is not None:
            try:
                category(cat)
            except ValueError as exc:
                raise PhraseLibraryError(f"{where}: exclude #{i}: {exc}") from None
        excluded.append(Exclusion(_clean_phrase(row.get("phrase"), f"{where}: exclude #{i}"),
                                  cat, reason.strip()))
    canonical = {"add": [_phrase_dict(p) for p in added],
                 "exclude": [{"phrase": e.phrase, "category": e.category, "reason": e.reason}
                             for e in excluded]}
    return added, excluded, canonical


def _phrase_dict(p: Phrase) -> dict[str, Any]:
    return {"phrase": p.phrase, "category": p.category, "severity": p.severity,
            "match": str(p.match), "note": p.note}


@dataclass(frozen=True)
class PhraseLibrary:
    """The phrases in force: the shipped library with a school's overlay applied."""

    phrases: tuple[Phrase, ...]
    base_version: str
    overlay: Mapping[str, Any]
    exclusions: tuple[Exclusion, ...] = ()

    @property
    def version(self) -> str:
        """Shipped version, plus a digest of the overlay so agents notice a changed overlay."""
        if not self.overlay.get("add") and not self.overlay.get("exclude"):
            return self.base_version
        digest = hashlib.sha256(json.dumps(self.overlay, sort_keys=True).encode()).hexdigest()
        return f"{self.base_version}+overlay.{digest[:10]}"

    @classmethod
    def load(cls, directory: Path | str | None = None,
             overlay: Path | str | Mapping[str, Any] | None = None) -> "PhraseLibrary":
        root = Path(directory) if directory is not None else phrases_dir()
        manifest = root / "library.toml"
        try:
            version = str(tomllib.loads(manifest.read_text(encoding="utf-8"))["version"])
        except (OSError, KeyError, tomllib.TOMLDecodeError) as exc:
            raise PhraseLibraryError(f"{manifest}: cannot read the library version: {exc}") from None
        files = sorted(root.glob("*.csv"))
        if not files:
            raise PhraseLibraryError(f"{root}: no phrase files (<category>.csv)")
        phrases: list[Phrase] = []
        for path in files:
            phrases.extend(read_category_file(path))
        added, excluded, canonical = load_overlay(overlay)
        return cls.build([*phrases, *added], version, canonical, excluded)

    @classmethod
    def build(cls, phrases: Iterable[Phrase], version: str,
              overlay: Mapping[str, Any] | None = None,
              exclusions: Iterable[Exclusion] = ()) -> "PhraseLibrary":
        """Apply exclusions and drop duplicates (a later entry for the same phrase and
        category wins, so an overlay can re-grade a shipped phrase's severity)."""
        excluded = tuple(exclusions)
        kept: dict[tuple[str, str], Phrase] = {}
        for p in phrases:
            if any(e.phrase == p.phrase and e.category in (None, p.category) for e in excluded):
                continue
            kept[(p.phrase, p.category)] = p
        return cls(tuple(kept.values()), version, dict(overlay or {"add": [], "exclude": []}),
                   excluded)

    def by_category(self) -> dict[str, int]:
        counts = {c: 0 for c in CATEGORY_IDS}
        for p in self.phrases:
            counts[p.category] += 1
        return counts
