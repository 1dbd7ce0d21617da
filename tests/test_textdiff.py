"""Word diffs round-trip both texts; version diffs pair lines side by side.

(One word diff serves answers, reasoning and prompt versions; each token carries the
whitespace before it, so an added word shows as " word".)"""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chat.textdiff import diff_rows, sides, word_diff

# --- word_diff ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (
            "the cat sat",
            "the dog sat",
            [("equal", "the"), ("delete", " cat"), ("insert", " dog"), ("equal", " sat")],
        ),
        ("same text", "same text", [("equal", "same text")]),
        ("", "new", [("insert", "new")]),
        ("old", "", [("delete", "old")]),
        ("", "", []),
        ("Hello.", "Hello!", [("equal", "Hello"), ("delete", "."), ("insert", "!")]),
        (
            "one two three",
            "one three",
            [("equal", "one"), ("delete", " two"), ("equal", " three")],
        ),
    ],
)
def test_it_diffs_word_by_word(a, b, expected):
    assert word_diff(a, b) == expected


@given(st.text(), st.text())
def test_word_diff_reconstructs_both_texts(a, b):
    pieces = word_diff(a, b)
    assert "".join(text for op, text in pieces if op != "insert") == a
    assert "".join(text for op, text in pieces if op != "delete") == b
    assert all(text for _, text in pieces)
    assert all(x[0] != y[0] for x, y in itertools.pairwise(pieces))


@given(st.lists(st.sampled_from(["a", "b", " ", "\n", ".", "é"]), max_size=30).map("".join))
def test_word_diff_of_a_text_with_itself_is_all_equal(text):
    assert word_diff(text, text) == ([("equal", text)] if text else [])


def test_sides_mark_what_each_text_lost_and_gained():
    assert sides("Be brief.", "Be very brief.") == (
        [("", "Be brief.")],
        [("", "Be"), ("ins", " very"), ("", " brief.")],
    )


def test_diff_rows_pair_changed_lines_and_keep_headings():
    rows = diff_rows(
        [("heading", "User"), ("text", "Hi there"), ("text", "Bye")],
        [("heading", "User"), ("text", "Hi here")],
    )
    assert [row.kind for row in rows] == ["equal", "change", "delete"]
    assert rows[0].heading and not rows[1].heading
    assert rows[1].old == [("", "Hi"), ("del", " there")]
    assert rows[1].new == [("", "Hi"), ("ins", " here")]
    assert rows[2].old == [("del", "Bye")] and rows[2].new is None
