"""What a comparison's pages show: its columns with their runs, the summary table, the
chart, and the runs a person can diff.

The page and its socket (ComparisonConsumer) render the same partials from
`page_context`, so the first render and the stream never drift. The figures come from
chat/compare/metrics.py, the chart's geometry from chat/compare/chart.py (drawn by
templates/compare/_chart.svg).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TypedDict, cast

from django.conf import settings
from django.template.loader import render_to_string
from django.utils.safestring import SafeString

from chat import textdiff
from chat.compare import chart, grid, metrics
from chat.compare.metrics import Spread, Summary
from chat.compare.runs import ACTIVE
from chat.conversations import cards
from chat.figures import figure
from chat.models import Comparison, ComparisonRun, Message
from chat.pricing import cost, prices
from chat.pricing.cost import Total

# The chart's metrics, in this order; every key is one of metrics.METRICS.
CHART_METRICS: tuple[metrics.MetricKey, ...] = (
    "first_reasoning_s",
    "first_answer_s",
    "total_s",
    "answer_tps",
)
CHART_LABEL_CHARS = 28
CHART_TEMPLATE = "compare/_chart.svg"

# (metric label, unit, one mean per column): a share snapshot keeps it as JSON, where
# the tuple comes back as a list.
ChartSeries = tuple[str, str, list[float | None]]


class ChartData(TypedDict):
    labels: list[str]
    series: list[ChartSeries]


@dataclass
class RunView:
    run: ComparisonRun
    message: Message
    label: str
    card: dict[str, object]
    metrics: metrics.RunMetrics
    # What it cost at the operator's prices; None: unknown.
    amount: Decimal | None = None

    @property
    def active(self) -> bool:
        return self.message.status in ACTIVE


@dataclass
class ColumnView:
    index: int
    settings: dict[str, object]
    differences: list[tuple[str, str]]
    # What sets it apart from the other columns (grid.column_labels): "Temperature 0.2".
    name: str = ""
    runs: list[RunView] = field(default_factory=list)
    summary: Summary | None = None
    # What its finished runs cost at the operator's prices (none while any runs).
    spent: Total | None = None

    @property
    def number(self) -> int:
        return self.index + 1

    @property
    def label(self) -> str:
        return f"Column {self.number}"

    @property
    def title(self) -> str:
        """ "Column 1: Temperature 0.2": its number and its name, where both are needed."""
        return f"{self.label}: {self.name}"

    @property
    def active(self) -> bool:
        return any(run.active for run in self.runs)

    @property
    def cost(self) -> str:
        """ "$0.0042", "unknown", "at least $0.0042 (1 unknown)"; "" while it runs."""
        return "" if self.spent is None else cost.total_text(self.spent, prices.currency())

    @property
    def json_mode(self) -> bool:
        return self.settings.get("response_format") == "json_object"

    @property
    def status(self) -> str:
        """ "2 streaming, 1 queued" while it runs; "2 complete" after."""
        counts: dict[str, int] = {}
        for run in self.runs:
            counts[run.message.status] = counts.get(run.message.status, 0) + 1
        return ", ".join(f"{count} {status}" for status, count in counts.items())

    @property
    def short_label(self) -> str:
        text = f"{self.number}. {self.name}"
        return text if len(text) <= CHART_LABEL_CHARS else text[: CHART_LABEL_CHARS - 1] + "…"


@dataclass
class Results:
    columns: list[ColumnView]
    headers: list[tuple[str, str]]
    rows: list[dict[str, object]]
    chart: ChartData

    @property
    def active(self) -> bool:
        return any(column.active for column in self.columns)

    @property
    def runs(self) -> list[RunView]:
        return [run for column in self.columns for run in column.runs]

    @property
    def json_mode(self) -> bool:
        return any(column.json_mode for column in self.columns)

    @property
    def chart_svg(self) -> SafeString:
        return render_chart(self.chart)


def results(comparison: Comparison) -> Results:
    """Every column with its runs (as cards), its summary, the table rows and the chart."""
    diffs = grid.differences(comparison.columns)
    names = grid.column_labels(comparison.columns)
    columns = [
        ColumnView(index, settings_, diffs[index], names[index])
        for index, settings_ in enumerate(comparison.columns)
    ]
    runs = ComparisonRun.objects.filter(comparison=comparison).select_related("message")
    table = prices.table()
    for run in runs.order_by("column", "repeat", "choice"):
        if run.column >= len(columns):
            continue
        column = columns[run.column]
        column.runs.append(
            RunView(
                run,
                run.message,
                _run_label(comparison, run),
                cards.card(run.message, 1, prices=table),
                metrics.run_metrics(run.message),
                prices.message_cost(run.message, table),
            )
        )
    for column in columns:
        column.summary = _summary(column)
        if column.runs and not column.active:
            column.spent = prices.messages_total([run.message for run in column.runs], table)
    return Results(
        columns=columns,
        headers=[(label, unit) for _, label, unit in metrics.METRICS],
        rows=[_table_row(column) for column in columns],
        chart=_chart_data(columns),
    )


def _run_label(comparison: Comparison, run: ComparisonRun) -> str:
    label = f"Column {run.column + 1}, run {run.repeat + 1}"
    n = comparison.columns[run.column].get("n") if run.column < len(comparison.columns) else 1
    # A choice beyond n (a provider returning more than asked for) is labelled too.
    return f"{label}, choice {run.choice + 1}" if (n or 1) > 1 or run.choice else label


def _summary(column: ColumnView) -> Summary | None:
    finished = [run for run in column.runs if not run.active]
    if not finished:
        return None
    return metrics.summarize(
        [run.metrics for run in finished],
        [run.message.content for run in finished],
        column.json_mode,
    )


def _table_row(column: ColumnView) -> dict[str, object]:
    """One line of the summary table, as plain values (a share snapshot keeps it)."""
    summary = column.summary
    cells = []
    for key, _, unit in metrics.METRICS:
        spread = summary[key] if summary else None
        cells.append(
            {"text": _spread_text(spread, unit), "value": spread["mean"] if spread else None}
        )
    runs = summary["runs"] if summary else 0
    finish_reasons = summary["finish_reasons"] if summary else {}
    # A share snapshot made before columns had names holds "label" and "differences"
    # instead; the table shows either.
    row: dict[str, object] = {
        "label": column.name,
        "column": column.number,
        "cells": cells,
        "runs": runs,
        "identical": f"{summary['identical_exact']} of {runs}" if summary and runs else "",
        "identical_normalized": (
            f"{summary['identical_normalized']} of {runs}" if summary and runs else ""
        ),
        "finish": ", ".join(f"{reason} x{count}" for reason, count in finish_reasons.items()),
        "json": "",
    }
    if column.json_mode and summary and runs:
        agreeing = summary.get("json_agreeing_fields") or []
        row["json"] = f"{summary.get('json_valid', 0)} of {runs} valid" + (
            f"; agree on {', '.join(agreeing)}" if agreeing else "; no field agrees"
        )
    return row


def _spread_text(spread: Spread | None, unit: str) -> str:
    """ "1.23 ± 0.05 s" over several runs, "1.23 s" over one, "" when unknown."""
    if spread is None or spread["mean"] is None:
        return ""
    suffix = f" {unit}" if unit in ("s", "tokens/s") else ""
    text = figure(spread["mean"])
    if spread["stdev"] is not None and spread["n"] > 1:
        text += f" ± {figure(spread['stdev'])}"
    return text + suffix


def _chart_data(columns: list[ColumnView]) -> ChartData:
    units = {key: (label, unit) for key, label, unit in metrics.METRICS}
    series: list[ChartSeries] = []
    for key in CHART_METRICS:
        label, unit = units[key]
        values = [c.summary[key]["mean"] if c.summary else None for c in columns]
        series.append((label, unit, values))
    return {"labels": [c.short_label for c in columns], "series": series}


def render_chart(data: Mapping[str, object]) -> SafeString:
    """The chart as inline SVG, or nothing before any run has finished."""
    # Results' own ChartData, or one a share snapshot kept as JSON: the same keys.
    chart_data = cast(ChartData, data)
    series = chart_data.get("series") or []
    if not any(v is not None for _, _, values in series for v in values):
        return SafeString("")
    return chart_markup(chart.layout(chart_data.get("labels") or [], series))


def chart_markup(layout: chart.Chart) -> SafeString:
    """A Chart drawn as SVG; the template escapes every text in it."""
    return render_to_string(CHART_TEMPLATE, {"chart": layout})


def page_context(comparison: Comparison, view: Results) -> dict[str, object]:
    """What the results page's partials need; its socket renders the same partials."""
    return {
        "comparison": comparison,
        "prompt": prompt_shown(comparison.messages),
        "view": view,
        "headers": view.headers,
        "rows": view.rows,
        "json_mode": view.json_mode,
        "chart_svg": view.chart_svg,
        "has_summary": any(column.summary for column in view.columns),
        "cap": settings.PLAYGROUND_COMPARE_CONCURRENCY,
    }


