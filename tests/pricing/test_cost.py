"""The pure cost rules: prices applied to usage, sums with unknown parts, and writing
an amount in the operator's currency."""

from __future__ import annotations

from decimal import Decimal

import pytest

from chat.pricing.cost import Price, Total, cost, estimate, money, total, total_text

# Per million: $1 input, $0.25 cached input, $4 output.
PRICE = Price(input=Decimal("1"), output=Decimal("4"), cached_input=Decimal("0.25"))


@pytest.mark.parametrize(
    ("usage", "price", "expected"),
    [
        # 1000 input at $1/M and 500 output at $4/M: 0.001 + 0.002.
        ({"prompt_tokens": 1000, "completion_tokens": 500}, PRICE, Decimal("0.003")),
        # 400 of the 1000 were cached: 600 at $1/M, 400 at $0.25/M, then the output.
        (
            {"prompt_tokens": 1000, "cached_tokens": 400, "completion_tokens": 500},
            PRICE,
            Decimal("0.0027"),
        ),
        # No cached rate: cached tokens cost the input rate.
        (
            {"prompt_tokens": 1000, "cached_tokens": 400, "completion_tokens": 0},
            Price(input=Decimal("1"), output=Decimal("4")),
            Decimal("0.001"),
        ),
        # More cached tokens than prompt tokens (a provider's mistake): capped, never negative.
        (
            {"prompt_tokens": 100, "cached_tokens": 900, "completion_tokens": 0},
            PRICE,
            Decimal("0.000025"),
        ),
        # Reasoning tokens are part of completion_tokens: not charged twice.
        (
            {"prompt_tokens": 0, "completion_tokens": 1000, "reasoning_tokens": 800},
            PRICE,
            Decimal("0.004"),
        ),
        ({"prompt_tokens": 0, "completion_tokens": 0}, PRICE, Decimal("0")),
    ],
)
def test_a_known_price_prices_the_usage(usage, price, expected):
    assert cost(usage, price) == expected


@pytest.mark.parametrize(
    ("usage", "price"),
    [
        ({"prompt_tokens": 1000, "completion_tokens": 500}, None),  # no price for the model
        (
            {"prompt_tokens": 1000, "completion_tokens": 500},
            Price(input=Decimal("1"), output=Decimal("4"), confirmed=False),
        ),
        ({"prompt_tokens": 1000, "completion_tokens": 500}, Price(input=None, output=None)),
        ({"prompt_tokens": 1000, "completion_tokens": 500}, Price(Decimal("1"), None)),
        (None, PRICE),  # the answer reported no usage (stopped, failed)
        ({}, PRICE),
        ({"prompt_tokens": 1000}, PRICE),  # half a usage
        ({"completion_tokens": 500}, PRICE),
        ({"prompt_tokens": "1000", "completion_tokens": 500}, PRICE),
        ({"prompt_tokens": True, "completion_tokens": 500}, PRICE),
    ],
)
def test_it_is_unknown_without_a_confirmed_price_or_a_whole_usage(usage, price):
    assert cost(usage, price) is None


@pytest.mark.parametrize(
    ("price", "input_tokens", "max_output_tokens", "expected"),
    [
        # Every input token at the full rate (none assumed cached), every output token spent.
        (PRICE, 1000, 500, Decimal("0.003")),
        (PRICE, 2_000_000, 1_000_000, Decimal("6")),
        (None, 1000, 500, None),
        (Price(Decimal("1"), Decimal("4"), confirmed=False), 1000, 500, None),
    ],
)
def test_the_estimate_is_the_most_a_request_can_cost(
    price, input_tokens, max_output_tokens, expected
):
    assert estimate(price, input_tokens, max_output_tokens) == expected


@pytest.mark.parametrize(
    ("costs", "expected"),
    [
        ([Decimal("0.001"), Decimal("0.002")], Total(Decimal("0.003"), unknown=0, parts=2)),
        ([Decimal("0.001"), None, None], Total(Decimal("0.001"), unknown=2, parts=3)),
        ([None], Total(Decimal(0), unknown=1, parts=1)),
        ([], Total(Decimal(0), unknown=0, parts=0)),
    ],
)
def test_a_sum_adds_the_known_costs_and_counts_the_unknown(costs, expected):
    assert total(costs) == expected


@pytest.mark.parametrize(
    ("costs", "exact", "text"),
    [
        ([Decimal("0.001"), Decimal("0.002")], Decimal("0.003"), "$0.0030"),
        ([Decimal("0.012"), None], None, "at least $0.012 (1 unknown)"),
        ([None, None], None, "unknown"),
        ([], None, "$0.00"),
    ],
)
def test_a_sum_with_an_unknown_part_never_reads_as_exact(costs, exact, text):
    summed = total(costs)
    assert summed.exact == exact
    assert total_text(summed, "USD") == text


@pytest.mark.parametrize(
    ("amount", "currency", "text"),
    [
        ("12.345", "USD", "$12.35"),
        ("1234", "USD", "$1234.00"),
        ("1", "USD", "$1.00"),
        ("0.5", "USD", "$0.50"),
        ("0.0123", "USD", "$0.012"),
        ("0.00042", "USD", "$0.00042"),
        ("0.000000123", "USD", "$0.00000012"),
        ("0", "USD", "$0.00"),
        ("0.00042", "EUR", "0.00042 EUR"),
        ("3.5", "JPY", "3.50 JPY"),
        ("0.00042", "usd", "$0.00042"),
    ],
)
def test_amounts_keep_enough_digits_to_say_something(amount, currency, text):
    assert money(Decimal(amount), currency) == text
