"""Compare mode's grid: one prompt under many parameter settings, side by side.

The columns (a base setting with one or two swept parameters), what sets each
column apart from the first, the name each column goes by, and what a run of them
would cost. A run's figures
are chat/compare/metrics.py; the chart's geometry is chat/compare/chart.py.

Columns are typed settings exactly as `params.parse_form` returns them, so every
range and message comes from `params.PARAMS`; nothing here repeats a rule.

Pure: no Django, no I/O.
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from chat.api import params

MAX_COLUMNS = 12
MAX_REPEATS = 10
MAX_SWEEP_PARAMS = 2

SWEEPABLE_KINDS = frozenset({"float", "int", "model", "choice", "extra"})

UNSET = "unset"
# How columns are named (column_labels): "Temperature 0.2 · Top P 0.9".
LABEL_SEPARATOR = " · "
LABEL_VALUE_CHARS = 40
DEFAULT_LABEL = "Default settings"
EXTRA_SWEEP_HINT = (
    'give JSON objects separated by commas: {"reasoning_effort": "low"}, '
    '{"reasoning_effort": "high"}.'
)


# --- the grid -------------------------------------------------------------------------


def expand_sweep(
    base: Mapping[str, object], sweep: Sequence[tuple[str, Sequence[str]]]
) -> tuple[list[dict[str, object]], dict[str, str]]:
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


def split_values(name: str, text: str) -> tuple[list[str], str | None]:
    """A sweep's values as typed, one string per value, or ([], message).

    Values are comma-separated; extra request fields, whose JSON objects hold commas
    themselves, are JSON objects separated by commas:
    '{"effort": "low"}, {"effort": "high"}' gives ['{"effort": "low"}', '{"effort": "high"}'].
    """
    param = params.PARAMS.get(name)
    if param is None or param.kind != "extra":
        return text.split(","), None
    decoder = json.JSONDecoder()
    values: list[str] = []
    rest = text.strip()
    while rest:
        try:
            value, end = decoder.raw_decode(rest)
        except (json.JSONDecodeError, RecursionError):
            return [], EXTRA_SWEEP_HINT
        values.append(json.dumps(value, ensure_ascii=False))
        rest = rest[end:].strip()
        if rest and not rest.startswith(","):
            return [], EXTRA_SWEEP_HINT
        rest = rest.removeprefix(",").strip()
    return values, None


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
    seen: dict[str, str] = {}
    problems: list[str] = []
    duplicate = ""
    for value in values:
        settings, value_errors = params.parse_form({**form, name: value})
        if name in value_errors:
            problems.append(f"{value}: {value_errors[name]}")
            continue
        # Extra fields are objects: compared by their JSON, whatever the key order.
        typed = json.dumps(settings[name], sort_keys=True)
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


def column_labels(columns: Sequence[Mapping[str, object]]) -> list[str]:
    """Each column's name: the settings that differ between the columns, as a person reads them.

    Temperature swept over 0.2 and 1.5 gives ["Temperature 0.2", "Temperature 1.5"];
    two swept parameters give "Temperature 0.2 · Top P 0.9". A model is named by itself
    ("kimi-k2-thinking-turbo"). Columns with the same settings as an earlier one get
    " · run 2", " · run 3"; when nothing differs at all they are "Run 1", "Run 2"…
    A lone column is named by what it sets away from the panel's defaults, or
    "Default settings". Long values are cut to LABEL_VALUE_CHARS characters.
    """
    if not columns:
        return []
    values = [params.form_values(column) for column in columns]
    if len(columns) == 1:
        changed = params.changed_settings(columns[0])
        return [_describe(values[0], [n for n in params.PARAMS if n in changed]) or DEFAULT_LABEL]
    varying = [name for name in params.PARAMS if len({v[name] for v in values}) > 1]
    if not varying:
        return [f"Run {number}" for number in range(1, len(columns) + 1)]
    labels: list[str] = []
    seen: dict[str, int] = {}
    for column_values in values:
        label = _describe(column_values, varying)
        seen[label] = seen.get(label, 0) + 1
        labels.append(label if seen[label] == 1 else f"{label} · run {seen[label]}")
    return labels


def _describe(values: Mapping[str, str], names: Sequence[str]) -> str:
    return LABEL_SEPARATOR.join(_setting_text(name, values[name]) for name in names)


def _setting_text(name: str, value: str) -> str:
    """ "Temperature 0.2", "kimi-k2-thinking" for a model, "Stop sequences END, ###"."""
    param = params.PARAMS[name]
    if param.kind == "model":
        return _shorten(value or UNSET)
    if param.kind == "bool":
        return f"{param.label} {'on' if value == 'true' else 'off'}"
    if param.kind == "tools":
        return f"{param.label} {_tool_names(value) or UNSET}"
    return f"{param.label} {_shorten(', '.join(value.splitlines()) or UNSET)}"


def _tool_names(value: str) -> str:
    try:
        tools = json.loads(value) if value else []
    except ValueError:
        return _shorten(value)
    names = [
        str(tool.get("function", {}).get("name", "?"))
        for tool in tools
        if isinstance(tool, dict) and isinstance(tool.get("function"), dict)
    ]
    return _shorten(", ".join(names))


def _shorten(text: str) -> str:
    if len(text) <= LABEL_VALUE_CHARS:
        return text
    return text[: LABEL_VALUE_CHARS - 1] + "…"


def setting_changes(
    first: Mapping[str, object], second: Mapping[str, object]
) -> list[tuple[str, str, str]]:
    """(label, first's value, second's value) for each parameter two columns set apart.

    Values read as `differences` gives them: temperature 0.2 against 1.5 (nothing else
    changed) gives [("Temperature", "0.2", "1.5")].
    """
    a, b = params.form_values(first), params.form_values(second)
    return [
        (param.label, a[name] or UNSET, b[name] or UNSET)
        for name, param in params.PARAMS.items()
        if a[name] != b[name]
    ]


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
