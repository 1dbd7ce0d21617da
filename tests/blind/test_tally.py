"""A pair's tally: the first side's win rate (a tie half a win) and its 95% Wilson interval."""

from __future__ import annotations

import pytest

from chat.blind import tally
from chat.blind.pairs import pair_of, winning_side

DASH = "\N{EN DASH}"


@pytest.mark.parametrize(
    ("first", "second", "ties", "rate", "text"),
    [
        (0, 0, 0, None, "No votes yet"),
        (1, 0, 0, 1.0, f"100% (95% CI 21{DASH}100%) over 1 vote"),
        (3, 0, 0, 1.0, f"100% (95% CI 44{DASH}100%) over 3 votes"),
        (0, 3, 0, 0.0, f"0% (95% CI 0{DASH}56%) over 3 votes"),
        (2, 1, 0, 2 / 3, f"67% (95% CI 21{DASH}94%) over 3 votes"),
        (0, 0, 2, 0.5, f"50% (95% CI 9{DASH}91%) over 2 votes"),
        (1, 1, 1, 0.5, f"50% (95% CI 13{DASH}87%) over 3 votes"),
        (4, 2, 1, 4.5 / 7, f"64% (95% CI 30{DASH}88%) over 7 votes"),
    ],
)
def test_it_counts_a_tie_as_half_a_win_for_each_side(first, second, ties, rate, text):
    summary = tally.tally(first, second, ties)
    assert summary.votes == first + second + ties
    assert summary.rate == (pytest.approx(rate) if rate is not None else None)
    assert tally.describe(summary) == text


def test_no_votes_has_no_interval():
    assert tally.tally(0, 0, 0).interval is None


@pytest.mark.parametrize(
    ("rate", "n", "low", "high"),
    [
        # Known Wilson score intervals (z = 1.96).
        (0.7, 10, 0.3968, 0.8922),
        (0.5, 10, 0.2366, 0.7634),
        (0.0, 10, 0.0, 0.2775),
        (1.0, 10, 0.7225, 1.0),
        (0.5, 100, 0.4038, 0.5962),
        (0.2, 50, 0.1124, 0.3304),
    ],
)
def test_it_gives_the_wilson_score_interval(rate, n, low, high):
    assert tally.wilson(rate, n) == (pytest.approx(low, abs=1e-4), pytest.approx(high, abs=1e-4))


def test_the_interval_stays_within_zero_and_one_and_holds_the_rate():
    for n in range(1, 30):
        for wins in range(n + 1):
            low, high = tally.wilson(wins / n, n)
            assert 0 <= low <= wins / n <= high <= 1


def test_it_refuses_negative_counts_and_an_interval_of_no_votes():
    with pytest.raises(ValueError):
        tally.tally(-1, 0, 0)
    with pytest.raises(ValueError):
        tally.wilson(0.5, 0)


# -- the pair -----------------------------------------------------------------------------


def test_a_pair_is_the_same_whichever_order_its_settings_come_in():
    low = {"model": "kimi-k2-thinking", "temperature": 0.2, "top_p": None}
    high = {"model": "kimi-k2-thinking", "temperature": 1.5}
    one, other = pair_of(low, high), pair_of(high, low)
    assert one.key == other.key
    assert (one.first, one.second) == (other.first, other.second)
    assert (one.first_label, one.second_label) == ("Temperature 0.2", "Temperature 1.5")
    assert one.swapped != other.swapped


def test_unset_values_do_not_make_another_pair():
    assert pair_of({"temperature": 0.2, "seed": None}, {"temperature": 1.0}).key == (
        pair_of({"temperature": 0.2}, {"temperature": 1.0}).key
    )


def test_different_settings_make_different_pairs():
    assert pair_of({"temperature": 0.2}, {"temperature": 1.5}).key != (
        pair_of({"temperature": 0.2}, {"temperature": 1.4}).key
    )


@pytest.mark.parametrize(
    ("vote", "a_is_first", "side"),
    [
        ("a", True, "first"),
        ("a", False, "second"),
        ("b", True, "second"),
        ("b", False, "first"),
        ("tie", True, "tie"),
        ("tie", False, "tie"),
        ("skip", True, None),
        ("", False, None),
    ],
)
def test_a_vote_for_a_letter_counts_for_the_setting_behind_it(vote, a_is_first, side):
    assert winning_side(vote, a_is_first) == side
