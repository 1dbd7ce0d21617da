"""The prompt path's images and tool turns, as the builder carries and checks them."""

from __future__ import annotations

import json

import pytest

from chat.compare import form as builder_form
from chat.compare import turns
from tests.compare.pictured import CALL, REASONING, RESULT

KEY = "ab" * 16
OTHER = "cd" * 16
USER = {"role": "user", "content": "Weather?"}
ASKS = {"role": "assistant", "content": "", "tool_calls": [CALL], "reasoning": REASONING}
ANSWERS = {"role": "tool", "content": "", "tool_results": [RESULT]}


def _fields(*messages: dict) -> dict:
    """The builder's fields for these messages, hidden ones included, as the page posts."""
    data: dict = {"repeats": "1", "column-0-model": "kimi-k2-thinking"}
    for index, message in enumerate(messages):
        data[f"message-{index}-role"] = message["role"]
        data[f"message-{index}-content"] = message["content"]
        for name, value in turns.hidden_fields(message):
            data[f"message-{index}-{name}"] = value
        if message.get("images"):
            data[f"message-{index}-image"] = message["images"]
    return data


def test_a_tool_turn_reads_back_as_it_was_carried():
    builder = builder_form.read(_fields({**USER, "images": [KEY]}, ASKS, ANSWERS))
    assert builder.messages == [{**USER, "images": [KEY]}, ASKS, ANSWERS]
    assert builder_form.check(builder) == {}  # tool results may end the path


def test_images_attached_in_the_builder_go_with_the_last_message():
    builder = builder_form.read({**_fields({**USER, "images": [KEY]}), "image": [OTHER]})
    assert builder.prompt_messages[-1]["images"] == [KEY, OTHER]
    assert builder.messages[-1]["images"] == [KEY]  # shown apart, with a remove button


@pytest.mark.parametrize(
    ("messages", "message"),
    [
        ([USER, ANSWERS], "Message 2: tool results must follow the tool calls they answer."),
        (
            [USER, ASKS, {**ANSWERS, "tool_results": [{**RESULT, "tool_call_id": "call_x"}]}],
            "Message 3: the tool results do not answer the calls before them.",
        ),
        (
            [USER, {**ASKS, "tool_calls": "not json"}, ANSWERS],
            "Message 2: its tool calls could not be read.",
        ),
        (
            [USER, ASKS, {**ANSWERS, "tool_results": "{"}],
            "Message 3: its tool results could not be read.",
        ),
        (
            [USER, {"role": "assistant", "content": "Hi", "images": [KEY]}, USER],
            "Message 2: only your own messages can carry images.",
        ),
        ([{**USER, "images": [KEY] * 9}], "Message 1 carries 9 images; at most 8."),
        ([{**USER, "images": [KEY, KEY]}], "Message 1: the same image is attached twice."),
    ],
)
def test_what_the_api_would_refuse_in_a_turn_is_named(messages, message):
    assert message in turns.problems(messages, 8).values()


def test_a_forged_key_is_left_out():
    assert turns.keys_of(["../../etc/passwd", KEY.upper(), KEY]) == [KEY]


def test_reasoning_is_carried_only_with_tool_calls():
    assert turns.hidden_fields({"role": "assistant", "content": "Hi", "reasoning": "x"}) == []
    assert dict(turns.hidden_fields(ASKS)) == {
        "tool_calls": json.dumps([CALL]),
        "reasoning": REASONING,
    }
