"""The saved conversation, as the API's messages list."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from chat.conversations.tree import api_messages


@dataclass
class Row:
    role: str
    content: str = ""
    reasoning: str = ""
    tool_calls: list | None = None
    status: str = "complete"
    choice_index: int = 0


CALL = [
    {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{}"}}
]


def test_a_first_prompt_with_a_system_prompt():
    assert api_messages("Be brief.", [], "Hi") == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Hi"},
    ]


def test_a_blank_system_prompt_is_left_out():
    assert api_messages("  \n", [], "Hi") == [{"role": "user", "content": "Hi"}]


def test_reasoning_is_not_sent_back_with_a_plain_answer():
    earlier = [Row("user", "Q1"), Row("assistant", "A1", reasoning="thinking")]
    assert api_messages("", earlier, "Q2") == [
        {"role": "user", "content": "Q1"},
        {"role": "assistant", "content": "A1"},
        {"role": "user", "content": "Q2"},
    ]


def test_reasoning_goes_back_with_tool_calls_as_moonshot_requires():
    earlier = [
        Row("user", "Weather?"),
        Row("assistant", "", reasoning="I should call", tool_calls=CALL),
    ]
    sent = api_messages("", earlier, "And tomorrow?")
    assert sent[1] == {
        "role": "assistant",
        "content": "",
        "tool_calls": CALL,
        "reasoning_content": "I should call",
    }


def test_the_paths_choice_is_carried_on_whatever_its_index():
    earlier = [Row("user", "Q1"), Row("assistant", "second", choice_index=1)]
    assert [m["content"] for m in api_messages("", earlier, "Q2")] == ["Q1", "second", "Q2"]


@pytest.mark.parametrize("status", ["error", "streaming"])
def test_failed_or_unfinished_answers_are_left_out(status):
    earlier = [Row("user", "Q1"), Row("assistant", "partial", status=status)]
    assert api_messages("", earlier, "Q2") == [
        {"role": "user", "content": "Q1"},
        {"role": "user", "content": "Q2"},
    ]


@pytest.mark.parametrize("status", ["stopped", "interrupted"])
def test_stopped_answers_are_kept_with_what_arrived(status):
    earlier = [Row("user", "Q1"), Row("assistant", "half", status=status)]
    assert api_messages("", earlier, "Q2")[1] == {"role": "assistant", "content": "half"}
