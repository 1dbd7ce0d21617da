"""The comparison builder's form, read and edited without a database."""

from __future__ import annotations

import pytest

from chat.compare import form as builder_form


def form(*columns: dict, **fields) -> dict:
    data = {"message-0-role": "user", "message-0-content": "Hi", "repeats": "1"}
    for index, values in enumerate(columns):
        for name, value in {"model": "kimi-k2-thinking", "stream": "true", **values}.items():
            data[f"column-{index}-{name}"] = value
    return {**data, **fields}


def test_it_reads_rows_in_numeric_order_across_gaps():
    data = form(
        {"temperature": "0.2"},
        **{
            "column-7-model": "kimi-k2-thinking-turbo",
            "column-7-temperature": "0.9",
            "message-3-role": "assistant",
            "message-3-content": "Earlier answer",
            "message-10-role": "user",
            "message-10-content": "Follow-up",
        },
    )
    builder = builder_form.read(data)
    assert [c.settings["temperature"] for c in builder.columns] == [0.2, 0.9]
    assert builder.columns[1].settings["model"] == "kimi-k2-thinking-turbo"
    assert builder.columns[1].settings["stream"] is False  # an unticked box sends nothing
    assert [m["content"] for m in builder.messages] == ["Hi", "Earlier answer", "Follow-up"]
    assert builder_form.check(builder) == {}


@pytest.mark.parametrize(
    ("data", "key", "message"),
    [
        (form({"temperature": "2.5"}), "column-0-temperature", "Column 1: Temperature must be"),
        (form({}, repeats="11"), "repeats", "Repeats must be a whole number from 1 to 10."),
        (form({}, repeats="two"), "repeats", "Repeats must be a whole number from 1 to 10."),
        (form({}, **{"message-0-content": " "}), "message-0-content", "Message 1 is empty"),
        (
            form({}, **{"message-0-role": "assistant"}),
            "messages",
            "The last message must be yours",
        ),
        (form(*[{}] * 13), "columns", "At most 12 columns (you have 13)."),
        (form(), "columns", "Add at least one column"),
    ],
)
def test_check_names_what_stops_a_run(data, key, message):
    errors = builder_form.check(builder_form.read(data))
    assert errors[key].startswith(message)


def test_a_new_column_copies_the_last_one_as_typed():
    builder = builder_form.read(form({"temperature": "0.1"}, {"temperature": "0.7", "top_k": "4"}))
    builder_form.add_column(builder)
    assert builder.columns[2].settings == builder.columns[1].settings
    builder.columns[2].settings["top_k"] = 9  # a copy, not the same dict
    assert builder.columns[1].settings["top_k"] == 4


def test_the_last_column_and_message_cannot_be_removed():
    builder = builder_form.read(form({}))
    builder_form.remove_column(builder, 0)
    builder_form.remove_message(builder, 0)
    assert len(builder.columns) == 1 and len(builder.messages) == 1


def test_a_sweep_replaces_the_columns_with_its_grid_over_column_one():
    data = form(
        {"temperature": "1", "max_tokens": "300"},
        {"temperature": "0.3"},
        **{
            "sweep-1-param": "temperature",
            "sweep-1-values": "0, 0.5, 1.0,",
            "sweep-2-param": "top_p",
            "sweep-2-values": "0.9, 1",
        },
    )
    builder = builder_form.read(data)
    assert builder_form.apply_sweep(builder) == {}
    grid = [(c.settings["temperature"], c.settings["top_p"]) for c in builder.columns]
    assert grid == [(0, 0.9), (0, 1), (0.5, 0.9), (0.5, 1), (1, 0.9), (1, 1)]
    assert {c.settings["max_tokens"] for c in builder.columns} == {300}
    assert builder.sweep_record == {
        "params": [
            {"name": "temperature", "values": "0, 0.5, 1.0,"},
            {"name": "top_p", "values": "0.9, 1"},
        ]
    }


@pytest.mark.parametrize(
    ("sweep", "key", "message"),
    [
        ({}, "sweep", "Choose a parameter to sweep"),
        ({"sweep-1-param": "temperature"}, "sweep", "Give at least one value for Temperature."),
        (
            {"sweep-1-param": "temperature", "sweep-1-values": "0, 3"},
            "sweep-1-values",
            "Temperature: 3: Temperature must be between 0 and 2.",
        ),
        ({"sweep-1-param": "stop", "sweep-1-values": "a"}, "sweep", "Stop sequences cannot be"),
        (
            {"sweep-1-param": "top_k", "sweep-1-values": ",".join(str(k) for k in range(1, 14))},
            "sweep",
            "This sweep makes 13 columns; at most 12.",
        ),
    ],
)
def test_a_bad_sweep_says_why_and_changes_nothing(sweep, key, message):
    builder = builder_form.read(form({"temperature": "0.4"}, **sweep))
    errors = builder_form.apply_sweep(builder)
    assert errors[key].startswith(message)
    assert [c.settings["temperature"] for c in builder.columns] == [0.4]


@pytest.mark.parametrize(
    ("confirmed", "repeats", "expected"),
    [("", "2", 4), ("4", "2", None), ("3", "2", 4), ("", "1", None)],
)
def test_above_the_limit_a_run_needs_the_exact_count_confirmed(confirmed, repeats, expected):
    data = form({}, {"temperature": "0"}, repeats=repeats, confirm_requests=confirmed)
    assert builder_form.needs_confirmation(builder_form.read(data), limit=3) == expected
