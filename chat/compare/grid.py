"""Compare mode: one prompt under many parameter settings, side by side.

The grid of columns (a base setting with one or two swept parameters), what a
run would cost, each run's metrics, a column's summary over its repeats, word
diffs between answers, a bar chart as SVG and rows for a CSV export.

Columns are typed settings exactly as `params.parse_form` returns them, so every
range and message comes from `params.PARAMS`; nothing here repeats a rule.

Pure: no Django, no I/O.
"""

from __future__ import annotations

import html
import itertools
import json
import math
import re
import statistics
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from chat.api import params
from chat.figures import figure

MAX_COLUMNS = 12
MAX_REPEATS = 10
MAX_SWEEP_PARAMS = 2

SWEEPABLE_KINDS = frozenset({"float", "int", "model", "choice"})

# (key, label, unit) of the numeric run metrics, in the order the table and chart show them.
METRICS: list[tuple[str, str, str]] = [
    ("first_reasoning_s", "First reasoning token", "s"),
    ("reasoning_s", "Reasoning time", "s"),
    ("first_answer_s", "First answer token", "s"),
    ("total_s", "Total time", "s"),
    ("reasoning_tps", "Reasoning speed", "tokens/s"),
    ("answer_tps", "Answer speed", "tokens/s"),
    ("prompt_tokens", "Prompt tokens", "tokens"),
    ("completion_tokens", "Completion tokens", "tokens"),
    ("reasoning_tokens", "Reasoning tokens", "tokens"),
    ("cached_tokens", "Cached tokens", "tokens"),
    ("answer_chars", "Answer length", "chars"),
    ("reasoning_chars", "Reasoning length", "chars"),
]

UNSET = "unset"
MISSING = "\u2013"  # an en dash: shown where a value is unknown

_WHITESPACE_RE = re.compile(r"\s+")

# Chart layout, in SVG user units (pixels at 1:1).
_CHART_HEADING = 20
_CHART_BAR_GAP = 4
_CHART_GROUP_GAP = 10
_CHART_CHAR_WIDTH = 7
_CHART_VALUE_WIDTH = 64
_CHART_FONT_SIZE = 12

# A spreadsheet runs a cell starting with one of these as a formula.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


# --- the grid -------------------------------------------------------------------------


def expand_sweep(
    base: Mapping[str, object], sweep: Sequence[tuple[str, Sequence[str]]]
) -> tuple[list[dict], dict[str, str]]:
    """Columns from a base setting and up to two swept parameters, or ([], errors).

    `base` holds typed settings (as `params.parse_form` returns them); each swept
    value is a string as a person typed it. Blank values are skipped, so a trailing
    comma in "0, 0.5," does no harm. The grid is the product, first parameter
    outermost: temperature ["0", "1"] with top_p ["0.9", "1"] gives the columns
    (0, 0.9), (0, 1), (1, 0.9), (1, 1).

    Each column is `parse_form(form_values(base) | {name: value})`, so ranges are
    checked by params. Errors map a field to a message a person can act on:
    "sweep" for the shape of the sweep, the parameter's name for a bad value
    ("2.5: Temperature must be between 0 and 2."), "columns" for too many columns,
    and any other field's name if the base itself does not read back.
    """
    errors: dict[str, str] = {}
    if len(sweep) > MAX_SWEEP_PARAMS:
        errors["sweep"] = (
            f"Sweep at most {MAX_SWEEP_PARAMS} parameters at once (you chose {len(sweep)})."
        )
        return [], errors
    form = params.form_values(base)
    _, base_errors = params.parse_form(form)
    errors.update(base_errors)
    axes: list[list[tuple[str, str]]] = []
    swept: list[str] = []
    for name, raw_values in sweep:
        values, axis_errors = _read_axis(name, raw_values, form, swept)
        for key, message in axis_errors.items():
            errors.setdefault(key, message)
        axes.append([(name, value) for value in values])
        swept.append(name)
    count = math.prod(len(axis) for axis in axes)
    if count > MAX_COLUMNS:
        errors["columns"] = f"This sweep makes {count} columns; at most {MAX_COLUMNS}."
    if errors:
        return [], errors
    columns = [params.parse_form(form | dict(point))[0] for point in itertools.product(*axes)]
    return columns, {}