def prompt_shown(messages: list[dict]) -> list[dict]:
    """The prompt path as compare/_prompt.html shows it: each image by its key."""
    return [{**m, "images": [{"key": key} for key in m.get("images") or []]} for m in messages]


def _run_key(run: RunView) -> str:
    return f"{run.run.column + 1}-{run.run.repeat + 1}-{run.run.choice + 1}"


def run_options(view: Results) -> list[tuple[str, str]]:
    """The runs a person can pick for a diff: ("<column>-<repeat>-<choice>", label)."""
    return [(_run_key(run), run.label) for run in view.runs]


def run_option_groups(view: Results) -> list[tuple[str, list[tuple[str, str]]]]:
    """run_options grouped under each column's title, as the diff form's <optgroup>s."""
    return [
        (column.title, [(_run_key(run), run.label) for run in column.runs])
        for column in view.columns
        if column.runs
    ]


def find_run(view: Results, key: str) -> RunView | None:
    for option, run in zip(run_options(view), view.runs, strict=True):
        if option[0] == key:
            return run
    return None


def diff(comparison: Comparison, view: Results, a: RunView, b: RunView) -> dict[str, object]:
    """Two runs side by side: the settings of each (where they differ), their columns'
    names, and word diffs of answer and reasoning."""
    first, second = comparison.columns[a.run.column], comparison.columns[b.run.column]
    changes = grid.setting_changes(first, second)
    return {
        "a": a,
        "b": b,
        "a_column": view.columns[a.run.column],
        "b_column": view.columns[b.run.column],
        "a_settings": [(label, value) for label, value, _ in changes],
        "b_settings": [(label, value) for label, _, value in changes],
        "settings": changes,
        "answer": textdiff.word_diff(a.message.content, b.message.content),
        "reasoning": textdiff.word_diff(a.message.reasoning, b.message.reasoning),
    }
