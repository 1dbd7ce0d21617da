"""The API-strict reader of a request body (chat/api/rules.py)."""

from __future__ import annotations

import doctest

import pytest

import chat.api.rules
from chat.api.params import parse_form
from chat.api.rules import validate_body, validate_messages
from chat.api.tools import MAX_TOOLS
from tests.api.samples import ASCII_32, MULTIBYTE_33, USER_HELLO, request_body, tools


def test_the_docstring_examples_hold() -> None:
    assert doctest.testmod(chat.api.rules).failed == 0


# --- validate_body: what the API accepts ----------------------------------------------


@pytest.mark.parametrize(
    "fields",
    [
        {},
        {"temperature": 0},
        {"temperature": 2},
        {"temperature": 1.5},
        {"top_p": 0},
        {"top_p": 1},
        {"n": 1},
        {"n": 5},
        {"top_k": 1},
        {"max_tokens": 1},
        {"presence_penalty": -2},
        {"presence_penalty": 2},
        {"frequency_penalty": -2.0},
        {"frequency_penalty": 2.0},
        {"stop": "END"},
        {"stop": ["a", "b", "c", "d", "e"]},
        {"stop": [ASCII_32]},
        {"stop": ["é" * 16]},
        {"stream": True, "stream_options": {"include_usage": True}},
        {"stream": False},
        {"response_format": {"type": "text"}},
        {"response_format": {"type": "json_object"}},
        {"tools": tools(MAX_TOOLS)},
        {"temperature": None, "stop": None, "tools": None},  # null is unset
        {"unknown_field": "ignored", "user": "x"},
    ],
)
def test_api_accepts_valid_bodies(fields):
    assert validate_body(request_body(**fields)) == {}


@pytest.mark.parametrize(
    ("fields", "field", "expected"),
    [
        ({"temperature": -0.01}, "temperature", "between 0 and 2"),
        ({"temperature": 2.01}, "temperature", "between 0 and 2"),
        ({"temperature": "0.5"}, "temperature", "must be a number, not a string"),
        ({"temperature": True}, "temperature", "must be a number, not a boolean"),
        ({"temperature": float("nan")}, "temperature", "finite"),
        ({"top_p": 1.01}, "top_p", "between 0 and 1"),
        ({"n": 0}, "n", "between 1 and 5"),
        ({"n": 6}, "n", "between 1 and 5"),
        ({"n": 2.5}, "n", "must be an integer"),
        ({"top_k": 0}, "top_k", "at least 1"),
        ({"max_tokens": 0}, "max_tokens", "at least 1"),
        ({"max_tokens": True}, "max_tokens", "must be an integer, not a boolean"),
        ({"max_tokens": "100"}, "max_tokens", "must be an integer, not a string"),
        ({"presence_penalty": -2.01}, "presence_penalty", "between -2 and 2"),
        ({"presence_penalty": 2.01}, "presence_penalty", "between -2 and 2"),
        ({"frequency_penalty": -2.01}, "frequency_penalty", "between -2 and 2"),
        ({"frequency_penalty": 2.01}, "frequency_penalty", "between -2 and 2"),
        ({"stream": "true"}, "stream", "must be true or false"),
        ({"response_format": "json_object"}, "response_format", '{"type": "json_object"}'),
        ({"response_format": {"type": "xml"}}, "response_format", '{"type": "text"}'),
        ({"stop": list("abcdef")}, "stop", "At most 5 stop sequences (you gave 6)."),
        ({"stop": [MULTIBYTE_33]}, "stop", "33 bytes"),
        ({"stop": MULTIBYTE_33}, "stop", "the limit is 32 bytes"),
        ({"stop": [""]}, "stop", "cannot be empty"),
        ({"stop": ["a", 1]}, "stop", "a string or a list of strings"),
        ({"tools": tools(MAX_TOOLS + 1)}, "tools", "At most 128 tools (you gave 129)."),
        ({"tools": {"type": "function"}}, "tools", "JSON array"),
        ({"stream_options": {"include_usage": True}}, "stream_options", "when stream is true"),
        (
            {"stream": True, "stream_options": {"include_usage": "yes"}},
            "stream_options",
            "include_usage",
        ),
    ],
)
def test_api_rejects_bad_fields_naming_what_is_wrong(fields, field, expected):
    errors = validate_body(request_body(**fields))
    assert list(errors) == [field]
    assert expected in errors[field]


