"""Charts as plain geometry (bars, labels, grid lines) that a template draws as inline SVG; no JavaScript.

The functions are pure: numbers in, shapes out, so they are easy to test and the template escapes all text.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

SERIES_CLASSES = 8  # .series-0 … .series-7 in console.css


@dataclass(frozen=True)
class Bar:
    """A filled rectangle with a tooltip."""

    x: float
    y: float
    width: float
    height: float
    css_class: str
    title: str


@dataclass(frozen=True)
class Label:
    """A piece of text on the chart."""

    x: float
    y: float
    text: str
    anchor: str = "start"  # SVG text-anchor
    css_class: str = "label"


@dataclass(frozen=True)
class Line:
    """A grid line."""

    x1: float
    y1: float
    x2: float
    y2: float


@dataclass(frozen=True)
class Chart:
    """Everything a template needs to draw one chart, and its legend."""

    title: str
    width: int
    height: int
    bars: tuple[Bar, ...]
    labels: tuple[Label, ...]
    lines: tuple[Line, ...]
    legend: tuple[tuple[str, str], ...]  # (css class, name)

    @property
    def empty(self) -> bool:
        """Nothing to draw."""
        return not self.bars


def nice_ceiling(value: float) -> int:
    """The axis maximum: the value rounded up to 1, 2, 2.5 or 5 times a power of ten."""
    if value <= 0:
        return 1
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * power:
            return max(1, math.ceil(step * power))
    return math.ceil(value)


def series_class(index: int) -> str:
    """The CSS class that colours the index-th series."""
    return f"series-{index % SERIES_CLASSES}"


def stacked_columns(title: str, categories: list[str], series: list[tuple[str, list[int]]],
                    width: int = 760, height: int = 280) -> Chart:
    """Columns per category (e.g. week), each stacked from the series (e.g. clusters), with a y axis."""
    left, right, top, bottom = 44, 8, 12, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    totals = [sum(values[i] for _, values in series) for i in range(len(categories))]
    ceiling = nice_ceiling(max(totals, default=0))
    slot = plot_w / max(1, len(categories))
    column_w = slot * 0.7
    bars, labels, lines = [], [], []
    steps = next(n for n in (4, 5, 2, 1) if ceiling % n == 0)  # whole-number ticks: counts are whole
    for tick in range(steps + 1):
        value = ceiling * tick / steps
        y = top + plot_h - plot_h * tick / steps
        lines.append(Line(left, y, width - right, y))
        labels.append(Label(left - 6, y + 4, f"{value:g}", "end", "axis"))
    for i, category in enumerate(categories):
        x = left + slot * i + (slot - column_w) / 2
        base = top + plot_h
        for s, (name, values) in enumerate(series):
            if values[i] <= 0:
                continue
            h = plot_h * values[i] / ceiling
            base -= h
            bars.append(Bar(round(x, 1), round(base, 1), round(column_w, 1), round(h, 1), series_class(s),
                            f"{category}: {name} {values[i]}"))
        if len(categories) <= 16 or i % 2 == 0:
            labels.append(Label(round(x + column_w / 2, 1), height - bottom + 16, category, "middle", "axis"))
    legend = tuple((series_class(s), name) for s, (name, values) in enumerate(series) if any(values))
    return Chart(title, width, height, tuple(bars), tuple(labels), tuple(lines), legend)


def horizontal_bars(title: str, items: list[tuple[str, int]], width: int = 760, label_chars: int = 90) -> Chart:
    """One bar per item, longest first as given, with the item's text above its bar and the count after it."""
    row, top, left, right = 38, 6, 4, 48
    height = top + row * len(items) + 6
    ceiling = max((value for _, value in items), default=0) or 1
    plot_w = width - left - right
    bars, labels = [], []
    for i, (text, value) in enumerate(items):
        y = top + row * i
        short = text if len(text) <= label_chars else text[: label_chars - 1] + "…"
        labels.append(Label(left, y + 12, short))
        w = max(2.0, plot_w * value / ceiling)
        bars.append(Bar(left, y + 17, round(w, 1), 14, series_class(3), f"{text}: {value}"))
        labels.append(Label(round(left + w + 6, 1), y + 29, str(value), "start", "axis"))
    return Chart(title, width, max(height, 40), tuple(bars), tuple(labels), (), ())
