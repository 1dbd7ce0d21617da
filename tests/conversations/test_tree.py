"""The message tree, the path the page shows, and that path as the API's messages
list (pure)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from chat.conversations.tree import Tree, api_messages


@dataclass
class M:
    pk: int
    parent_id: int | None
    role: str
    batch: str
    choice_index: int = 0


@pytest.fixture
def tree() -> Tree:
    """Prompt 1 answered twice (batch a with two choices, then a regeneration b),
    a follow-up 4 under choice 2, and an edited prompt 6 beside prompt 1."""
    return Tree(
        [
            M(1, None, "user", "u1"),
            M(2, 1, "assistant", "a", 0),
            M(3, 1, "assistant", "a", 1),
            M(4, 2, "user", "u4"),
            M(5, 1, "assistant", "b", 0),
            M(6, None, "user", "u6"),
            M(7, 6, "assistant", "c", 0),
        ]
    )


def test_the_path_runs_from_the_root_to_the_leaf(tree):
    assert [m.pk for m in tree.path(4)] == [1, 2, 4]


def test_an_unknown_leaf_gives_the_newest_path(tree):
    assert [m.pk for m in tree.path(None)] == [6, 7]


def test_the_newest_leaf_follows_the_newest_batch_from_its_first_choice(tree):
    assert tree.newest_leaf(1).pk == 5
    assert tree.newest_leaf(2).pk == 4


def test_steps_pair_prompts_with_their_batch(tree):
    steps = tree.steps(4)
    assert [s.user.pk for s in steps] == [1, 4]
    assert [c.pk for c in steps[0].choices] == [2, 3]
    assert steps[0].chosen.pk == 2
    assert steps[1].choices == []


def test_sibling_positions(tree):
    first = tree.steps(5)[0]
    assert [s.pk for s in first.user_siblings] == [1, 6]
    assert first.user_position == 1
    assert [s.pk for s in first.batch_siblings] == [2, 5]
    assert first.batch_position == 2


def test_tool_results_are_a_turn_that_the_next_answers_belong_to():
    tree = Tree(
        [
            M(1, None, "user", "u1"),
            M(2, 1, "assistant", "a"),
            M(3, 2, "tool", "t3"),
            M(4, 3, "assistant", "b"),
        ]
    )
    steps = tree.steps(4)
    assert [(s.user.pk if s.user else None, [c.pk for c in s.choices]) for s in steps] == [
        (1, [2]),
        (3, [4]),
    ]


def test_an_empty_tree_has_no_path():
    assert Tree([]).path(None) == [] and Tree([]).steps(None) == []


# --- the path as the API's messages -------------------------------------------------


@dataclass
class Row:
    role: str
    content: str = ""
    reasoning: str = ""
    tool_calls: list | None = None
    status: str = "complete"
    choice_index: int = 0
    tool_results: list | None = None


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


TWO_CALLS = [
    {"id": "call_w", "type": "function", "function": {"name": "get_weather", "arguments": "{}"}},
    {"id": "call_c", "type": "function", "function": {"name": "calculate", "arguments": "{}"}},
]


def test_tool_results_follow_their_calls_one_tool_message_each_in_order():
    results = [
        {"tool_call_id": "call_w", "name": "get_weather", "content": "Sunny", "failed": False},
        {"tool_call_id": "call_c", "name": "calculate", "content": "84", "failed": False},
    ]
    earlier = [
        Row("user", "Weather in Paris, and 12 * 7?"),
        Row("assistant", "", reasoning="Two tools.", tool_calls=TWO_CALLS),
        Row("tool", tool_results=results),
    ]
    assert api_messages("", earlier, None) == [
        {"role": "user", "content": "Weather in Paris, and 12 * 7?"},
        {
            "role": "assistant",
            "content": "",
            "tool_calls": TWO_CALLS,
            "reasoning_content": "Two tools.",
        },
        {"role": "tool", "tool_call_id": "call_w", "name": "get_weather", "content": "Sunny"},
        {"role": "tool", "tool_call_id": "call_c", "name": "calculate", "content": "84"},
    ]


def test_a_failed_call_is_sent_as_an_error_object():
    results = [{"tool_call_id": "c", "name": "f", "content": "timed out", "failed": True}]
    earlier = [
        Row("user", "Q"),
        Row("assistant", "", tool_calls=CALL),
        Row("tool", tool_results=results),
    ]
    assert api_messages("", earlier, None)[-1]["content"] == '{"error": "timed out"}'


def test_tool_results_and_their_answer_come_before_the_next_prompt():
    results = [{"tool_call_id": "call_1", "name": "get_weather", "content": "Rain"}]
    earlier = [
        Row("user", "Weather?"),
        Row("assistant", "", tool_calls=CALL),
        Row("tool", tool_results=results),
        Row("assistant", "It rains."),
    ]
    roles = [m["role"] for m in api_messages("", earlier, "Umbrella?")]
    assert roles == ["user", "assistant", "tool", "assistant", "user"]


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
