"""The library is the ceiling of the whole product: the model can only remove alerts.

`tests/data/holdout_lines.jsonl` was written apart from the library and the training corpus
(different author, different wording) to check that the keyword stage catches real pupils'
wording, including concerns phrased without the obvious keyword. `holdout_lines_2.jsonl` came
later from another author who never saw the library (about a third of its concerns without
the keyword); the library caught 86% of it, and the gaps it showed steered library release
2026.12.0, so both files now guard against regressions rather than estimate recall.

The `holdout_mix_*` sets mirror the evaluation mix (330 or 451 concerns, one in six without
the obvious keyword, plus innocent lines), each by an author who never saw the library.
`EVALUATION_MIX` records what the library caught of each when it was first measured, before
any of its misses steered a row: those are the honest estimates of recall on unseen text.
The nine 451-concern sets average 96.4% at their first measurement (2026.12.2-2026.12.4):
lines with the keyword 96-100%, lines without it 79-94%, because pupils describe a concern
in words nobody repeats. `pool_lines.jsonl` holds 5,610 concerns (about half without the
keyword) from seventeen more authors, written to find the situations the library missed;
their misses steered releases 2026.12.2-2026.12.4.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from classifier.matcher import Matcher
from classifier.phrases import PhraseLibrary
from classifier.taxonomy import CATEGORY_IDS

DATA = Path(__file__).resolve().parents[1] / "data"


def _read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


HOLDOUTS = {path.name: _read_jsonl(path) for path in sorted(DATA.glob("holdout_lines*.jsonl"))}
ROWS = [row for rows in HOLDOUTS.values() for row in rows]


@pytest.fixture(scope="module")
def library() -> PhraseLibrary:
    return PhraseLibrary.load()


@pytest.fixture(scope="module")
def matcher(library: PhraseLibrary) -> Matcher:
    return Matcher.for_library(library)


@pytest.mark.parametrize("holdout", sorted(HOLDOUTS))
def test_keyword_stage_catches_95_percent_of_genuine_concerns(matcher, holdout):
    genuine = [r for r in HOLDOUTS[holdout] if r["label"] != "none"]
    missed = [r["text"] for r in genuine if not matcher.find(r["text"])]
    recall = 1 - len(missed) / len(genuine)
    assert recall >= 0.95, f"recall {recall:.3f}; missed: {missed}"


@pytest.mark.parametrize("category", CATEGORY_IDS)
def test_every_category_has_genuine_lines_that_hit(matcher, category):
    lines = [r["text"] for r in ROWS if r["label"] == category]
    hit = [t for t in lines if matcher.find(t)]
    assert len(hit) >= 0.85 * len(lines), set(lines) - set(hit)


def test_innocent_uses_of_trigger_words_are_reported_for_the_model_to_judge(matcher):
    """Keyword products alert on these; we report the hit and let stage 2 suppress it."""
    innocent = [r["text"] for r in ROWS if r["label"] == "none"]
    assert sum(bool(matcher.find(t)) for t in innocent) >= len(innocent) // 2


# Recall on genuine concerns when each set was first measured (library version), before its
# misses steered any row: the honest estimates. Sets measured with an older release have
# steered rows since, so for them the test is only a floor.
EVALUATION_MIX = {
    "holdout_mix_3.jsonl": ("2026.12.0", 0.909),
    "holdout_mix_4.jsonl": ("2026.12.0", 0.873),
    "holdout_mix_5a.jsonl": ("2026.12.1", 0.961),
    "holdout_mix_5b.jsonl": ("2026.12.1", 0.909),
    "holdout_mix_5c.jsonl": ("2026.12.1", 0.921),
    "holdout_mix_5d.jsonl": ("2026.12.1", 0.927),
    "holdout_mix_5e.jsonl": ("2026.12.1", 0.955),
    "holdout_mix_5f.jsonl": ("2026.12.1", 0.955),
    "holdout_mix_5g.jsonl": ("2026.12.1", 0.938),
    "holdout_mix_5h.jsonl": ("2026.12.1", 0.942),
    "holdout_mix_5j.jsonl": ("2026.12.1", 0.921),
    "holdout_mix_5i.jsonl": ("2026.12.2", 0.986),
    "holdout_mix_5k.jsonl": ("2026.12.2", 0.973),
    "holdout_mix_5l.jsonl": ("2026.12.2", 0.953),
    "holdout_mix_5m.jsonl": ("2026.12.3", 0.962),
    "holdout_mix_5n.jsonl": ("2026.12.3", 0.973),
    "holdout_mix_5o.jsonl": ("2026.12.3", 0.946),
    "holdout_mix_5p.jsonl": ("2026.12.4", 0.966),
    "holdout_mix_5q.jsonl": ("2026.12.4", 0.951),
    "holdout_mix_5r.jsonl": ("2026.12.4", 0.964),
}
MIX_FLOOR = 0.97


def _recall(matcher: Matcher, rows: list[dict]) -> float:
    genuine = [r["text"] for r in rows if r["label"] != "none"]
    return sum(bool(hits) for hits in matcher.find_many(genuine)) / len(genuine)


@pytest.mark.parametrize("name", sorted(EVALUATION_MIX))
def test_evaluation_mix_sets_stay_above_the_floor(library, matcher, name):
    """A set first measured with the current release keeps at least what it caught then; an
    older one has steered rows since and must stay above the common floor."""
    version, clean = EVALUATION_MIX[name]
    floor = clean if version == library.base_version else max(clean, MIX_FLOOR)
    assert _recall(matcher, _read_jsonl(DATA / name)) >= floor


def test_every_evaluation_mix_set_has_a_recorded_clean_figure():
    assert set(EVALUATION_MIX) == {p.name for p in DATA.glob("holdout_mix_*.jsonl")}


POOL = _read_jsonl(DATA / "pool_lines.jsonl")


@pytest.mark.parametrize("author", sorted({r["author"] for r in POOL}))
def test_pool_lines_of_every_author_stay_caught(matcher, author):
    """Their misses steered 2026.12.2-2026.12.4: a row removed or a matcher rule broken shows
    here."""
    assert _recall(matcher, [r for r in POOL if r["author"] == author]) >= 0.97


EVERYDAY = [row["text"] for row in _read_jsonl(DATA / "everyday_lines.jsonl")]


def test_everyday_pupil_text_stays_mostly_quiet(matcher):
    """4,422 ordinary lines (chat, searches, homework, web pages, OCR'd screens) by three
    authors. Every hit uploads a screenshot for the model to judge, so rows that are ordinary
    talk cost privacy and review time: 13.6% of these lines hit with 2026.12.1 and 13.7% with
    2026.12.4. Rows were vetted against the first two authors' lines; on the third author's,
    never used for vetting, the 4,261 rows added since 2026.12.1 moved the rate from 14.4%
    to 14.5%."""
    hit = sum(bool(hits) for hits in matcher.find_many(EVERYDAY))
    assert hit / len(EVERYDAY) <= 0.15
