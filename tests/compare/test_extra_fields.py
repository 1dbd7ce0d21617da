"""Extra request fields in the comparison builder: per column, and swept."""

from __future__ import annotations

import pytest

from chat.compare import form as builder_form
from chat.compare import grid
from tests.compare.test_form import form

HIGH = '{"reasoning_effort": "high"}'


def test_a_column_keeps_its_extra_fields():
    builder = builder_form.read(form({"extra_body": HIGH}, {}))
    assert builder_form.check(builder) == {}
    assert builder.columns[0].settings["extra_body"] == {"reasoning_effort": "high"}
    assert builder.columns[1].settings["extra_body"] is None
    assert grid.differences(builder.settings)[1] == [("Extra request fields", "unset")]


def test_a_column_refuses_extra_fields_a_parameter_owns():
    builder = builder_form.read(form({"extra_body": '{"temperature": 2}'}))
    errors = builder_form.check(builder)
    assert errors["column-0-extra_body"] == (
        'Column 1: "temperature" is set by the Temperature field; use it instead.'
    )


def test_a_sweep_takes_json_objects_separated_by_commas():
    data = form(
        {"temperature": "0.7"},
        **{
            "sweep-1-param": "extra_body",
            "sweep-1-values": f'{{"reasoning_effort": "low", "x": [1, 2]}}, {HIGH},',
            "sweep-2-param": "temperature",
            "sweep-2-values": "0.2, 1",
        },
    )
    builder = builder_form.read(data)
    assert builder_form.apply_sweep(builder) == {}
    columns = [(c.settings["extra_body"], c.settings["temperature"]) for c in builder.columns]
    assert columns == [
        ({"reasoning_effort": "low", "x": [1, 2]}, 0.2),
        ({"reasoning_effort": "low", "x": [1, 2]}, 1),
        ({"reasoning_effort": "high"}, 0.2),
        ({"reasoning_effort": "high"}, 1),
    ]
    # Named in the panel's order: the extra fields come last.
    assert grid.column_labels(builder.settings)[2] == (
        'Temperature 0.2 · Extra request fields {"reasoning_effort": "high"}'
    )


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ('{"a": 1} {"a": 2}', "Extra request fields: give JSON objects separated by commas"),
        ('{"a": 1, ', "Extra request fields: give JSON objects separated by commas"),
        (
            '{"a": 1}, [2]',
            "Extra request fields: [2]: Extra request fields must be a JSON object",
        ),
        (
            '{"a": 1}, {"top_p": 0.5}',
            'Extra request fields: {"top_p": 0.5}: "top_p" is set by the Top P field',
        ),
    ],
)
def test_a_bad_extra_fields_sweep_says_why_and_changes_nothing(values, message):
    sweep = {"sweep-1-param": "extra_body", "sweep-1-values": values}
    builder = builder_form.read(form({"temperature": "0.4"}, **sweep))
    errors = builder_form.apply_sweep(builder)
    assert errors["sweep-1-values"].startswith(message)
    assert [c.settings["extra_body"] for c in builder.columns] == [None]


def test_the_same_object_twice_is_a_duplicate_whatever_its_key_order():
    sweep = {"sweep-1-param": "extra_body", "sweep-1-values": '{"a": 1, "b": 2}, {"b": 2, "a": 1}'}
    builder = builder_form.read(form({}, **sweep))
    assert "is listed twice" in builder_form.apply_sweep(builder)["sweep"]
