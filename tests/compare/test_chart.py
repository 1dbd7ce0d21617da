"""Compare mode's chart: its geometry as data (chat/compare/chart.py), and the SVG the
template draws from it (templates/compare/_chart.svg)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from chat.compare import chart
from chat.compare.chart import MISSING
from chat.compare.results import chart_markup, render_chart

SVG = "{http://www.w3.org/2000/svg}"
SERIES = [("Total time", "s", [1.5, 3.0]), ("Answer speed", "tokens/s", [20, None])]


def chart_svg(labels, series, **kwargs) -> str:
    """The chart as the page shows it: the layout drawn by the template."""
    return chart_markup(chart.layout(labels, series, **kwargs))


def _chart(labels=("1", "2"), series=None, **kwargs) -> str:
    series = series or SERIES
    return chart_svg(list(labels), series, **kwargs)


def _elements(svg: str) -> list[ET.Element]:
    return list(ET.fromstring(svg).iter())


def test_the_chart_is_an_accessible_svg():
    svg = _chart()
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    assert "Total time" in root.get("aria-label")
    assert root.find(f"{SVG}title").text == root.get("aria-label")


def test_it_draws_one_bar_per_known_value_scaled_per_metric():
    svg = _chart(series=[("Total time", "s", [1.5, 3.0]), ("Answer speed", "tokens/s", [20, None])])
    bars = [e for e in _elements(svg) if e.tag == f"{SVG}rect"]
    assert [b.get("class") for b in bars] == ["bar col-1", "bar col-2", "bar col-1"]
    widths = [float(b.get("width")) for b in bars]
    assert widths[1] == widths[2]  # each metric's largest value fills the room
    assert widths[0] == pytest.approx(widths[1] / 2, abs=0.1)
    assert all(b.get("fill") is None for b in bars)  # colours come from the stylesheet


def test_it_prints_values_and_a_dash_for_missing_ones():
    texts = [e.text for e in _elements(_chart()) if e.tag == f"{SVG}text"]
    assert "Total time (s)" in texts
    assert "Answer speed (tokens/s)" in texts
    values = ["1.5", "3", "20", MISSING]
    assert [t for t in texts if t in values] == values
    assert texts.count("1") == 2  # the column label beside each metric's bar


def test_text_takes_the_page_colour():
    texts = [e for e in _elements(_chart()) if e.tag == f"{SVG}text"]
    assert texts
    assert all(t.get("fill") == "currentColor" for t in texts)


def test_the_chart_escapes_labels_and_stays_inert():
    attack = '<script>alert(1)</script>" onload="alert(2)'
    svg = _chart(labels=[attack, "2"], series=[(attack, attack, [1, 2])])
    assert "<script" not in svg
    assert "&lt;script&gt;" in svg
    assert "href" not in svg
    for element in _elements(svg):
        assert element.tag.removeprefix(SVG) not in ("script", "a", "foreignObject", "image")
        assert not [name for name in element.attrib if name.lower().startswith("on")]
    assert attack in [e.text for e in _elements(svg)]


def test_a_chart_of_zeros_or_nothing_still_renders():
    assert 'width="0.0"' in _chart(series=[("Cached tokens", "tokens", [0, 0])])
    ET.fromstring(chart_svg([], []))
    ET.fromstring(chart_svg(["1"], [("Total time", "s", [float("nan")])]))


# --- the geometry ---------------------------------------------------------------------------


def test_each_metric_is_a_group_with_a_row_per_column():
    layout = chart.layout(["1", "2"], SERIES)
    assert layout.title == "Compare: Total time, Answer speed"
    assert [group.heading.text for group in layout.groups] == [
        "Total time (s)",
        "Answer speed (tokens/s)",
    ]
    assert [[row.label.text for row in group.rows] for group in layout.groups] == [["1", "2"]] * 2
    # Groups stack without overlapping: the second starts below the first's last bar.
    first, second = layout.groups
    last_bar = first.rows[-1].bar
    assert last_bar is not None and second.heading.y > last_bar.y + last_bar.height
    assert layout.height > second.rows[-1].label.y


def test_bars_are_scaled_per_metric_and_the_values_sit_at_their_ends():
    layout = chart.layout(["1", "2"], SERIES)
    total, speed = layout.groups
    half, full = (row.bar for row in total.rows)
    assert half is not None and full is not None
    assert half.width == pytest.approx(full.width / 2, abs=0.1)
    assert speed.rows[0].bar is not None and speed.rows[0].bar.width == full.width
    assert [row.value.text for row in total.rows] == ["1.5", "3"]
    assert total.rows[1].value.x == pytest.approx(full.x + full.width + 4, abs=0.1)
    assert [bar.column for bar in (half, full)] == [1, 2]


@pytest.mark.parametrize("missing", [None, float("nan"), float("inf"), "3", True])
def test_a_value_that_is_not_a_figure_has_no_bar_and_a_dash(missing):
    (group,) = chart.layout(["1", "2"], [("Total time", "s", [missing, 2.0])]).groups
    assert group.rows[0].bar is None
    assert group.rows[0].value.text == MISSING
    assert group.rows[1].bar is not None


def test_a_short_series_leaves_the_last_columns_unknown():
    (group,) = chart.layout(["1", "2", "3"], [("Total time", "s", [1.0])]).groups
    assert [row.bar is None for row in group.rows] == [False, True, True]


def test_nothing_is_drawn_before_a_value_is_known():
    assert render_chart({"labels": ["1"], "series": [["Total time", "s", [None]]]}) == ""
    assert render_chart({}) == ""
    assert "compare-chart" in render_chart({"labels": ["1"], "series": [["T", "s", [1]]]})
