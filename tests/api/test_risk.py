"""The risk formula, as a table: what outranks what, and why."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from api.risk import HALF_LIFE_HOURS, current_score, risk

NOW = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


def ago(hours: float) -> datetime:
    return NOW - timedelta(hours=hours)


#: (higher, lower, why): each as (probability, severity, hours ago)
OUTRANKS = [
    ((0.9, 5, 1), (0.9, 4, 1), "one severity step matters at equal confidence"),
    ((0.6, 5, 1), (0.99, 4, 1), "a likely severity 5 beats a certain severity 4"),
    ((0.9, 5, 24 * 6), (0.9, 4, 0), "a severity 5 stays above a fresh 4 for a week"),
    ((0.9, 4, 0), (0.9, 5, 24 * 8), "...but not for ever"),
    ((0.9, 3, 1), (0.9, 3, 48), "at equal risk, newer first"),
    ((0.9, 5, 1), (0.3, 5, 1), "the model's confidence counts"),
    ((1e-9, 5, 1), (0.0, 5, 1), "a zero probability still ranks (clamped), never crashes"),
]


@pytest.mark.parametrize("higher,lower,why", OUTRANKS, ids=[c[2] for c in OUTRANKS])
def test_outranks(higher, lower, why):
    hi, lo = (risk(p, s, ago(h)) for p, s, h in (higher, lower))
    assert hi.rank_key >= lo.rank_key
    assert current_score(hi.base, ago(higher[2]), NOW) >= current_score(lo.base, ago(lower[2]),
                                                                         NOW)


def test_rank_key_orders_exactly_as_the_score_now_does():
    cases = [(p, s, h) for p in (0.2, 0.5, 0.9) for s in (1, 3, 5) for h in (0, 5, 50, 500)]
    by_key = sorted(cases, key=lambda c: risk(c[0], c[1], ago(c[2])).rank_key)
    by_score = sorted(cases, key=lambda c: current_score(risk(c[0], c[1], ago(c[2])).base,
                                                         ago(c[2]), NOW))
    assert by_key == by_score


@pytest.mark.parametrize("hours,expected", [(0, 0.9), (HALF_LIFE_HOURS, 0.45),
                                            (2 * HALF_LIFE_HOURS, 0.225)])
def test_score_halves_each_week(hours, expected):
    base = risk(0.9, 5, ago(hours)).base
    assert current_score(base, ago(hours), NOW) == pytest.approx(expected)
