"""Import: an upload read back into a checked conversation, or refused in words
(pure, no database)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chat.conversations import exports, imports
from chat.conversations.imports import ImportProblem, parse_import


@pytest.mark.parametrize(
    ("document", "system_prompt", "chain"),
    [
        (
            [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello."}],
            "",
            [("user", "Hi"), ("assistant", "Hello.")],
        ),
        (
            {
                "model": "x",
                "messages": [
                    {"role": "system", "content": "Be brief."},
                    {"role": "user", "content": [{"type": "text", "text": "Hi"}]},
                ],
            },
            "Be brief.",
            [("user", "Hi")],
        ),
        (
            [
                {"role": "user", "content": "Q"},
                {"role": "assistant", "content": None, "reasoning_content": "Hmm", "tool_calls": [
                    {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}
                ]},
            ],
            "",
            [("user", "Q"), ("assistant", "")],
        ),
    ],
)  # fmt: skip
def test_a_plain_messages_array_imports_as_a_chain(document, system_prompt, chain):
    imported = parse_import(json.dumps(document).encode())
    assert imported.system_prompt == system_prompt
    assert [(m["role"], m["content"]) for m in imported.messages] == chain
    assert [m["parent"] for m in imported.messages] == [
        None,
        *[m["ref"] for m in imported.messages][:-1],
    ]
    assert imported.current_leaf == imported.messages[-1]["ref"]


def test_a_plain_import_keeps_reasoning_and_tool_calls():
    document = [
        {"role": "user", "content": "Q"},
        {"role": "assistant", "content": "A", "reasoning_content": "Because."},
    ]
    answer = parse_import(json.dumps(document).encode()).messages[1]
    assert answer["reasoning"] == "Because." and answer["status"] == "complete"


CALLS = [
    {"id": "c1", "type": "function", "function": {"name": "get_weather", "arguments": "{}"}},
    {"id": "c2", "type": "function", "function": {"name": "calculate", "arguments": "{}"}},
]


def test_a_plain_import_keeps_tool_results_as_one_message_under_their_calls():
    document = [
        {"role": "user", "content": "Weather, and 12 * 7?"},
        {"role": "assistant", "content": None, "reasoning_content": "Two.", "tool_calls": CALLS},
        {"role": "tool", "tool_call_id": "c1", "content": "Sunny"},
        {"role": "tool", "tool_call_id": "c2", "content": "84"},
        {"role": "assistant", "content": "Sunny, and 84."},
    ]
    messages = parse_import(json.dumps(document).encode()).messages
    assert [m["role"] for m in messages] == ["user", "assistant", "tool", "assistant"]
    assert [m["parent"] for m in messages[1:]] == [m["ref"] for m in messages[:-1]]
    assert messages[2]["tool_results"] == [
        {"tool_call_id": "c1", "name": "get_weather", "content": "Sunny", "failed": False},
        {"tool_call_id": "c2", "name": "calculate", "content": "84", "failed": False},
    ]


def _export_with(**changes) -> bytes:
    item = {"id": 1, "parent": None, "role": "user", "content": "Hi"}
    item.update(changes)
    return json.dumps({"format": exports.EXPORT_FORMAT, "tree": [item]}).encode()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"not json", "The file is not valid JSON: Expecting value (line 1, column 1)."),
        (b"\xff\xfe\xfa", "The file is not text in UTF-8"),
        (b'[{"role": "user", "content": NaN}]', "The file is not valid JSON"),
        (b'{"a": 1}', "Expected a Reasoning Playground export or an OpenAI-style messages array"),
        (b"42", "Expected a Reasoning Playground export"),
        (b"[]", "The file holds no messages"),
        (b'["hi"]', "Message 1: each message must be an object with role and content."),
        (b'[{"role": "bot", "content": "x"}]', 'Message 1: role "bot" cannot be imported'),
        (
            b'[{"role": "tool", "content": "x", "tool_call_id": "c9"}]',
            "Message 1: a tool result must follow the assistant message whose tool call "
            '(tool_call_id "c9") it answers.',
        ),
        (_export_with(role="tool"), "Message 1: a tool message needs tool_results"),
        (
            _export_with(role="tool", tool_results=[{"name": "f"}]),
            "Message 1, result 1: each result needs the tool_call_id it answers.",
        ),
        (b'[{"content": "x"}]', "Message 1: role null cannot be imported"),
        (b'[{"role": "user", "content": 5}]', "Message 1: the content is not text"),
        (b'[{"role": "user"}]', "Message 1: the content is not text"),
        (
            b'[{"role": "user", "content": "a"}, {"role": "system", "content": "b"}]',
            "Message 2: a system message may only come first.",
        ),
        (b'[{"role": "system", "content": "b"}]', "only a system message"),
        (
            b'[{"role": "user", "content": "a"}, {"role": "assistant", "tool_calls": [{}]}]',
            "Message 2: tool call 1 must be",
        ),
        (b'[{"role": "user", "content": "a\\u0000"}]', "NUL character"),
        (
            b'[{"role": "user", "content": "\\ud83d"}, {"role": "user", "content": "\\ude00"}]',
            "half of a surrogate pair",
        ),
        (b'[{"role": "user", "content": "x", "name\\udfff": 1}]', "half of a surrogate pair"),
        (b'{"format": "other/2", "tree": []}', 'Unknown format "other/2"'),
        (b'{"format": "reasoning-playground/1"}', "The export has no tree"),
        (_export_with(parent=7), "Message 1: its parent must be a message listed before it."),
        (_export_with(id=None), "Message 1: id must be a number or text"),
        (_export_with(role="system"), 'Message 1: role "system" cannot be imported'),
        (_export_with(status="done"), "Message 1: status must be one of"),
        (_export_with(timings={"sent_at": "yesterday"}), "timings.sent_at must be an ISO 8601"),
        (_export_with(model="m" * 201), "Message 1: model must be at most 200 characters."),
        (_export_with(choice_index=-1), "Message 1: choice_index must be a whole number"),
        (_export_with(usage=[1]), "Message 1: usage must be an object."),
        (_export_with(content={"text": "x"}), "Message 1: the content is not text"),
    ],
)
def test_a_bad_file_gets_a_clear_message(data, message):
    with pytest.raises(ImportProblem) as problem:
        parse_import(data)
    assert message in str(problem.value)


def test_duplicate_ids_and_a_missing_leaf_are_refused():
    item = {"id": 1, "parent": None, "role": "user", "content": "Hi"}
    document = {"format": exports.EXPORT_FORMAT, "tree": [item, item]}
    with pytest.raises(ImportProblem, match="unique in the tree"):
        parse_import(json.dumps(document).encode())
    document = {"format": exports.EXPORT_FORMAT, "tree": [item], "current_leaf": 9}
    with pytest.raises(ImportProblem, match="current_leaf 9 is not a message of the tree"):
        parse_import(json.dumps(document).encode())


def test_a_file_over_two_megabytes_is_refused_before_parsing():
    data = b'[{"role": "user", "content": "' + b"x" * imports.MAX_IMPORT_BYTES + b'"}]'
    with pytest.raises(ImportProblem, match="larger than 2 MB"):
        parse_import(data)


def test_more_than_five_thousand_messages_are_refused():
    document = [{"role": "user", "content": "x"}] * (imports.MAX_IMPORT_MESSAGES + 1)
    with pytest.raises(ImportProblem, match="5,001 messages; at most 5,000"):
        parse_import(json.dumps(document).encode())
    assert len(parse_import(json.dumps(document[:-1]).encode()).messages) == 5_000


def test_an_imported_streaming_message_is_interrupted_and_naive_times_are_utc():
    record = parse_import(
        _export_with(role="assistant", status="streaming", timings={"sent_at": "2025-01-01T10:00"})
    ).messages[0]
    assert record["status"] == "interrupted"
    assert record["timings"]["sent_at"] == datetime(2025, 1, 1, 10, tzinfo=UTC)


def test_imported_settings_go_through_the_panels_reader():
    document = json.loads(_export_with())
    document["settings"] = {"temperature": "hot", "top_p": 0.5, "evil": "x"}
    settings = parse_import(json.dumps(document).encode()).settings
    assert settings["temperature"] is None and settings["top_p"] == 0.5 and "evil" not in settings


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(["role", "content", "format", "tree", "id", "parent", "messages", "x"]),
            inner,
            max_size=5,
        )
    ),
    max_leaves=20,
)


@given(st.binary(max_size=64) | _json.map(lambda v: json.dumps(v).encode()))
def test_any_input_imports_or_gets_a_message(data):
    try:
        parse_import(data)
    except ImportProblem as problem:
        assert str(problem)
