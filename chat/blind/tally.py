"""A pair's votes summed up: wins for each side, ties, and the first side's win rate with
its 95% Wilson score interval. Pure: no Django, no I/O.

Ties count half a win for each side (the convention of Elo-style tallies): a tie says
neither answer was better, so it pulls the rate towards 50% and narrows the interval
as any vote does. Skipped trials are not votes and are never passed here.

>>> summary = tally(4, 2, 1)
>>> summary.votes, round(summary.rate, 3)
(7, 0.643)
>>> describe(summary) == "64% (95% CI 30\N{EN DASH}88%) over 7 votes"
True
"""

from __future__ import annotations

import math
from dataclasses import dataclass

# The normal quantile for 95% two-sided: the interval covers the rate 95% of the time.
Z_95 = 1.959963984540054
RANGE_DASH = "\N{EN DASH}"


@dataclass(frozen=True)
class Tally:
    first_wins: int
    second_wins: int
    ties: int

    @property
    def votes(self) -> int:
        return self.first_wins + self.second_wins + self.ties

    @property
    def rate(self) -> float | None:
        """The first side's share of the votes, a tie counting half; None before any vote."""
        if not self.votes:
            return None
        return (self.first_wins + self.ties / 2) / self.votes

    @property
    def interval(self) -> tuple[float, float] | None:
        rate = self.rate
        return None if rate is None else wilson(rate, self.votes)


def tally(first_wins: int, second_wins: int, ties: int) -> Tally:
    if min(first_wins, second_wins, ties) < 0:
        raise ValueError("Vote counts cannot be negative.")
    return Tally(first_wins, second_wins, ties)


def wilson(rate: float, n: int, z: float = Z_95) -> tuple[float, float]:
    """The Wilson score interval of a rate seen over n votes, clipped to [0, 1].

    Unlike the normal approximation it stays inside [0, 1] and is not empty at 0% or
    100%, which matters when a pair has only a few votes.

    >>> low, high = wilson(0.7, 10)
    >>> round(low, 4), round(high, 4)
    (0.3968, 0.8922)
    """
    if n <= 0:
        raise ValueError("An interval needs at least one vote.")
    z2 = z * z
    denominator = 1 + z2 / n
    centre = (rate + z2 / (2 * n)) / denominator
    half = z * math.sqrt(rate * (1 - rate) / n + z2 / (4 * n * n)) / denominator
    # At 0% or 100% the bound is exactly the rate; rounding must not move it off.
    low = 0.0 if rate <= 0 else max(0.0, centre - half)
    high = 1.0 if rate >= 1 else min(1.0, centre + half)
    return low, high


def describe(summary: Tally) -> str:
    """ "64% (95% CI 30 to 88%) over 7 votes" (an en dash for "to"), or "No votes yet"."""
    rate, interval = summary.rate, summary.interval
    if rate is None or interval is None:
        return "No votes yet"
    low, high = interval
    votes = f"{summary.votes} vote{'' if summary.votes == 1 else 's'}"
    return f"{_percent(rate)}% (95% CI {_percent(low)}{RANGE_DASH}{_percent(high)}%) over {votes}"


def _percent(share: float) -> int:
    # Half up, not Python's half-to-even: 62.5% reads as 63%, as a person rounds.
    return math.floor(share * 100 + 0.5)
