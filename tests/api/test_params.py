"""The parameter definitions and the settings panel's reader (chat/api/params.py)."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chat.api.params import (
    DEFAULT_MODELS,
    PARAMS,
    THINKING_MODELS,
    build_body,
    changed_settings,
    default_settings,
    form_values,
    parse_form,
)
from chat.api.rules import validate_body
from chat.api.tools import MAX_TOOLS, validate_tools
from tests.api.samples import ASCII_32, MULTIBYTE_33, USER_HELLO, tool, tools

# --- the definitions ------------------------------------------------------------------


def test_params_are_in_request_order_with_their_labels():
    assert [(p.name, p.label) for p in PARAMS.values()] == [
        ("model", "Model"),
        ("temperature", "Temperature"),
        ("top_p", "Top P"),
        ("top_k", "Top K"),
        ("max_tokens", "Max tokens"),
        ("n", "Choices (n)"),
        ("presence_penalty", "Presence penalty"),
        ("frequency_penalty", "Frequency penalty"),
        ("response_format", "Response format"),
        ("stop", "Stop sequences"),
        ("stream", "Stream"),
        ("tools", "Tools"),
        ("extra_body", "Extra request fields"),
    ]


@pytest.mark.parametrize(
    ("name", "minimum", "maximum", "step", "default"),
    [
        ("temperature", 0, 2, 0.01, 1.0),
        ("top_p", 0, 1, 0.01, 1.0),
        ("top_k", 1, None, 1, None),
        ("max_tokens", 1, None, 1, None),
        ("n", 1, 5, 1, 1),
        ("presence_penalty", -2, 2, 0.01, 0.0),
        ("frequency_penalty", -2, 2, 0.01, 0.0),
    ],
)
def test_numeric_params_carry_the_api_ranges_and_defaults(name, minimum, maximum, step, default):
    param = PARAMS[name]
    assert (param.minimum, param.maximum, param.step, param.default) == (
        minimum,
        maximum,
        step,
        default,
    )


def test_every_param_has_help_and_only_model_is_required():
    assert all(p.help for p in PARAMS.values())
    assert [p.name for p in PARAMS.values() if not p.optional] == ["model"]
    assert PARAMS["response_format"].choices == ("text", "json_object")


@pytest.mark.parametrize(
    ("model", "thinking"),
    [
        ("kimi-k2-thinking", True),
        ("kimi-k2-thinking-turbo", True),
        ("kimi-k2-thinking-preview", True),
        ("kimi-k2", False),
        ("gpt-4o", False),
    ],
)
def test_thinking_models_are_the_kimi_k2_thinking_family(model, thinking):
    assert (model in THINKING_MODELS) is thinking
    assert model.startswith(THINKING_MODELS) is thinking


# --- parse_form: the settings panel ---------------------------------------------------


def test_an_empty_form_gives_the_default_settings():
    settings, errors = parse_form({})
    assert errors == {}
    assert settings == default_settings()
    assert settings["model"] == DEFAULT_MODELS[0]
    assert settings["stream"] is True
    assert [n for n, v in settings.items() if v is not None] == ["model", "stream"]


def test_empty_strings_leave_every_optional_field_unset():
    form = {name: "" for name in PARAMS}
    settings, errors = parse_form(form)
    assert errors == {}
    assert settings["model"] == DEFAULT_MODELS[0]
    assert settings["stream"] is False  # an empty checkbox value means off
    assert all(settings[n] is None for n in PARAMS if n not in ("model", "stream"))


@pytest.mark.parametrize(
    ("field", "raw", "value"),
    [
        ("temperature", "0", 0.0),
        ("temperature", "2", 2.0),
        ("temperature", " 0.7 ", 0.7),
        ("temperature", 0.7, 0.7),  # a websocket frame may send a JSON number
        ("top_p", "0", 0.0),
        ("top_p", "1", 1.0),
        ("n", "1", 1),
        ("n", "5", 5),
        ("n", 5, 5),
        ("top_k", "1", 1),
        ("max_tokens", "1", 1),
        ("max_tokens", "2000", 2000),
        ("presence_penalty", "-2", -2.0),
        ("presence_penalty", "2", 2.0),
        ("frequency_penalty", "-2", -2.0),
        ("frequency_penalty", "2", 2.0),
        ("model", "kimi-k2-thinking-turbo", "kimi-k2-thinking-turbo"),
        ("response_format", "text", "text"),
        ("response_format", "json_object", "json_object"),
        ("response_format", {"type": "json_object"}, "json_object"),
    ],
)
def test_form_accepts_values_at_the_boundaries(field, raw, value):
    settings, errors = parse_form({field: raw})
    assert errors == {}
    assert settings[field] == value
    assert type(settings[field]) is type(value)


@pytest.mark.parametrize(
    ("field", "raw", "message"),
    [
        ("temperature", "abc", "Temperature must be a number."),
        ("temperature", "nan", "Temperature must be a number."),
        ("temperature", True, "Temperature must be a number."),
        ("temperature", "-0.01", "Temperature must be between 0 and 2."),
        ("temperature", "2.01", "Temperature must be between 0 and 2."),
        ("top_p", "1.01", "Top P must be between 0 and 1."),
        ("top_p", "-0.5", "Top P must be between 0 and 1."),
        ("n", "0", "Choices (n) must be between 1 and 5."),
        ("n", "6", "Choices (n) must be between 1 and 5."),
        ("n", "1.5", "Choices (n) must be a whole number."),
        ("top_k", "0", "Top K must be at least 1."),
        ("top_k", "ten", "Top K must be a whole number."),
        ("max_tokens", "0", "Max tokens must be at least 1."),
        ("max_tokens", "1.5", "Max tokens must be a whole number."),
        ("presence_penalty", "-2.01", "Presence penalty must be between -2 and 2."),
        ("presence_penalty", "2.01", "Presence penalty must be between -2 and 2."),
        ("frequency_penalty", "-2.01", "Frequency penalty must be between -2 and 2."),
        ("frequency_penalty", "2.01", "Frequency penalty must be between -2 and 2."),
        ("response_format", "xml", "Response format must be text or json_object."),
        ("stream", "maybe", "Stream must be on or off."),
    ],
)
def test_form_rejects_bad_values_with_a_message_a_person_can_act_on(field, raw, message):
    settings, errors = parse_form({field: raw})
    assert errors == {field: message}
    assert settings[field] == default_settings()[field]  # a bad value is left unset


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        *[("on", True), ("true", True), ("1", True), ("TRUE", True), (True, True)],
        *[("false", False), ("0", False), ("", False), (False, False)],
    ],
)
def test_stream_reads_checkbox_values(raw, value):
    settings, errors = parse_form({"stream": raw})
    assert errors == {}
    assert settings["stream"] is value


def test_stream_defaults_on_when_the_form_leaves_it_out():
    assert parse_form({"temperature": "1"})[0]["stream"] is True


@pytest.mark.parametrize(
    ("raw", "stops"),
    [
        ("END", ["END"]),
        ("a\nb\r\nc", ["a", "b", "c"]),
        ("a\n\n   \nb\n", ["a", "b"]),  # blank lines are ignored
        (r"\n", ["\n"]),  # a newline as a stop sequence
        (r"END\n\n###", ["END\n\n###"]),
        (r"a\tb", ["a\tb"]),
        (r"C:\\path", ["C:\\path"]),
        (r"\\n", ["\\n"]),  # an escaped backslash, then a plain n
        (r"\x", ["\\x"]),  # unknown escapes stay as typed
        (["END", "", "STOP"], ["END", "STOP"]),
        ("\n".join(["s"] * 5), ["s"] * 5),
        (ASCII_32, [ASCII_32]),
        ("é" * 16, ["é" * 16]),  # 32 bytes in UTF-8
        ("", None),
        ("\n\n", None),
        ([], None),
    ],
)
def test_form_reads_stop_sequences_one_per_line_with_escapes(raw, stops):
    settings, errors = parse_form({"stop": raw})
    assert errors == {}
    assert settings["stop"] == stops


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("\n".join("abcdef"), "At most 5 stop sequences (you gave 6)."),
        (list("abcdef"), "At most 5 stop sequences (you gave 6)."),
        (MULTIBYTE_33, f'Stop sequence "{MULTIBYTE_33}" is 33 bytes in UTF-8'),
        ("x" * 33, "is 33 bytes in UTF-8; the limit is 32 bytes."),
        ("ok\n" + "y" * 40, '"' + "y" * 40 + '" is 40 bytes'),
        ([1, 2], "Stop sequences must be text"),
    ],
)
def test_form_rejects_too_many_or_too_long_stop_sequences(raw, expected):
    settings, errors = parse_form({"stop": raw})
    assert expected in errors["stop"]
    assert settings["stop"] is None


def test_form_reads_tools_from_json_text_or_a_list():
    tools = [tool()]
    assert parse_form({"tools": json.dumps(tools)}) == ({**default_settings(), "tools": tools}, {})
    assert parse_form({"tools": tools})[0]["tools"] == tools
    assert parse_form({"tools": "  "})[0]["tools"] is None
    assert parse_form({"tools": "[]"})[0]["tools"] is None


def _nested(depth: int) -> object:
    value: object = {}
    for _ in range(depth - 1):
        value = {"properties": value}
    return value


def test_tools_nested_as_deep_as_allowed_are_kept():
    tool = {"type": "function", "function": {"name": "f", "description": "d"}}
    # 64 levels with the array and the tool
    tool["function"]["parameters"] = {"type": "object", "properties": _nested(60)}
    settings, errors = parse_form({"tools": json.dumps([tool])})
    assert errors == {} and settings["tools"] == [tool]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("m" * 201, "Model must be at most 200 characters (this one has 201)."),
        ("kimi\x00", "Model must be a model name."),
        ("kimi\ud800", "Model must be a model name."),
    ],
)
def test_form_rejects_a_model_name_that_cannot_be_kept(raw, expected):
    assert parse_form({"model": raw})[1]["model"] == expected


def test_a_model_name_of_200_characters_is_kept():
    assert parse_form({"model": "m" * 200})[0]["model"] == "m" * 200


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("[{", "Tools is not valid JSON: Expecting property name enclosed in double quotes"),
        ('[\n  {"type": "function",\n   "function": }]', "Expecting value at line 3, column 16."),
        ('{"type": "function"}', "Tools must be a JSON array"),
        (json.dumps(tools(MAX_TOOLS + 1)), "At most 128 tools (you gave 129)."),
        (json.dumps([{"type": "function", "function": {}}]), "Tool 1: the function needs a name"),
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),  # beyond what json.loads can
        ("[" * 65 + "]" * 65, "nested too deeply: at most 64 levels"),
        ([[[[[]]]]] * 2 + [_nested(70)], "nested too deeply"),  # a socket frame's JSON value
    ],
)
def test_form_rejects_bad_tools(raw, expected):
    settings, errors = parse_form({"tools": raw})
    assert expected in errors["tools"]
    assert settings["tools"] is None


def test_form_values_round_trip_through_parse_form():
    settings = {
        **default_settings(),
        "model": "kimi-k2-thinking-turbo",
        "temperature": 0.3,
        "n": 2,
        "stop": ["END\n", "a\\b", "\t"],
        "stream": False,
        "response_format": "json_object",
        "tools": [tool()],
    }
    values = form_values(settings)
    assert values["stop"] == "END\\n\na\\\\b\n\\t"
    assert parse_form(values) == (settings, {})


# Any character but CR (a textarea turns CRLF into LF); at most 8 characters keeps every
# sequence within 32 bytes; whitespace-only lines are blank by design.
STOP_TEXT = st.text(
    st.characters(blacklist_characters="\r", blacklist_categories=("Cs",)), min_size=1, max_size=8
).filter(str.strip)


# A busy machine makes examples slow, not wrong: no deadline, no speed check.
@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(STOP_TEXT, min_size=1, max_size=5))
def test_any_stop_list_survives_the_textarea(stops):
    settings = {**default_settings(), "stop": stops}
    assert parse_form(form_values(settings)) == (settings, {})


# --- the tools check both readers share ----------------------------------------------


@pytest.mark.parametrize(
    ("tools", "expected"),
    [
        (tools(MAX_TOOLS), None),
        ([tool("a-b_C9")], None),
        ([tool("x" * 64)], None),
        (tools(MAX_TOOLS + 1), "At most 128 tools (you gave 129)."),
        ("get_weather", "Tools must be a JSON array of tool objects."),
        ([1], "Tool 1: each tool must be an object."),
        ([{**tool(), "type": "retrieval"}], 'Tool 1: type must be "function".'),
        ([{"type": "function"}], 'Tool 1: "function" must be an object'),
        (
            [{"type": "function", "function": {"description": "d", "parameters": {}}}],
            "Tool 1: the function needs a name.",
        ),
        ([tool(), tool("has space")], 'Tool 2: function name "has space" must be 1 to 64'),
        ([tool("x" * 65)], "must be 1 to 64 letters, digits, underscores or hyphens"),
        ([tool("f\n")], "must be 1 to 64 letters"),
        ([tool("f"), tool("f")], 'Tool 2: the name "f" is already used by tool 1.'),
        (
            [{"type": "function", "function": {"name": "f", "parameters": {}}}],
            'function "f" needs a description',
        ),
        (
            [{"type": "function", "function": {"name": "f", "description": ""}}],
            'function "f" needs parameters',
        ),
        (
            [{"type": "function", "function": {"name": "f", "description": "", "parameters": {}}}],
            'function "f": parameters must be an object schema ("type": "object").',
        ),
        (
            [
                {
                    "type": "function",
                    "function": {
                        "name": "f",
                        "description": "",
                        "parameters": {"type": "object", "properties": []},
                    },
                }
            ],
            'function "f": parameters.properties must be an object.',
        ),
    ],
)
def test_validate_tools(tools, expected):
    message = validate_tools(tools)
    if expected is None:
        assert message is None
    else:
        assert expected in message


# --- build_body -----------------------------------------------------------------------


def _no_none_anywhere(value: object) -> bool:
    if isinstance(value, dict):
        return all(_no_none_anywhere(v) for v in value.values())
    if isinstance(value, list):
        return all(_no_none_anywhere(v) for v in value)
    return value is not None


def test_default_settings_build_a_minimal_streaming_body():
    assert build_body(default_settings(), USER_HELLO) == {
        "model": "kimi-k2-thinking",
        "messages": USER_HELLO,
        "stream": True,
        "stream_options": {"include_usage": True},
    }


def test_build_body_puts_every_set_field_in_params_order():
    settings, errors = parse_form(
        {
            "model": "kimi-k2-thinking-turbo",
            "temperature": "0.6",
            "top_p": "0.9",
            "top_k": "40",
            "max_tokens": "2000",
            "n": "2",
            "presence_penalty": "0.5",
            "frequency_penalty": "-0.5",
            "response_format": "json_object",
            "stop": r"END\n",
            "stream": "false",
            "tools": json.dumps([tool()]),
            "extra_body": '{"reasoning_effort": "high"}',
        }
    )
    assert errors == {}
    body = build_body(settings, USER_HELLO)
    assert body == {
        "model": "kimi-k2-thinking-turbo",
        "messages": USER_HELLO,
        "temperature": 0.6,
        "top_p": 0.9,
        "top_k": 40,
        "max_tokens": 2000,
        "n": 2,
        "presence_penalty": 0.5,
        "frequency_penalty": -0.5,
        "response_format": {"type": "json_object"},
        "stop": ["END\n"],
        "stream": False,
        "tools": [tool()],
        "reasoning_effort": "high",
    }
    parameters = [n for n in PARAMS if n not in ("model", "extra_body")]
    # The extra request fields come last, merged in as they are.
    assert list(body) == ["model", "messages", *parameters, "reasoning_effort"]
    assert validate_body(body) == {}


@pytest.mark.parametrize(
    "form",
    [
        {},
        {name: "" for name in PARAMS},
        {"temperature": "0", "n": "5"},
        {"response_format": "text"},
        {"stop": "a\nb\nc\nd\ne"},
        {"top_k": "1", "max_tokens": "1"},
    ],
)
def test_build_body_leaves_unset_fields_out_and_passes_validation(form):
    settings, errors = parse_form(form)
    assert errors == {}
    body = build_body(settings, USER_HELLO)
    assert _no_none_anywhere(body)
    assert "response_format" not in body  # "text" is the API default
    assert validate_body(body) == {}


# --- summaries ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({}, {}),
        ({"temperature": 1.0, "n": 1, "response_format": "text"}, {}),  # set to the defaults
        ({"temperature": 0.2}, {"temperature": 0.2}),
        ({"stream": False}, {"stream": False}),
        ({"model": "kimi-k2-thinking-turbo"}, {"model": "kimi-k2-thinking-turbo"}),
        ({"stop": ["END"], "top_k": 5}, {"top_k": 5, "stop": ["END"]}),
    ],
)
def test_changed_settings_keeps_only_what_differs_from_the_defaults(changes, expected):
    assert changed_settings({**default_settings(), **changes}) == expected
