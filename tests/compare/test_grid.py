"""Compare mode's grid: sweeps into columns, the checks on columns and repeats, what
each column changes, and what a run costs."""

from __future__ import annotations

import pytest

from chat.api.params import default_settings, parse_form
from chat.compare.grid import (
    MAX_COLUMNS,
    Estimate,
    column_labels,
    differences,
    estimate,
    expand_sweep,
    setting_changes,
    validate_columns,
)


@pytest.fixture
def base() -> dict[str, object]:
    # Where the settings panel starts: every column of a sweep is built on it.
    return default_settings()


def _column(**changes: object) -> dict[str, object]:
    return {**default_settings(), **changes}


# --- expand_sweep -------------------------------------------------------------------------


def test_it_builds_the_grid_first_parameter_outermost(base):
    columns, errors = expand_sweep(
        base, [("temperature", ["0", "0.5", "1.0"]), ("top_p", ["0.9", "1"])]
    )
    assert errors == {}
    assert [(c["temperature"], c["top_p"]) for c in columns] == [
        (0.0, 0.9),
        (0.0, 1.0),
        (0.5, 0.9),
        (0.5, 1.0),
        (1.0, 0.9),
        (1.0, 1.0),
    ]


@pytest.mark.parametrize(
    ("sweep", "count"),
    [
        ([], 1),
        ([("temperature", ["0", "1"])], 2),
        ([("temperature", ["0", "1"]), ("max_tokens", ["100", "200", "300"])], 6),
    ],
)
def test_it_makes_one_column_per_point_of_zero_one_or_two_parameters(base, sweep, count):
    columns, errors = expand_sweep(base, sweep)
    assert errors == {}
    assert len(columns) == count


def test_without_a_sweep_the_one_column_is_the_base(base):
    base["max_tokens"] = 500
    base["stop"] = ["END\n"]
    columns, _ = expand_sweep(base, [])
    assert columns == [base]


def test_each_column_keeps_the_base_and_reads_like_parse_form(base):
    base["max_tokens"] = 256
    base["response_format"] = "json_object"
    columns, _ = expand_sweep(base, [("top_k", ["5", " 40 "])])
    assert [c["top_k"] for c in columns] == [5, 40]
    assert all(c["max_tokens"] == 256 and c["response_format"] == "json_object" for c in columns)
    for column in columns:
        assert parse_form({k: v for k, v in column.items() if v is not None})[0] == column


def test_it_sweeps_models_and_response_formats(base):
    columns, errors = expand_sweep(
        base,
        [
            ("model", ["kimi-k2-thinking", "kimi-k2-thinking-turbo"]),
            ("response_format", ["text", "json_object"]),
        ],
    )
    assert errors == {}
    assert [(c["model"], c["response_format"]) for c in columns] == [
        ("kimi-k2-thinking", "text"),
        ("kimi-k2-thinking", "json_object"),
        ("kimi-k2-thinking-turbo", "text"),
        ("kimi-k2-thinking-turbo", "json_object"),
    ]


def test_blank_values_are_skipped(base):
    columns, errors = expand_sweep(base, [("temperature", ["0", " ", "1", ""])])
    assert errors == {}
    assert [c["temperature"] for c in columns] == [0.0, 1.0]


@pytest.mark.parametrize(
    ("sweep", "expected"),
    [
        ([("temperature", [])], {"sweep": "Give at least one value for Temperature."}),
        ([("top_p", ["", "  "])], {"sweep": "Give at least one value for Top P."}),
        (
            [("temperature", ["1"]), ("top_p", ["1"]), ("top_k", ["1"])],
            {"sweep": "Sweep at most 2 parameters at once (you chose 3)."},
        ),
        (
            [("temperature", ["0.5", "2.5"])],
            {"temperature": "2.5: Temperature must be between 0 and 2."},
        ),
        ([("top_p", ["abc"])], {"top_p": "abc: Top P must be a number."}),
        ([("max_tokens", ["1.5"])], {"max_tokens": "1.5: Max tokens must be a whole number."}),
        (
            [("response_format", ["yaml"])],
            {"response_format": "yaml: Response format must be text or json_object."},
        ),
        (
            [("temperature", ["0.5", "0.50"])],
            {"sweep": "Temperature 0.5 is listed twice (0.50)."},
        ),
        (
            [("temperature", [str(t / 10) for t in range(5)]), ("top_p", ["0.1", "0.2", "0.3"])],
            {"columns": "This sweep makes 15 columns; at most 12."},
        ),
        (
            [("stop", ["END"])],
            {"sweep": "Stop sequences cannot be swept; set it for every column instead."},
        ),
        (
            [("stream", ["true"])],
            {"sweep": "Stream cannot be swept; set it for every column instead."},
        ),
        ([("colour", ["red"])], {"sweep": '"colour" is not a parameter that can be swept.'}),
        (
            [("temperature", ["0"]), ("temperature", ["1"])],
            {"sweep": "Temperature is swept twice; give all its values in one list."},
        ),
    ],
)
def test_it_refuses_a_bad_sweep_with_a_message(base, sweep, expected):
    assert expand_sweep(base, sweep) == ([], expected)


