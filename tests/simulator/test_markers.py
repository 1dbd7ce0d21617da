"""Text without simulator markers: what titles, lists, shares and exports show."""

from __future__ import annotations

import pytest

from chat.simulator.markers import without_markers


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("Explain recursion", "Explain recursion"),
        ("Explain recursion [[sim:tps=5,words=20]]", "Explain recursion"),
        ("[[sim:fault=429]] Explain recursion", "Explain recursion"),
        ("Hi [[sim:delay=1.5]] there", "Hi there"),
        ("Hi [[sim:tps=5]]  [[sim:words=9]] there", "Hi there"),
        ("snake[[sim:tps=5]]case", "snakecase"),
        ("[[sim:fault=500]]", ""),
        ("Line one\n[[sim:tps=5]]\nLine two", "Line one\nLine two"),
        ("Line one\n  [[sim:tps=5]] [[sim:words=3]]  \nLine two", "Line one\nLine two"),
        ("Code:\n    x = 1  [[sim:tps=5]]\n    y = 2", "Code:\n    x = 1\n    y = 2"),
        # Without a marker nothing changes, spacing included.
        ("  two  spaces  \n", "  two  spaces  \n"),
        # Not markers: the simulator would not read them either.
        ("[[sim:tps=5", "[[sim:tps=5"),
        ("[[SIM:tps=5]]", "[[SIM:tps=5]]"),
        ("[sim:tps=5]", "[sim:tps=5]"),
    ],
)
def test_it_removes_markers_and_keeps_the_rest(text: str, shown: str) -> None:
    assert without_markers(text) == shown
