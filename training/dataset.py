"""The training set, built from the seed corpus the way the scanner would see each hit.

Each seed row says: this text, this phrase, this label. The row's phrase is found again with
the real stage-1 matcher and its context cut with the real `context_window`, so the model
trains on exactly what it will be shown at run time (offsets, window edges and all). A row
whose phrase the matcher does not find is reported and dropped: it would teach the model a
hit the product never produces. About 10% of rows also get a noisy copy (OCR noise or
leetspeak) that the matcher still catches, in the same family and so the same split.

The scanner judges every hit in a text, not only the one a row was written for: "naked
women pics" also hits `women` and `pics`, "i want to kill myself" also hits `kill`. So every
other hit in a row's text becomes an example too, with the text's label: in an innocent text
every trigger word is innocent, and in a concerning one any hit may be the one that raises
the alert and must be filed under the text's category. Thresholds and figures use the row's
own hit and whole texts (`Dataset.rows`); training uses every hit.

Files are `<category>.jsonl`; any other name (e.g. `broad.jsonl`, for broad trigger words)
holds rows of mixed categories, each counted under its phrase's category.
"""
from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from classifier.context import context_window
from classifier.judge import ContextInput
from classifier.matcher import Matcher
from classifier.phrases import PhraseLibrary
from classifier.records import PhraseMatch
from classifier.taxonomy import CATEGORY_IDS, MODEL_LABELS, NONE
from training.augment import NOISES, noisy_variants
from training.splits import SPLITS, SplitManifest

SOURCES = ("chat", "search", "document", "web", "email")
ROW_FIELDS = ("family", "label", "source", "phrase", "text")


class SeedError(ValueError):
    """A seed file that cannot be read at all (not one bad row: those are reported)."""


@dataclass(frozen=True, slots=True)
class SeedRow:
    family: str
    label: str
    source: str
    phrase: str
    text: str
    file_category: str  # the seed file's category ("" for a mixed file)
    where: str          # file:line, for reports


@dataclass(frozen=True, slots=True)
class Example:
    """One hit in its context window, labelled, with its split."""

    family: str
    label: str
    source: str
    phrase: str           # the library phrase that hit
    phrase_category: str  # what stage 1 says; the judge may correct it
    file_category: str    # the category the row is counted under (hard negatives)
    text: str             # the whole text as scanned (noisy for a noisy copy)
    context: str
    start: int
    end: int
    split: str
    noise: str     # "" for a seed row, else the augmentation kind
    where: str
    primary: bool  # the hit the row was written for (False: another hit in its text)

    def as_input(self) -> ContextInput:
        return ContextInput(self.context, self.start, self.end, self.phrase_category)


@dataclass
class Dataset:
    examples: list[Example]
    dropped: list[str]   # why each dropped row was dropped
    families: set[str]

    def split(self, name: str) -> list[Example]:
        """Every hit of the split: what the model trains on."""
        return [e for e in self.examples if e.split == name]

    def rows(self, name: str) -> list[Example]:
        """One example per text (its row's own hit): what thresholds and figures use."""
        return [e for e in self.examples if e.split == name and e.primary]


def _clean(phrase: str) -> str:
    return " ".join(phrase.casefold().split())


def read_seed(seed_dir: Path) -> tuple[list[SeedRow], list[str]]:
    """Every valid row of every `<category>.jsonl`, and a message per row refused."""
    files = sorted(seed_dir.glob("*.jsonl"))
    if not files:
        raise SeedError(f"{seed_dir}: no seed files (<category>.jsonl)")
    rows: list[SeedRow] = []
    problems: list[str] = []
    for path in files:
        file_category = path.stem if path.stem in CATEGORY_IDS else ""
        with path.open(encoding="utf-8") as handle:
            for number, line in enumerate(handle, 1):
                if not line.strip():
                    continue
                where = f"{path.name}:{number}"
                row, problem = _parse_row(line, file_category, where)
                if problem:
                    problems.append(f"{where}: {problem}")
                else:
                    rows.append(row)
    return rows, problems


def _parse_row(line: str, file_category: str, where: str) -> tuple[SeedRow | None, str]:
    try:
        data = json.loads(line)
    except ValueError as exc:
        return None, f"not JSON ({exc.msg})"
    if not isinstance(data, dict):
        return None, "not a JSON object"
    missing = [f for f in ROW_FIELDS if not isinstance(data.get(f), str) or not data[f].strip()]
    if missing:
        return None, f"missing or empty field(s): {', '.join(missing)}"
    if data["label"] not in MODEL_LABELS:
        return None, f"label {data['label']!r} is not a category or {NONE!r}"
    if data["source"] not in SOURCES:
        return None, f"source {data['source']!r} is not one of {', '.join(SOURCES)}"
    return SeedRow(data["family"], data["label"], data["source"], data["phrase"], data["text"],
                   file_category, where), ""


