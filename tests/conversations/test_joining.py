"""A continued reasoning starts a new paragraph after the reasoning before it."""

from __future__ import annotations

import pytest

from chat.conversations.joining import join, separator


@pytest.mark.parametrize(
    ("before", "after", "joined"),
    [
        ("It hit a snag.", "The fix is", "It hit a snag.\n\nThe fix is"),
        ("It hit a snag", "the fix is", "It hit a snag\n\nthe fix is"),
        ("It hit a snag.\n", "The fix", "It hit a snag.\n\nThe fix"),
        ("It hit a snag.", "\nThe fix", "It hit a snag.\n\nThe fix"),
        ("It hit a snag.\n\n", "The fix", "It hit a snag.\n\nThe fix"),
        ("It hit a snag.", "\n\nThe fix", "It hit a snag.\n\nThe fix"),
        ("", "The fix", "The fix"),
        ("It hit a snag.", "", "It hit a snag."),
    ],
)
def test_it_joins_a_continued_reasoning_as_a_new_paragraph(
    before: str, after: str, joined: str
) -> None:
    assert join(before, after) == joined


def test_a_first_reasoning_gets_no_separator() -> None:
    assert separator("", "Let me think.") == ""
