"""Extra request fields (chat/api/extra.py): read by the panel's reader, merged by
build_body, shown by "view code"."""

from __future__ import annotations

import json

import pytest

from chat.api.extra import MAX_EXTRA_BYTES, MAX_EXTRA_DEPTH
from chat.api.params import OWNED_FIELDS, PARAMS, build_body, form_values, parse_form
from chat.api.rules import validate_body
from chat.api.snippets import snippets
from tests.api.samples import USER_HELLO


def _read(raw: object) -> tuple[object, str | None]:
    settings, errors = parse_form({"extra_body": raw})
    return settings["extra_body"], errors.get("extra_body")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ('{"reasoning_effort": "high"}', {"reasoning_effort": "high"}),
        ('{"chat_template_kwargs": {"thinking": true}}', {"chat_template_kwargs": {"thinking": True}}),  # noqa: E501
        ('{"reasoning": {"effort": "low", "x": [false]}}', {"reasoning": {"effort": "low", "x": [False]}}),  # noqa: E501
        ('\n  {"tool_choice": "required"}\n', {"tool_choice": "required"}),  # no panel field
        ({"reasoning_effort": "high"}, {"reasoning_effort": "high"}),  # a socket frame's object
        ('{"tag": "ünïcode ✓"}', {"tag": "ünïcode ✓"}),
    ],
)  # fmt: skip
def test_it_reads_a_json_object(raw, expected):
    assert _read(raw) == (expected, None)


@pytest.mark.parametrize("raw", ["", "   \n", None, "{}", "null", {}])
def test_empty_means_no_extra_fields(raw):
    assert _read(raw) == (None, None)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("[1, 2]", "must be a JSON object, like {\"reasoning_effort\": \"high\"}, not an array."),
        ('"high"', "must be a JSON object, like {\"reasoning_effort\": \"high\"}, not a string."),
        ("2", "not a number."),
        ("true", "not a boolean."),
        (["reasoning_effort"], "not an array."),
        ('{"reasoning_effort": "high"', "Expecting ',' delimiter at line 1, column 28."),
        ('{\n  "a": 1,\n}', "at line 3, column 1."),  # Python's wording varies by version
        ("{'a': 1}", "Expecting property name enclosed in double quotes at line 1, column 2."),
        ('{"a": NaN}', "not valid JSON: NaN is not a JSON number."),
        ('{"a": Infinity}', "not valid JSON: Infinity is not a JSON number."),
    ],
)  # fmt: skip
def test_what_is_not_a_json_object_is_refused_saying_why(raw, message):
    value, error = _read(raw)
    assert value is None
    assert error is not None and error.startswith("Extra request fields")
    assert error.endswith(message)


# Every body field a panel field sets, and the field to use instead.
OWNED = [
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
    ("stream_options", "Stream"),
    ("tools", "Tools"),
]


def test_every_parameter_of_the_table_is_owned():
    assert dict(OWNED) == OWNED_FIELDS
    assert {name for name in PARAMS if name != "extra_body"} <= set(OWNED_FIELDS)


@pytest.mark.parametrize(("key", "label"), OWNED)
def test_a_key_a_parameter_owns_is_refused_naming_the_field(key, label):
    raw = json.dumps({"reasoning_effort": "high", key: 1})
    assert _read(raw) == (None, f'"{key}" is set by the {label} field; use it instead.')


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ('{"messages": []}', '"messages" is the conversation itself'),
        ('{"extra_body": {"a": 1}}', '"extra_body" is how the openai package wraps these fields'),
        ('{"": 1}', "Extra request fields: a field name cannot be empty."),
        ('{"a": "\\u0000"}', "Extra request fields: a NUL character (\\u0000) cannot be saved"),
        ('{"\\u0000": 1}', "Extra request fields: a NUL character"),
        ('{"a": ["\\ud800"]}', "Extra request fields: a lone surrogate"),
    ],
)
def test_keys_and_text_that_cannot_be_sent_or_kept_are_refused(raw, message):
    value, error = _read(raw)
    assert value is None
    assert error is not None and error.startswith(message)


def test_the_size_is_bounded_on_the_compact_json():
    # {"a":"xxx…"} is 8 bytes around the string.
    fits = json.dumps({"a": "x" * (MAX_EXTRA_BYTES - 8)}, indent=4)
    assert _read(fits)[1] is None
    value, error = _read(json.dumps({"a": "x" * (MAX_EXTRA_BYTES - 7)}))
    assert value is None
    assert error == "Extra request fields are too long: 4,097 bytes of JSON; at most 4,096."
    assert "too long" in str(_read(" " * 70_000 + "{}")[1])


def test_the_depth_is_bounded():
    def nested(levels: int) -> str:
        return '{"a": ' * levels + "1" + "}" * levels

    assert _read(nested(MAX_EXTRA_DEPTH))[1] is None
    too_deep = "Extra request fields are nested too deeply: at most 8 levels of objects and arrays."
    assert _read(nested(MAX_EXTRA_DEPTH + 1)) == (None, too_deep)
    # Deeper than Python's own parser goes: refused the same way, not a crash.
    assert _read('{"a": ' + "[" * 20_000 + "]" * 20_000 + "}")[1] == too_deep


def test_the_fields_are_merged_last_into_the_body():
    settings, errors = parse_form(
        {"temperature": "0.5", "extra_body": '{"reasoning_effort": "high", "seed": 7}'}
    )
    assert errors == {}
    body = build_body(settings, USER_HELLO)
    assert list(body)[-2:] == ["reasoning_effort", "seed"]
    assert body["temperature"] == 0.5 and body["reasoning_effort"] == "high"
    # The API (and the simulator) take fields they do not know.
    assert validate_body(body) == {}


def test_a_kept_setting_never_overrides_what_a_parameter_owns():
    # Settings kept from before the check, or written by hand, are merged with care too.
    settings = {"temperature": 0.5, "extra_body": {"temperature": 2, "top_p": 0.1, "x": 1}}
    body = build_body(settings, USER_HELLO)
    assert body["temperature"] == 0.5
    assert "top_p" not in body
    assert body["x"] == 1


def test_the_panel_shows_them_again_as_one_line_of_json():
    settings, _ = parse_form({"extra_body": '{\n  "reasoning": {"effort": "high"}\n}'})
    shown = form_values(settings)["extra_body"]
    assert shown == '{"reasoning": {"effort": "high"}}'
    assert parse_form({"extra_body": shown})[0]["extra_body"] == settings["extra_body"]
    assert form_values({"extra_body": None})["extra_body"] == ""


def test_view_code_sends_them_in_every_language():
    settings, _ = parse_form({"extra_body": '{"reasoning_effort": "high"}'})
    body = build_body(settings, USER_HELLO)
    code = {s.name: s.code for s in snippets("http://host/v1", body)}
    assert '"reasoning_effort": "high"' in code["curl"]
    assert '"reasoning_effort": "high"' in code["httpx"]
    assert '"reasoning_effort": "high"' in code["fetch"]
    # The openai package sends fields it does not know through extra_body.
    assert 'extra_body={"reasoning_effort": "high"}' in code["openai"]
