"""A comparison taken out of the app: the snapshot a share link shows, and the JSON and
CSV downloads."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import cast

from chat.compare import metrics
from chat.compare.results import RunView, results
from chat.conversations.exports import TIMINGS
from chat.models import Comparison, Message

SNAPSHOT_VERSION = 1
EXPORT_FORMAT = "reasoning-playground-comparison/1"

# A spreadsheet runs a cell starting with one of these as a formula.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


# -- a share link's snapshot -------------------------------------------------------------


def snapshot(comparison: Comparison, include_reasoning: bool) -> dict[str, object]:
    """What a share link shows, as plain JSON: no owner, no ids, no upstream, no errors."""
    view = results(comparison)
    return {
        "version": SNAPSHOT_VERSION,
        "title": comparison.display_title,
        "system_prompt": comparison.system_prompt,
        "messages": [{"role": m["role"], "content": m["content"]} for m in comparison.messages],
        "repeats": comparison.repeats,
        "include_reasoning": include_reasoning,
        "columns": [
            {
                "label": column.label,
                "differences": [[label, value] for label, value in column.differences],
                "runs": [_shared_run(run, include_reasoning) for run in column.runs],
            }
            for column in view.columns
        ],
        "headers": [[label, unit] for label, unit in view.headers],
        "rows": view.rows,
        "json_mode": view.json_mode,
        "chart": view.chart,
    }


def _shared_run(run: RunView, include_reasoning: bool) -> dict[str, object]:
    message = run.message
    status = Message.Status.INTERRUPTED if run.active else message.status
    return {
        "label": run.label,
        "status": status,
        "model": message.model,
        "content": message.content,
        "refusal": message.refusal,
        "reasoning": message.reasoning if include_reasoning else "",
        "tool_calls": message.tool_calls,
        "finish_reason": message.finish_reason,
        "sent": _pairs(run.card["sent"]),
        "metrics": _pairs(run.card["metrics"]),
    }


def _pairs(pairs: object) -> list[list[str]]:
    # cards.card holds its (label, value) pairs under "sent" and "metrics".
    return [[str(label), str(value)] for label, value in cast(list[tuple[str, str]], pairs)]


# -- the JSON export -----------------------------------------------------------------------


def export_data(comparison: Comparison) -> dict[str, object]:
    """The JSON export: the settings to run it again, every run, and each column's summary."""
    view = results(comparison)
    return {
        "format": EXPORT_FORMAT,
        "title": comparison.display_title,
        "system_prompt": comparison.system_prompt,
        "messages": comparison.messages,
        "columns": comparison.columns,
        "sweep": comparison.sweep,
        "repeats": comparison.repeats,
        "created_at": comparison.created_at.isoformat(),
        "runs": [_exported_run(run) for run in view.runs],
        "summaries": [
            {"column": column.number, **(column.summary or {})} for column in view.columns
        ],
    }


def _exported_run(run: RunView) -> dict[str, object]:
    message = run.message
    return {
        "column": run.run.column + 1,
        "repeat": run.run.repeat + 1,
        "choice": run.run.choice + 1,
        "status": message.status,
        "model": message.model,
        "request_params": message.request_params,
        "content": message.content,
        "refusal": message.refusal,
        "reasoning": message.reasoning,
        "tool_calls": message.tool_calls,
        "usage": message.usage,
        "finish_reason": message.finish_reason,
        "timings": {name: _iso(getattr(message, name)) for name in TIMINGS},
        "metrics": run.metrics,
    }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


# -- the CSV export ------------------------------------------------------------------------


def csv_rows(comparison: Comparison) -> list[list[str]]:
    """The CSV download: a row per column, labelled with what sets it apart."""
    view = results(comparison)
    labels = [
        f"{row['label']} ({row['differences']})" if row["differences"] else str(row["label"])
        for row in view.rows
    ]
    return summary_rows(labels, [column.summary for column in view.columns])


def summary_rows(
    columns_labels: Sequence[str], summaries: Sequence[Mapping[str, object] | None]
) -> list[list[str]]:
    """A header and one row per column, for the caller to write with the csv module.

    A row holds the column's label, the mean of each METRICS key (blank when
    unknown), the number of runs, the identical-answer counts and, for columns
    run in JSON mode, the valid-JSON, agreeing-field and field counts (blank
    otherwise). A label a spreadsheet would run as a formula gets a leading "'".
    """
    header = [
        "Column",
        *(f"{label} ({unit})" for _, label, unit in metrics.METRICS),
        "Runs",
        "Identical answers",
        "Identical answers (normalized)",
        "Valid JSON",
        "Agreeing JSON fields",
        "JSON fields",
    ]
    rows = [header]
    for label, summary in zip(columns_labels, summaries, strict=True):
        known: Mapping[str, object] = summary or {}
        means = [_csv_number(_mean(known.get(key))) for key, _, _ in metrics.METRICS]
        json_counts = [
            _csv_number(known.get("json_valid")),
            _csv_count(known.get("json_agreeing_fields")),
            _csv_count(known.get("json_fields")),
        ]
        rows.append(
            [
                _csv_text(label),
                *means,
                _csv_number(known.get("runs")),
                _csv_number(known.get("identical_exact")),
                _csv_number(known.get("identical_normalized")),
                *json_counts,
            ]
        )
    return rows


def _mean(spread: object) -> object:
    return spread.get("mean") if isinstance(spread, Mapping) else None


def _csv_number(value: object) -> str:
    if not metrics.is_number(value):
        return ""
    if isinstance(value, int):
        return str(value)
    return f"{value:.3f}".rstrip("0").rstrip(".")


def _csv_count(value: object) -> str:
    return str(len(value)) if isinstance(value, list | tuple) else ""


def _csv_text(text: str) -> str:
    if text.startswith(_FORMULA_STARTS):
        try:
            float(text)
        except ValueError:
            return "'" + text
    return text
