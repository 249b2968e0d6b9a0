"""The queue's ranking: how worried to be about an incident, and in which order to show them."""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from classifier.taxonomy import SEVERITY_MAX

#: One step of phrase severity is worth this much age: an unreviewed severity-5 incident stays
#: above an equally probable severity-4 one for a week. Safeguarding leads asked for urgent
#: first, not newest first, but a queue that never lets new concerns rise is not read either.
HALF_LIFE_HOURS = 7 * 24
_HALF_LIFE_S = HALF_LIFE_HOURS * 3600
_MIN_PROBABILITY = 1e-6


@dataclass(frozen=True, slots=True)
class Risk:
    base: float      # probability x severity weight, in (0, 1]
    rank_key: float  # time-invariant sort key: larger is shown first


def risk(probability: float, severity: int, observed_at: datetime) -> Risk:
    """Risk = p(category) x 2^(severity - 5) x 2^(-age / one week).

    Why this shape:
    - The model's probability for the incident's category says how likely the words are a real
      concern; the phrase severity says how bad it is if they are. Multiplying them keeps a
      near-certain low-severity hit below a likely severity-5 one.
    - Severity is exponential (each step halves the weight) because severities are ordinal
      levels of harm, and a step must outweigh any difference in model confidence short of
      a factor of two.
    - Recency decays by half per week, so the same formula ranks fresh incidents above stale
      ones without ever letting age hide a severity-5 for long.
    The score at time `now` is base x 2^-((now - t)/H). Ordering by it for any fixed `now` is
    ordering by log2(base) + t/H, which does not change as time passes: that is `rank_key`,
    stored and indexed, so the queue pages with a cursor and needs no re-ranking job.
    """
    p = min(max(probability, _MIN_PROBABILITY), 1.0)
    base = p * 2.0 ** (severity - SEVERITY_MAX)
    return Risk(base=base, rank_key=math.log2(base) + observed_at.timestamp() / _HALF_LIFE_S)


def current_score(base: float, observed_at: datetime, now: datetime) -> float:
    """The risk shown to staff now: the stored base decayed by the incident's age."""
    age_s = max((now - observed_at).total_seconds(), 0.0)
    return base * 2.0 ** (-age_s / _HALF_LIFE_S)