def _read_axis(
    name: str, raw_values: Sequence[str], form: Mapping[str, str], swept: Sequence[str]
) -> tuple[list[str], dict[str, str]]:
    """The cleaned values of one swept parameter, with {"sweep" | name: message}."""
    param = params.PARAMS.get(name)
    if param is None:
        return [], {"sweep": f'"{name}" is not a parameter that can be swept.'}
    if param.kind not in SWEEPABLE_KINDS:
        return [], {"sweep": f"{param.label} cannot be swept; set it for every column instead."}
    if name in swept:
        return [], {"sweep": f"{param.label} is swept twice; give all its values in one list."}
    values = [text for raw in raw_values if (text := str(raw).strip())]
    if not values:
        return [], {"sweep": f"Give at least one value for {param.label}."}
    seen: dict[object, str] = {}
    problems: list[str] = []
    duplicate = ""
    for value in values:
        settings, value_errors = params.parse_form({**form, name: value})
        if name in value_errors:
            problems.append(f"{value}: {value_errors[name]}")
            continue
        typed = settings[name]
        if typed in seen and not duplicate:
            duplicate = f"{param.label} {seen[typed]} is listed twice ({value})."
        seen.setdefault(typed, value)
    errors: dict[str, str] = {}
    if problems:
        errors[name] = " ".join(problems)
    if duplicate:
        errors["sweep"] = duplicate
    return values, errors


def validate_columns(columns: Sequence[Mapping[str, object]], repeats: int) -> dict[str, str]:
    """{"columns" | "repeats": message} for a grid that cannot be run; empty when it can.

    Each column's own values were checked by parse_form when it was read.
    """
    errors: dict[str, str] = {}
    if not columns:
        errors["columns"] = "Add at least one column to compare."
    elif len(columns) > MAX_COLUMNS:
        errors["columns"] = f"At most {MAX_COLUMNS} columns (you have {len(columns)})."
    if isinstance(repeats, bool) or not isinstance(repeats, int) or not 1 <= repeats <= MAX_REPEATS:
        errors["repeats"] = f"Repeats must be a whole number from 1 to {MAX_REPEATS}."
    return errors


def differences(columns: Sequence[Mapping[str, object]]) -> list[list[tuple[str, str]]]:
    """For each column, the (label, value) pairs where it differs from column 0.

    Values read as the panel shows them (`params.form_values`), "unset" when
    blank. For columns at temperature 1 and 0.5 (nothing else changed) this gives
    [[], [("Temperature", "0.5")]].
    """
    if not columns:
        return []
    first = params.form_values(columns[0])
    result: list[list[tuple[str, str]]] = []
    for column in columns:
        values = params.form_values(column)
        result.append(
            [
                (param.label, values[name] or UNSET)
                for name, param in params.PARAMS.items()
                if values[name] != first[name]
            ]
        )
    return result


# --- what a run costs -----------------------------------------------------------------


@dataclass(frozen=True)
class Estimate:
    requests: int
    # The most completion tokens the run can spend; None when any column is unbounded.
    max_tokens: int | None
    # Indexes (from 0) of the columns that leave max_tokens unset.
    unbounded_columns: list[int]


def estimate(columns: Sequence[Mapping[str, object]], repeats: int) -> Estimate:
    """How many requests a run makes, and the most completion tokens it can use.

    The token bound is the sum over columns of repeats * max_tokens * n, since each
    of a request's n choices may use max_tokens: two columns with max_tokens 100
    and 200, run 3 times, give Estimate(6, 900, []).
    """
    unbounded = [i for i, column in enumerate(columns) if column.get("max_tokens") is None]
    bound: int | None = None
    if not unbounded:
        bound = sum(
            repeats * _as_int(column.get("max_tokens")) * (_as_int(column.get("n")) or 1)
            for column in columns
        )
    return Estimate(len(columns) * repeats, bound, unbounded)


