"""Which two settings a blind trial pits against each other, whatever order they came in.

A setting is one compare column's typed settings (chat/compare/form.py Column). Its
canonical form is its JSON with sorted keys, unset (None) values left out; the pair's
"first" setting is the one whose canonical form sorts first, and the pair's key is the
sha256 of both, so "0.2 against 1.5" and "1.5 against 0.2" are one pair. Pure: no
Django, no I/O.

>>> pair = pair_of({"temperature": 1.5}, {"temperature": 0.2})
>>> pair.first, pair.second, pair.swapped
({'temperature': 0.2}, {'temperature': 1.5}, True)
>>> pair.key == pair_of({"temperature": 0.2}, {"temperature": 1.5}).key
True
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass

from chat.compare import grid

SIDES = ("first", "second")


@dataclass(frozen=True)
class Pair:
    key: str
    first: dict[str, object]
    second: dict[str, object]
    first_label: str
    second_label: str
    # Whether the settings came in as (second, first).
    swapped: bool


def canonical(settings: Mapping[str, object]) -> str:
    kept = {name: value for name, value in settings.items() if value is not None}
    return json.dumps(kept, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def pair_of(one: Mapping[str, object], other: Mapping[str, object]) -> Pair:
    """The pair of two settings, in its fixed order, with each side's label."""
    texts = sorted([canonical(one), canonical(other)])
    swapped = canonical(one) != texts[0]
    first, second = (dict(other), dict(one)) if swapped else (dict(one), dict(other))
    key = hashlib.sha256("\n".join(texts).encode()).hexdigest()
    labels = [label[:200] for label in grid.column_labels([first, second])]
    return Pair(key, first, second, labels[0], labels[1], swapped)


def winning_side(vote: str, a_is_first: bool) -> str | None:
    """Which of the pair's settings a vote is for: "first", "second", "tie", or None
    for a vote that is not one (pending, skipped).

    >>> winning_side("a", a_is_first=False), winning_side("tie", a_is_first=True)
    ('second', 'tie')
    """
    if vote == "tie":
        return "tie"
    if vote not in ("a", "b"):
        return None
    return SIDES[0] if (vote == "a") == a_is_first else SIDES[1]
