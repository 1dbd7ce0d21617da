"""What the playground says about settings and results (chat/api/guidance.py)."""

from __future__ import annotations

import pytest

from chat.api.guidance import advice, describe_finish
from chat.api.params import default_settings
from tests.api.samples import USER_HELLO

BOTH_SAMPLERS = "Changing both temperature and top_p is not recommended; adjust one of them."
THINKING_TEMPERATURE = "1.0 is the recommended temperature for kimi-k2-thinking models."
JSON_MODE = "JSON mode: ask for JSON explicitly in your prompt."
NO_JSON_YET = "Your prompt does not mention JSON yet."
ONE_CHOICE = "With temperature near 0 only one choice is returned."


@pytest.mark.parametrize(
    ("changes", "messages", "expected"),
    [
        ({}, None, []),
        ({"temperature": 1.0, "top_p": 1.0}, None, []),
        ({"top_p": 0.9}, None, []),
        ({"temperature": 0.7, "top_p": 0.9}, None, [BOTH_SAMPLERS, THINKING_TEMPERATURE]),
        ({"model": "gpt-4o", "temperature": 0.7, "top_p": 0.9}, None, [BOTH_SAMPLERS]),
        ({"temperature": 0.7}, None, [THINKING_TEMPERATURE]),
        ({"model": "kimi-k2-thinking-turbo", "temperature": 1.3}, None, [THINKING_TEMPERATURE]),
        ({"model": "gpt-4o", "temperature": 0.7}, None, []),
        ({"response_format": "json_object"}, None, [JSON_MODE]),
        ({"response_format": "json_object"}, USER_HELLO, [JSON_MODE, NO_JSON_YET]),
        (
            {"response_format": "json_object"},
            [{"role": "user", "content": "Reply in Json."}],
            [JSON_MODE],
        ),
        (
            {"response_format": "json_object"},
            [{"role": "user", "content": [{"type": "text", "text": "as JSON please"}]}],
            [JSON_MODE],
        ),
        ({"response_format": "text"}, USER_HELLO, []),
        ({"model": "gpt-4o", "n": 3, "temperature": 0}, None, [ONE_CHOICE]),
        ({"model": "gpt-4o", "n": 3, "temperature": 0.009}, None, [ONE_CHOICE]),
        ({"model": "gpt-4o", "n": 3, "temperature": 0.01}, None, []),
        ({"model": "gpt-4o", "n": 1, "temperature": 0}, None, []),
        ({"n": 3}, None, []),
    ],
)
def test_advice_fires_exactly_where_the_api_reference_applies(changes, messages, expected):
    assert advice({**default_settings(), **changes}, messages) == expected


@pytest.mark.parametrize(
    ("reason", "settings", "text"),
    [
        ("stop", None, "stop: the model finished its answer"),
        ("length", None, "length: stopped at max_tokens"),
        ("length", {"max_tokens": 10}, "length: stopped at max_tokens"),
        ("tool_calls", None, "tool_calls: the model asked to call a tool"),
        ("content_filter", None, "content_filter: the provider filtered the output"),
        (None, None, ""),
        ("something_new", None, "something_new"),
        (
            "stop",
            {"stop": ["END"]},
            "stop: the model finished its answer or reached a stop sequence",
        ),
    ],
)
def test_describe_finish_explains_the_reason(reason, settings, text):
    assert describe_finish(reason, settings) == text