@pytest.mark.parametrize(
    ("body", "field", "expected"),
    [
        ({"messages": USER_HELLO}, "model", "model is required"),
        ({"model": "", "messages": USER_HELLO}, "model", "model is required"),
        ({"model": 3, "messages": USER_HELLO}, "model", "model is required"),
        ({"model": "kimi-k2-thinking"}, "messages", "messages is required"),
        ({"model": "kimi-k2-thinking", "messages": None}, "messages", "messages is required"),
        ({"model": "kimi-k2-thinking", "messages": []}, "messages", "at least one message"),
    ],
)
def test_api_requires_model_and_messages(body, field, expected):
    errors = validate_body(body)
    assert list(errors) == [field]
    assert expected in errors[field]


def test_api_rejects_a_body_that_is_not_an_object():
    assert validate_body([]) == {"body": "The request body must be a JSON object."}


def test_api_rejects_a_partial_assistant_message_with_json_mode():
    messages = [*USER_HELLO, {"role": "assistant", "content": "{", "partial": True}]
    assert validate_body(request_body(messages=messages)) == {}
    errors = validate_body(request_body(messages=messages, response_format={"type": "json_object"}))
    assert list(errors) == ["response_format"]
    assert "partial" in errors["response_format"]
    assert "json_object" in errors["response_format"]


# --- messages ---------------------------------------------------------------------

TOOL_CALL = {
    "id": "call_1",
    "type": "function",
    "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
}


@pytest.mark.parametrize(
    "messages",
    [
        USER_HELLO,
        [{"role": "system", "content": "Be brief."}, *USER_HELLO],
        [
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "What is this?"},
                    {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}},
                ],
            }
        ],
        [
            *USER_HELLO,
            {"role": "assistant", "content": "", "reasoning_content": "hm", "tool_calls": []},
        ],
        [
            *USER_HELLO,
            {"role": "assistant", "content": None, "tool_calls": [TOOL_CALL]},
            {"role": "tool", "tool_call_id": "call_1", "content": "18°C"},
        ],
        [*USER_HELLO, {"role": "assistant", "content": "Once upon", "partial": True}],
    ],
)
def test_messages_the_api_accepts(messages):
    assert validate_messages(messages) is None


@pytest.mark.parametrize(
    ("messages", "expected"),
    [
        ("hello", "Messages must be a list"),
        ([], "Messages must contain at least one message."),
        (["hello"], "Message 1: each message must be an object."),
        ([{"role": "bot", "content": "hi"}], 'Message 1: role "bot" is not one of system, user'),
        ([{"content": "hi"}], "Message 1: role null is not one of"),
        ([{"role": "user"}], "Message 1: content is required."),
        ([{"role": "user", "content": 5}], "content must be a string or a non-empty list"),
        ([{"role": "user", "content": []}], "non-empty list of content parts"),
        (
            [{"role": "user", "content": [{"type": "image_url", "image_url": {}}]}],
            "content part 1 must be",
        ),
        ([{"role": "user", "content": [{"type": "text"}]}], "content part 1 must be"),
        (
            [*USER_HELLO, {"role": "tool", "content": "18°C"}],
            "Message 2: a tool message needs the tool_call_id",
        ),
        ([*USER_HELLO, {"role": "assistant"}], "needs content or tool_calls"),
        (
            [*USER_HELLO, {"role": "assistant", "content": "a", "partial": "yes"}],
            "partial must be true or false",
        ),
        (
            [{"role": "assistant", "content": "a", "partial": True}, *USER_HELLO],
            "only the last message may be partial",
        ),
        ([{"role": "user", "content": "a", "partial": True}], "only assistant messages"),
        (
            [*USER_HELLO, {"role": "assistant", "content": "a", "reasoning_content": 1}],
            "reasoning_content must be a string",
        ),
        (
            [*USER_HELLO, {"role": "assistant", "tool_calls": [{"id": "c"}]}],
            "tool call 1 must be",
        ),
    ],
)
def test_messages_the_api_rejects(messages, expected):
    message = validate_messages(messages)
    assert message is not None
    assert expected in message
    assert validate_body(request_body(messages=messages))["messages"] == message


@pytest.mark.parametrize(
    "read",
    [
        lambda s: parse_form({"stop": s})[1],
        lambda s: validate_body(
            {
                "model": "kimi-k2-thinking",
                "messages": [{"role": "user", "content": "x"}],
                "stop": [s],
            }
        ),
    ],
)
def test_a_stop_sequence_that_is_not_valid_text_gets_a_message(read):
    assert "not valid text" in read("\ud800")["stop"]
