"""The compare chart's geometry: a horizontal grouped bar chart, as data.

One group per metric, one bar per column, each metric scaled to its own largest
value, with the value at the bar's end and the column's label beside the bar. A
missing value (None, or not finite) has no bar and prints MISSING (an en dash).

Nothing here writes markup: templates/compare/_chart.svg draws a Chart, so every
label reaches the page through the template's escaping. Positions are SVG user
units (pixels at 1:1), rounded as the SVG prints them.

Pure: no Django, no I/O.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from chat.compare.metrics import is_number
from chat.figures import figure

WIDTH = 640
BAR_HEIGHT = 14
FONT_SIZE = 12
MISSING = "\u2013"  # an en dash: shown where a value is unknown

_HEADING = 20
_BAR_GAP = 4
_GROUP_GAP = 10
_CHAR_WIDTH = 7
_VALUE_WIDTH = 64


@dataclass(frozen=True)
class Text:
    x: float
    y: float
    text: str


@dataclass(frozen=True)
class Bar:
    column: int  # from 1: the stylesheet colours a bar by its `col-N` class
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class Row:
    """One column's line in a group: its label, its bar (None when unknown), its value."""

    label: Text
    bar: Bar | None
    value: Text


@dataclass(frozen=True)
class Group:
    heading: Text
    rows: list[Row]


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    font_size: int
    title: str
    groups: list[Group]


def layout(
    labels: Sequence[str],
    series: Sequence[tuple[str, str, Sequence[object]]],
    *,
    width: int = WIDTH,
    bar_height: int = BAR_HEIGHT,
) -> Chart:
    """Where every heading, label, bar and value goes.

    `series` holds (metric label, unit, one value per column). For labels "1"
    and "2" and the one series ("Total time", "s", [1.5, 3.0]), the group's
    heading reads "Total time (s)", column 2's bar fills the room and column 1's
    is half as long.
    """
    label_width = _CHAR_WIDTH * max((len(label) for label in labels), default=1) + 8
    label_width = min(label_width, width // 3)
    bar_room = max(width - label_width - _VALUE_WIDTH, 1)
    group_height = _HEADING + len(labels) * (bar_height + _BAR_GAP) + _GROUP_GAP
    title = "Compare: " + ", ".join(name for name, _, _ in series) if series else "Compare"
    groups = [
        _group(number * group_height, name, unit, values, labels, label_width, bar_room, bar_height)
        for number, (name, unit, values) in enumerate(series)
    ]
    height = max(len(series) * group_height, 1)
    return Chart(width, height, FONT_SIZE, title, groups)


def _group(
    top: int,
    name: str,
    unit: str,
    values: Sequence[object],
    labels: Sequence[str],
    bar_left: int,
    bar_room: int,
    bar_height: int,
) -> Group:
    heading = Text(0, top + _HEADING - 6, f"{name} ({unit})" if unit else name)
    scale = max((value for value in values if is_number(value)), default=0)
    rows = []
    for column, label in enumerate(labels):
        value = values[column] if column < len(values) else None
        y = top + _HEADING + column * (bar_height + _BAR_GAP)
        middle = _plain(y + bar_height / 2)
        name_text = Text(bar_left - 6, middle, label)
        if not is_number(value):
            rows.append(Row(name_text, None, Text(_tenths(bar_left + 4), middle, MISSING)))
            continue
        length = bar_room * value / scale if scale > 0 and value > 0 else 0
        bar = Bar(column + 1, bar_left, y, _tenths(length), bar_height)
        shown = Text(_tenths(bar_left + length + 4), middle, figure(value))
        rows.append(Row(name_text, bar, shown))
    return Group(heading, rows)


def _tenths(value: float) -> float:
    return round(float(value), 1)


def _plain(value: float) -> float:
    """A whole number without its ".0" (a bar's middle is one when its height is even)."""
    return int(value) if float(value).is_integer() else value
