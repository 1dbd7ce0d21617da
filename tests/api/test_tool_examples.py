"""The "Tool examples" picker adds a ready definition to the Tools field."""

from __future__ import annotations

import json

import pytest

from chat.api.tools import EXAMPLES, validate_tools, with_example


def test_the_picker_offers_weather_calculator_and_web_search():
    assert list(EXAMPLES) == ["Weather", "Calculator", "Web search"]


@pytest.mark.parametrize("label", list(EXAMPLES))
def test_every_example_is_a_tool_the_api_accepts(label):
    assert validate_tools([EXAMPLES[label]]) is None


def test_an_example_is_added_after_the_tools_already_there():
    text, error = with_example("", "Weather")
    text, error = with_example(text, "Web search")
    assert error is None
    assert [t["function"]["name"] for t in json.loads(text)] == ["get_weather", "web_search"]


def test_an_example_already_there_is_not_added_twice():
    text, _ = with_example("", "Calculator")
    again, error = with_example(text, "Calculator")
    assert again == text
    assert error == 'A tool named "calculate" is already in Tools.'


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('[{"type": ', "Tools is not valid JSON: Expecting value at line 1, column 11."),
        ('{"type": "function"}', "Tools must be a JSON array before an example can be added"),
    ],
)
def test_text_that_is_not_a_tools_array_is_left_as_typed(text, expected):
    kept, error = with_example(text, "Weather")
    assert kept == text
    assert error is not None and error.startswith(expected)


def test_an_unknown_example_is_refused():
    assert (
        with_example("[]", "Stock prices")[1] == "There is no tool example called 'Stock prices'."
    )
