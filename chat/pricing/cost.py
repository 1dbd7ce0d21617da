"""What tokens cost at a model's prices, and how a cost is written.

A price is per million tokens: input, cached input and output. Usage is what the app
stores on a Message: prompt_tokens (cached ones included), cached_tokens and
completion_tokens (reasoning tokens included, as the API counts them). Where a figure
is missing, the model has no price, or its price is not confirmed, the cost is None:
unknown, never a guess.

Sums follow one rule: the known costs are added and the unknown ones counted, so a
total reads "$0.012" when every part is known, "at least $0.012 (2 unknown)" when
some are not, and "unknown" when none is.

Pure: no Django, no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

MILLION = Decimal(1_000_000)
UNKNOWN = "unknown"
# Fewest significant digits a small amount keeps: $0.00042, not $0.00.
SIGNIFICANT = 2


@dataclass(frozen=True)
class Price:
    """A model's prices per million tokens. `cached_input` None: cached tokens cost
    the input rate (a provider without a cache discount). Unconfirmed prices are the
    defaults nobody has checked: they price nothing."""

    input: Decimal | None
    output: Decimal | None
    cached_input: Decimal | None = None
    confirmed: bool = True

    @property
    def usable(self) -> bool:
        return self.confirmed and self.input is not None and self.output is not None


@dataclass(frozen=True)
class Total:
    """A sum of costs: the known part, and how many parts were unknown."""

    known: Decimal = Decimal(0)
    unknown: int = 0
    parts: int = 0

    @property
    def exact(self) -> Decimal | None:
        """The total when every part is known; None otherwise."""
        return self.known if self.unknown == 0 and self.parts else None


def cost(usage: Mapping[str, object] | None, price: Price | None) -> Decimal | None:
    """The cost of one request's usage at `price`, or None when it cannot be known.

    >>> p = Price(input=Decimal("0.60"), output=Decimal("2.50"), cached_input=Decimal("0.15"))
    >>> cost({"prompt_tokens": 1000, "cached_tokens": 400, "completion_tokens": 200}, p)
    Decimal('0.00092')
    """
    if price is None or not price.usable or not usage:
        return None
    prompt = _count(usage, "prompt_tokens")
    completion = _count(usage, "completion_tokens")
    if prompt is None or completion is None:
        return None
    cached = min(_count(usage, "cached_tokens") or 0, prompt)
    assert price.input is not None and price.output is not None  # usable says so
    cached_rate = price.input if price.cached_input is None else price.cached_input
    amount = (prompt - cached) * price.input + cached * cached_rate + completion * price.output
    return (amount / MILLION).normalize()


def estimate(price: Price | None, input_tokens: int, max_output_tokens: int) -> Decimal | None:
    """The most a request can cost before it runs: every input token at the full input
    rate (none assumed cached) and every allowed output token spent; None without a
    usable price."""
    usage = {"prompt_tokens": input_tokens, "completion_tokens": max_output_tokens}
    return cost(usage, price)


def total(costs: Iterable[Decimal | None]) -> Total:
    """Known costs added, unknown ones counted."""
    known = Decimal(0)
    unknown = parts = 0
    for value in costs:
        parts += 1
        if value is None:
            unknown += 1
        else:
            known += value
    return Total(known=known, unknown=unknown, parts=parts)


def money(amount: Decimal, currency: str) -> str:
    """An amount in `currency` with enough digits to say something: cents from a cent
    up, at least SIGNIFICANT significant digits below.

    >>> [money(Decimal(v), "USD") for v in ("12.345", "0.5", "0.0123", "0.00042", "0")]
    ['$12.35', '$0.50', '$0.012', '$0.00042', '$0.00']
    >>> money(Decimal("0.00042"), "EUR")
    '0.00042 EUR'
    """
    places = 2
    if amount and abs(amount) < 1:
        places = max(2, SIGNIFICANT - 1 - abs(amount).adjusted())
    text = f"{amount.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP):f}"
    return f"${text}" if currency.upper() == "USD" else f"{text} {currency}"


def cost_text(amount: Decimal | None, currency: str) -> str:
    return UNKNOWN if amount is None else money(amount, currency)


def total_text(summed: Total, currency: str) -> str:
    """ "$0.012"; "at least $0.012 (2 unknown)"; "unknown" when nothing is known."""
    if summed.unknown == 0:
        return money(summed.known, currency)
    if summed.unknown == summed.parts:
        return UNKNOWN
    return f"at least {money(summed.known, currency)} ({summed.unknown} unknown)"


def _count(usage: Mapping[str, object], key: str) -> int | None:
    value = usage.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else None
