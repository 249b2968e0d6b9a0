"""Small charts drawn as inline SVG on the server: no chart library, no script, no network.

The geometry is computed here (so it can be tested) and drawn by the macros in
`templates/_charts.html`. Every chart also offers its numbers as a table for screen readers.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from classifier.taxonomy import CATEGORY_IDS, NONE

#: One colour per category, the same on every chart (Okabe-Ito first: safe for colour-blind
#: readers), each with a text label beside it, so colour is never the only cue.
PALETTE: dict[str, str] = {
    "bullying": "#E69F00", "sexual_exploitation": "#CC79A7", "self_harm": "#D55E00",
    "suicide": "#7F1D1D", "emotional_distress": "#56B4E9", "discrimination": "#009E73",
    "extremism": "#0072B2", "violence": "#4B5563", "substance_misuse": "#C9B400",
    "adult_content": "#8E5FC0", "gambling": "#8C564B", NONE: "#94A3B8",
}
assert set(CATEGORY_IDS) <= set(PALETTE), "every category needs a colour"


def nice_ceiling(value: float) -> float:
    """The smallest 1, 2 or 5 x 10^k at or above `value`: axis tops people can read."""
    if value <= 0:
        return 1
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if value <= step * power:
            return step * power
    return 10 * power


@dataclass(frozen=True, slots=True)
class Rect:
    x: float
    y: float
    w: float
    h: float
    colour: str
    title: str


@dataclass(frozen=True, slots=True)
class Tick:
    y: float
    label: str


@dataclass(frozen=True, slots=True)
class ColumnLabel:
    x: float
    label: str


@dataclass
class StackedColumns:
    """Counts per category in consecutive periods (weeks), stacked."""

    width: int
    height: int
    plot_left: float
    plot_right: float
    plot_bottom: float
    rects: list[Rect] = field(default_factory=list)
    ticks: list[Tick] = field(default_factory=list)
    labels: list[ColumnLabel] = field(default_factory=list)
    legend: list[tuple[str, str]] = field(default_factory=list)
    table: list[tuple[str, list[int]]] = field(default_factory=list)  # the same, as numbers
    total: int = 0


def stacked_columns(columns: list[tuple[str, dict[str, int]]], *, width: int = 640,
                    height: int = 220, label_of=lambda c: c) -> StackedColumns:
    left, right, top, bottom = 40.0, 8.0, 10.0, 26.0
    plot_w, plot_h = width - left - right, height - top - bottom
    totals = [sum(counts.values()) for _, counts in columns]
    top_value = nice_ceiling(max(totals, default=0))
    chart = StackedColumns(width=width, height=height, plot_left=left,
                           plot_right=width - right, plot_bottom=top + plot_h,
                           total=sum(totals))
    # Counts are whole numbers: a half-way line only where it falls on one.
    fractions = (0, 0.5, 1) if float(top_value / 2).is_integer() else (0, 1)
    for fraction in fractions:
        chart.ticks.append(Tick(y=top + plot_h * (1 - fraction),
                                label=f"{top_value * fraction:g}"))
    slot = plot_w / max(len(columns), 1)
    bar_w = slot * 0.68
    present: list[str] = []
    for index, (label, counts) in enumerate(columns):
        x = left + slot * index + (slot - bar_w) / 2
        y = top + plot_h
        chart.labels.append(ColumnLabel(x=x + bar_w / 2, label=label))
        for category_id in (*CATEGORY_IDS, NONE):
            count = counts.get(category_id, 0)
            if not count:
                continue
            if category_id not in present:
                present.append(category_id)
            h = plot_h * count / top_value
            y -= h
            chart.rects.append(Rect(x=round(x, 2), y=round(y, 2), w=round(bar_w, 2),
                                    h=round(h, 2), colour=PALETTE[category_id],
                                    title=f"{label}: {label_of(category_id)}, {count}"))
    order = {c: i for i, c in enumerate((*CATEGORY_IDS, NONE))}
    present.sort(key=order.__getitem__)
    chart.legend = [(PALETTE[c], label_of(c)) for c in present]
    chart.table = [(label_of(c), [counts.get(c, 0) for _, counts in columns]) for c in present]
    return chart


@dataclass(frozen=True, slots=True)
class HBar:
    y: float
    w: float
    label: str
    value: str
    colour: str
    emphasised: bool


@dataclass
class HorizontalBars:
    width: int
    height: int
    label_width: int
    bar_area: int
    row_height: int
    bars: list[HBar] = field(default_factory=list)


def score_bars(scores: dict[str, float], *, highlight: str | None = None, width: int = 440,
               row_height: int = 20, label_of=lambda c: c) -> HorizontalBars:
    """The model's probability per category, largest first; the incident's own is bold."""
    label_width, value_width = 210, 44
    bar_area = width - label_width - value_width
    ordered = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))
    chart = HorizontalBars(width=width, height=row_height * len(ordered) + 4,
                           label_width=label_width, bar_area=bar_area, row_height=row_height)
    for index, (category_id, probability) in enumerate(ordered):
        p = min(max(float(probability), 0.0), 1.0)
        chart.bars.append(HBar(y=index * row_height + 2, w=round(bar_area * p, 2),
                               label=label_of(category_id), value=f"{p * 100:.0f}%",
                               colour=PALETTE.get(category_id, PALETTE[NONE]),
                               emphasised=category_id == highlight))
    return chart