def test_it_names_every_bad_value_of_a_parameter(base):
    _, errors = expand_sweep(base, [("temperature", ["2.5", "0.5", "abc"])])
    assert errors == {
        "temperature": "2.5: Temperature must be between 0 and 2. "
        "abc: Temperature must be a number."
    }


def test_twelve_columns_are_allowed(base):
    columns, errors = expand_sweep(
        base, [("temperature", ["0", "0.5", "1", "1.5"]), ("top_p", ["0.8", "0.9", "1"])]
    )
    assert errors == {}
    assert len(columns) == MAX_COLUMNS


# --- validate_columns -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("count", "repeats", "fields"),
    [
        (1, 1, set()),
        (12, 10, set()),
        (0, 1, {"columns"}),
        (13, 1, {"columns"}),
        (2, 0, {"repeats"}),
        (2, 11, {"repeats"}),
        (2, True, {"repeats"}),
        (0, 0, {"columns", "repeats"}),
    ],
)
def test_it_checks_the_number_of_columns_and_repeats(count, repeats, fields):
    assert set(validate_columns([_column()] * count, repeats)) == fields


def test_it_says_what_is_wrong_with_columns_and_repeats():
    assert validate_columns([_column()] * 13, 11) == {
        "columns": "At most 12 columns (you have 13).",
        "repeats": "Repeats must be a whole number from 1 to 10.",
    }
    assert validate_columns([], 1) == {"columns": "Add at least one column to compare."}


# --- differences ----------------------------------------------------------------------------


def test_it_lists_what_each_column_changes_from_the_first():
    columns = [
        _column(temperature=1.0),
        _column(temperature=0.5),
        _column(temperature=1.0, max_tokens=100, stop=["END\n"]),
        _column(temperature=None),
        _column(temperature=1.0),
    ]
    assert differences(columns) == [
        [],
        [("Temperature", "0.5")],
        [("Max tokens", "100"), ("Stop sequences", "END\\n")],
        [("Temperature", "unset")],
        [],
    ]


def test_there_are_no_differences_without_columns():
    assert differences([]) == []


# --- column_labels ------------------------------------------------------------------------

WEATHER_TOOL = [{"type": "function", "function": {"name": "get_weather", "parameters": {}}}]


@pytest.mark.parametrize(
    ("columns", "labels"),
    [
        ([], []),
        (
            [_column(temperature=0.2), _column(temperature=1.5)],
            ["Temperature 0.2", "Temperature 1.5"],
        ),
        (
            [_column(temperature=0.2, top_p=0.9), _column(temperature=1.5, top_p=0.9)],
            ["Temperature 0.2", "Temperature 1.5"],
        ),
        (
            [_column(temperature=0.2, top_p=0.9), _column(temperature=1.5, top_p=1.0)],
            ["Temperature 0.2 · Top P 0.9", "Temperature 1.5 · Top P 1"],
        ),
        (
            [_column(model="kimi-k2-thinking"), _column(model="kimi-k2-thinking-turbo")],
            ["kimi-k2-thinking", "kimi-k2-thinking-turbo"],
        ),
        ([_column(), _column(), _column()], ["Run 1", "Run 2", "Run 3"]),
        (
            [_column(temperature=0.2), _column(temperature=1.5), _column(temperature=0.2)],
            ["Temperature 0.2", "Temperature 1.5", "Temperature 0.2 · run 2"],
        ),
        ([_column(max_tokens=100), _column()], ["Max tokens 100", "Max tokens unset"]),
        (
            [_column(stop=["END\n", "###"]), _column()],
            ["Stop sequences END\\n, ###", "Stop sequences unset"],
        ),
        ([_column(stream=False), _column()], ["Stream off", "Stream on"]),
        ([_column(tools=WEATHER_TOOL), _column()], ["Tools get_weather", "Tools unset"]),
        ([_column(model="m" * 60), _column()], ["m" * 39 + "…", "kimi-k2-thinking"]),
        ([_column()], ["Default settings"]),
        ([_column(temperature=0.2, max_tokens=50)], ["Temperature 0.2 · Max tokens 50"]),
    ],
)
def test_it_names_each_column_by_what_differs_between_them(columns, labels):
    assert column_labels(columns) == labels


def test_it_lists_both_sides_of_each_setting_two_columns_set_apart():
    first, second = _column(temperature=0.2), _column(temperature=1.5, max_tokens=100)
    assert setting_changes(first, second) == [
        ("Temperature", "0.2", "1.5"),
        ("Max tokens", "unset", "100"),
    ]
    assert setting_changes(first, first) == []


# --- estimate -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("columns", "repeats", "expected"),
    [
        ([_column(max_tokens=100), _column(max_tokens=200)], 3, Estimate(6, 900, [])),
        ([_column(max_tokens=100, n=2)], 2, Estimate(2, 400, [])),
        ([_column(max_tokens=100), _column(), _column()], 2, Estimate(6, None, [1, 2])),
        ([], 1, Estimate(0, 0, [])),
    ],
)
def test_it_estimates_requests_and_the_token_bound(columns, repeats, expected):
    assert estimate(columns, repeats) == expected
