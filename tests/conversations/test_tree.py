"""The message tree and the path the page shows (pure)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from chat.conversations.tree import Tree


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


def test_an_empty_tree_has_no_path():
    assert Tree([]).path(None) == [] and Tree([]).steps(None) == []