def _as_int(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


# --- one run's figures ----------------------------------------------------------------


def run_metrics(run: object) -> dict[str, float | int | str | None]:
    """The figures of one finished run, from a Message-like object; None where unknown.

    Times are seconds: to the first reasoning token, of reasoning (to the first
    answer token, or the end), to the first answer token, in total. Speeds divide
    reasoning tokens by reasoning time, and answer tokens (completion minus
    reasoning tokens) by the time from the first answer token to the end. When
    usage covers a whole request of several choices ("request_total"), this
    choice's own completion and reasoning tokens are unknown, so are the speeds.
    """
    usage = getattr(run, "usage", None) or {}
    sent = getattr(run, "sent_at", None)
    first_reasoning = getattr(run, "first_reasoning_at", None)
    first_content = getattr(run, "first_content_at", None)
    finished = getattr(run, "finished_at", None)
    content = getattr(run, "content", "") or ""
    reasoning = getattr(run, "reasoning", "") or ""

    per_choice = not usage.get("request_total")
    completion = _count(usage, "completion_tokens") if per_choice else None
    reasoning_tokens = _count(usage, "reasoning_tokens") if per_choice else None
    reasoning_s = _seconds_between(first_reasoning, first_content or finished)
    answer_s = _seconds_between(first_content, finished)
    answer_tokens = None
    if completion is not None:
        if reasoning_tokens is not None:
            answer_tokens = max(completion - reasoning_tokens, 0)
        elif not reasoning and first_reasoning is None:
            answer_tokens = completion  # nothing was reasoned, so all of it is answer
    return {
        "first_reasoning_s": _seconds_between(sent, first_reasoning),
        "reasoning_s": reasoning_s,
        "first_answer_s": _seconds_between(sent, first_content),
        "total_s": _seconds_between(sent, finished),
        "reasoning_tps": _rate(reasoning_tokens, reasoning_s),
        "answer_tps": _rate(answer_tokens, answer_s),
        "prompt_tokens": _count(usage, "prompt_tokens"),
        "completion_tokens": completion,
        "reasoning_tokens": reasoning_tokens,
        "cached_tokens": _count(usage, "cached_tokens"),
        "answer_chars": len(content),
        "reasoning_chars": len(reasoning),
        "finish_reason": getattr(run, "finish_reason", None) or None,
        "status": getattr(run, "status", None) or None,
    }


def _seconds_between(start: datetime | None, end: datetime | None) -> float | None:
    # The reading of conversations.cards.seconds_between (this pure module cannot import it).
    if start is None or end is None:
        return None
    return max((end - start).total_seconds(), 0.0)


def _count(usage: Mapping[str, object], key: str) -> int | None:
    value = usage.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _rate(tokens: int | None, seconds: float | None) -> float | None:
    if tokens is None or not seconds:
        return None
    return tokens / seconds


# --- a column over its repeats ----------------------------------------------------------


def summarize(
    runs: Sequence[Mapping[str, object]], answers: Sequence[str], json_mode: bool
) -> dict:
    """One column's repeats in figures and in how far their answers agree.

    Each METRICS key maps to {"mean", "stdev", "min", "max", "n"} over the runs
    that know it (stdev is the population's, None with fewer than two values).
    "identical_exact" is the size of the largest group of equal answers and
    "identical_normalized" the same after folding whitespace and case, so
    "Hello  world" and "hello world" give 1 and 2. Empty answers (a failed run)
    agree with nothing. "runs" counts the runs and "finish_reasons" their reasons.

    In JSON mode also: "json_valid", how many answers are JSON objects;
    "json_agreeing_fields", the sorted keys present in every valid answer with the
    same value in each (1 and 1.0 are the same; true and 1 are not); "json_fields",
    every key seen, sorted.
    """
    summary: dict = {key: _spread(runs, key) for key, _, _ in METRICS}
    summary["runs"] = len(runs)
    summary["finish_reasons"] = dict(
        Counter(str(run["finish_reason"]) for run in runs if run.get("finish_reason"))
    )
    summary["identical_exact"] = _largest_group(answers)
    summary["identical_normalized"] = _largest_group([_normalize(a) for a in answers])
    if json_mode:
        summary.update(_json_agreement(answers))
    return summary


def _spread(runs: Sequence[Mapping[str, object]], key: str) -> dict[str, float | int | None]:
    values = [
        value
        for run in runs
        if isinstance(value := run.get(key), int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
    ]
    if not values:
        return {"mean": None, "stdev": None, "min": None, "max": None, "n": 0}
    return {
        "mean": statistics.fmean(values),
        "stdev": statistics.pstdev(values) if len(values) > 1 else None,
        "min": min(values),
        "max": max(values),
        "n": len(values),
    }


def _normalize(answer: str) -> str:
    return _WHITESPACE_RE.sub(" ", answer).strip().casefold()


def _largest_group(answers: Sequence[str]) -> int:
    counts = Counter(answer for answer in answers if answer.strip())
    return max(counts.values(), default=0)


def _json_agreement(answers: Sequence[str]) -> dict[str, object]:
    objects = [obj for answer in answers if (obj := _json_object(answer)) is not None]
    fields = sorted({key for obj in objects for key in obj})
    agreeing = [
        key
        for key in fields
        if all(key in obj for obj in objects)
        and len({_canonical(obj[key]) for obj in objects}) == 1
    ]
    return {"json_valid": len(objects), "json_agreeing_fields": agreeing, "json_fields": fields}


def _json_object(answer: str) -> dict | None:
    # Whole numbers are read as floats so 1 and 1.0 compare equal; that also spares
    # Python's limit on the digits of an int read from text.
    try:
        value = json.loads(answer, parse_int=float)
    except (ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


def _canonical(value: object) -> str:
    try:
        return json.dumps(value, sort_keys=True, ensure_ascii=False)
    except (ValueError, RecursionError):  # pragma: no cover - a value json.loads built
        return repr(value)


# --- the chart ------------------------------------------------------------------------


def chart_svg(
    labels: Sequence[str],
    series: Sequence[tuple[str, str, Sequence[float | None]]],
    *,
    width: int = 640,
    bar_height: int = 14,
) -> str:
    """A horizontal grouped bar chart as a standalone, inert SVG string.

    One group per metric (series item = (label, unit, one value per column)), one
    bar per column, each metric scaled to its own largest value, with the value
    at the bar's end and the column label beside the bar. Bars carry only CSS
    classes, `class="bar col-N"` with N counted from 1, and text is
    fill="currentColor", so the page's stylesheet colours it in light and dark.
    A missing value (None, or not finite) draws no bar and prints MISSING (an en dash).

    No script, no links, no event handlers: every piece of text goes through
    html.escape, and nothing else in the markup comes from the caller.
    """
    label_width = _CHART_CHAR_WIDTH * max((len(label) for label in labels), default=1) + 8
    label_width = min(label_width, width // 3)
    bar_left = label_width
    bar_room = max(width - label_width - _CHART_VALUE_WIDTH, 1)
    group_height = _CHART_HEADING + len(labels) * (bar_height + _CHART_BAR_GAP) + _CHART_GROUP_GAP
    height = max(len(series) * group_height, 1)
    title = "Compare: " + ", ".join(name for name, _, _ in series) if series else "Compare"

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="compare-chart" role="img" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'font-size="{_CHART_FONT_SIZE}" aria-label="{_esc(title)}">',
        f"<title>{_esc(title)}</title>",
    ]
    for number, (name, unit, values) in enumerate(series):
        top = number * group_height
        heading = f"{name} ({unit})" if unit else name
        parts.append(
            f'<text class="chart-heading" x="0" y="{top + _CHART_HEADING - 6}" '
            f'fill="currentColor" font-weight="bold">{_esc(heading)}</text>'
        )
        known = [v for v in values if _is_number(v)]
        scale = max(known, default=0)
        for column, label in enumerate(labels):
            value = values[column] if column < len(values) else None
            y = top + _CHART_HEADING + column * (bar_height + _CHART_BAR_GAP)
            middle = y + bar_height / 2
            parts.append(
                f'<text class="chart-label" x="{bar_left - 6}" y="{middle:g}" '
                f'text-anchor="end" dominant-baseline="middle" fill="currentColor">'
                f"{_esc(label)}</text>"
            )
            if not _is_number(value):
                parts.append(_chart_value(bar_left + 4, middle, MISSING))
                continue
            length = bar_room * value / scale if scale > 0 and value > 0 else 0
            parts.append(
                f'<rect class="bar col-{column + 1}" x="{bar_left}" y="{y}" '
                f'width="{length:.1f}" height="{bar_height}"/>'
            )
            parts.append(_chart_value(bar_left + length + 4, middle, figure(value)))
    parts.append("</svg>")
    return "".join(parts)


def _chart_value(x: float, y: float, text: str) -> str:
    return (
        f'<text class="chart-value" x="{x:.1f}" y="{y:g}" dominant-baseline="middle" '
        f'fill="currentColor">{_esc(text)}</text>'
    )


def _esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


# --- export -----------------------------------------------------------------------------


def csv_rows(columns_labels: Sequence[str], summaries: Sequence[Mapping]) -> list[list[str]]:
    """A header and one row per column, for the caller to write with the csv module.

    A row holds the column's label, the mean of each METRICS key (blank when
    unknown), the number of runs, the identical-answer counts and, for columns
    run in JSON mode, the valid-JSON, agreeing-field and field counts (blank
    otherwise). A label a spreadsheet would run as a formula gets a leading "'".
    """
    header = [
        "Column",
        *(f"{label} ({unit})" for _, label, unit in METRICS),
        "Runs",
        "Identical answers",
        "Identical answers (normalized)",
        "Valid JSON",
        "Agreeing JSON fields",
        "JSON fields",
    ]
    rows = [header]
    for label, summary in zip(columns_labels, summaries, strict=True):
        means = [_csv_number((summary.get(key) or {}).get("mean")) for key, _, _ in METRICS]
        json_counts = [
            _csv_number(summary.get("json_valid")),
            _csv_count(summary.get("json_agreeing_fields")),
            _csv_count(summary.get("json_fields")),
        ]
        rows.append(
            [
                _csv_text(label),
                *means,
                _csv_number(summary.get("runs")),
                _csv_number(summary.get("identical_exact")),
                _csv_number(summary.get("identical_normalized")),
                *json_counts,
            ]
        )
    return rows


def _csv_number(value: object) -> str:
    if not _is_number(value):
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
