"""JSON mode's check of an answer (chat/api/jsonmode.py): pure, table-driven."""

from __future__ import annotations

import doctest

import pytest

import chat.api.jsonmode
from chat.api.jsonmode import JsonCheck, as_object, check, is_json_mode


def test_the_docstring_examples_hold() -> None:
    assert doctest.testmod(chat.api.jsonmode).failed == 0


@pytest.mark.parametrize(
    ("sent", "expected"),
    [
        ({"response_format": {"type": "json_object"}}, True),
        ({"response_format": {"type": "text"}}, False),
        ({"response_format": "json_object"}, False),  # not what the API takes
        ({}, False),
        (None, False),
    ],
)
def test_json_mode_is_what_the_request_asked_for(sent, expected) -> None:
    assert is_json_mode(sent) is expected


def test_a_valid_object_is_pretty_printed_keeping_its_text() -> None:
    assert check('{"name":"Zoë","tags":["a"],"n":1.50}') == JsonCheck(
        True, pretty='{\n  "name": "Zoë",\n  "tags": [\n    "a"\n  ],\n  "n": 1.5\n}'
    )


@pytest.mark.parametrize(
    ("text", "error", "line", "column"),
    [
        pytest.param('{"a": 1', "Expecting ',' delimiter", 1, 8, id="cut off"),
        pytest.param('{\n  "a": 1,\n  "b": tru\n}', "Expecting value", 3, 8, id="bad value"),
        pytest.param('{"a": 1} {"b": 2}', "Extra data", 1, 10, id="two objects"),
        pytest.param("", "Expecting value", 1, 1, id="empty"),
        pytest.param("Sure! Here it is", "Expecting value", 1, 1, id="prose"),
        pytest.param(
            "\n  [1, 2]", "JSON mode asks for an object, and this is an array", 2, 3, id="array"
        ),
        pytest.param('"hi"', "JSON mode asks for an object, and this is a string", 1, 1, id="str"),
        pytest.param("null", "JSON mode asks for an object, and this is null", 1, 1, id="null"),
        pytest.param("[" * 100_000, "Too deeply nested or too long a number", 1, 1, id="deep"),
    ],
)
def test_an_invalid_answer_says_what_and_where(text, error, line, column) -> None:
    assert check(text) == JsonCheck(False, error=error, line=line, column=column)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"a": 1}', {"a": 1.0}),
        ("[1]", None),
        ("{oops", None),
    ],
)
def test_as_object_reads_whole_numbers_as_floats_for_comparing(text, expected) -> None:
    assert as_object(text) == expected