def locate(matcher: Matcher, text: str, phrase: str, prefer_category: str
           ) -> PhraseMatch | None:
    """The matcher's hit for `phrase` in `text`: the first one, in the preferred category
    when the same phrase is listed under two."""
    wanted = _clean(phrase)
    hits = [m for m in matcher.find(text) if m.phrase == wanted]
    preferred = [m for m in hits if m.category == prefer_category]
    return (preferred or hits or [None])[0]


def _examples(matcher: Matcher, row: SeedRow, hit: PhraseMatch, text: str, split: str,
              noise: str) -> list[Example]:
    """The row's own hit first, then every other hit in its text, all with the row's label."""
    category = row.file_category or hit.category
    others = [m for m in matcher.find(text) if m != hit]
    out = []
    for match in (hit, *others):
        context, start, end = context_window(text, match.start, match.end)
        out.append(Example(row.family, row.label, row.source, match.phrase, match.category,
                           category, text, context, start, end, split, noise, row.where,
                           match is hit))
    return out


def _fraction(key: str) -> float:
    return int.from_bytes(hashlib.sha256(key.encode("utf-8")).digest()[:8], "big") / 2**64


def build_dataset(seed_dir: Path, manifest: SplitManifest, augment_fraction: float,
                  library: PhraseLibrary | None = None) -> Dataset:
    """Seed rows -> examples, noisy copies added, each with its family's split."""
    rows, dropped = read_seed(seed_dir)
    matcher = Matcher.for_library(library if library is not None else PhraseLibrary.load())
    examples: list[Example] = []
    for row in rows:
        hit = locate(matcher, row.text, row.phrase,
                     row.label if row.label != NONE else row.file_category)
        if hit is None:
            dropped.append(f"{row.where}: the matcher does not find {row.phrase!r} in the text")
            continue
        split = manifest.split_of(row.family)
        examples.extend(_examples(matcher, row, hit, row.text, split, ""))
        key = f"{row.family}\x1f{row.text}"
        if _fraction(key) < augment_fraction:
            kinds = sorted(NOISES)
            kind = kinds[int(_fraction("kind:" + key) * len(kinds))]
            examples.extend(_noisy_examples(matcher, row, hit, kind, key, split))
    return Dataset(examples, dropped, {row.family for row in rows})


def _noisy_examples(matcher: Matcher, row: SeedRow, hit: PhraseMatch, kind: str, key: str,
                    split: str) -> list[Example]:
    for text in noisy_variants(row.text, hit.start, hit.end, kind, key):
        found = locate(matcher, text, row.phrase, hit.category)
        if found is not None:
            return _examples(matcher, row, found, text, split, kind)
    return []


# --- the report ---------------------------------------------------------------------------------

def report(dataset: Dataset) -> Iterator[str]:
    """Texts per split x label, hard negatives per category, and drops: what a reviewer of
    the corpus checks before a model is trained on it."""
    rows = [e for e in dataset.examples if e.primary]
    counts = Counter((e.split, e.label) for e in rows)
    width = max(len(label) for label in MODEL_LABELS)
    yield "texts (seed rows and noisy copies) per split:"
    yield f"{'label':<{width}}  " + "  ".join(f"{s:>6}" for s in SPLITS) + "   total"
    for label in MODEL_LABELS:
        row = [counts[(s, label)] for s in SPLITS]
        yield f"{label:<{width}}  " + "  ".join(f"{n:>6}" for n in row) + f"  {sum(row):>6}"
    totals = [sum(counts[(s, label)] for label in MODEL_LABELS) for s in SPLITS]
    yield f"{'total':<{width}}  " + "  ".join(f"{n:>6}" for n in totals) + f"  {sum(totals):>6}"
    hits = Counter(e.split for e in dataset.examples)
    yield f"{'hits':<{width}}  " + "  ".join(f"{hits[s]:>6}" for s in SPLITS) + \
        f"  {sum(hits.values()):>6}   (every phrase hit in those texts: what the model trains on)"
    yield ""
    yield "hard negatives (innocent texts) per category:"
    for cat, (negatives, total) in hard_negatives(rows).items():
        share = negatives / total if total else 0.0
        flag = "" if share >= 0.40 else "   < 40%"
        yield f"  {cat:<{width}} {negatives:>5} / {total:<5} {share:6.1%}{flag}"
    noisy = sum(1 for e in rows if e.noise)
    yield ""
    yield (f"families: {len(dataset.families)}; noisy copies: {noisy} "
           f"({noisy / max(len(rows), 1):.1%} of texts); rows dropped: {len(dataset.dropped)}")
    for reason in dataset.dropped:
        yield f"  dropped {reason}"


def hard_negatives(rows: Iterable[Example]) -> dict[str, tuple[int, int]]:
    """(innocent texts, all texts) per category."""
    out = {cat: [0, 0] for cat in CATEGORY_IDS}
    for e in rows:
        out[e.file_category][1] += 1
        out[e.file_category][0] += e.label == NONE
    return {cat: (n, t) for cat, (n, t) in out.items()}
