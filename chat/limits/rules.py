"""The arithmetic of the limits, apart from any store: windows, budgets, wait texts.

Counters live in the shared store (chat/limits/store.py); here are only the rules that
read them, so they are tested as plain functions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

MINUTE = 60
DAY = 24 * 60 * 60


def window_start(now: float, length: int) -> int:
    """The start of the fixed window `now` falls in: windows are aligned to the epoch, so
    every server process counts in the same window.

    >>> window_start(125.5, 60)
    120
    """
    return int(now // length) * length


def seconds_left(now: float, length: int) -> int:
    """Whole seconds until the window `now` falls in ends, at least 1.

    >>> seconds_left(125.5, 60)
    55
    """
    return max(1, math.ceil(window_start(now, length) + length - now))


def wait_text(seconds: int) -> str:
    """A wait a person reads: "12 s", "3 min", "5 h 12 min".

    >>> [wait_text(s) for s in (12, 60, 150, 18_720)]
    ['12 s', '60 s', '3 min', '5 h 12 min']
    """
    if seconds <= MINUTE:
        return f"{seconds} s"
    minutes = math.ceil(seconds / MINUTE)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"


def too_many_starts(limit: int, wait: int) -> str:
    return (
        f"You have started {limit} answers in the last minute, the most allowed: "
        f"you can start another answer in {wait_text(wait)}."
    )


def too_many_running(limit: int) -> str:
    noun = "answer" if limit == 1 else "answers"
    return (
        f"You already have {limit} {noun} streaming, the most allowed at once: you can start "
        "another answer when one of them finishes (or press Stop on one)."
    )


def out_of_tokens(budget: int, wait: int) -> str:
    return (
        f"You have used today's {budget:,} tokens on the server's API key: you can start "
        f"another answer in {wait_text(wait)} (the budget renews at midnight UTC), or "
        "choose one of your own providers."
    )


def too_many_signups(wait: int) -> str:
    return (
        "Too many accounts were created from your address recently: "
        f"you can sign up again in {wait_text(wait)}."
    )


SOCKET_FLOOD = (
    "Too many messages on this connection at once: the extra ones were ignored. "
    "Wait a moment, then try again."
)


def usage_tokens(usages: list[dict[str, object] | None]) -> int:
    """Tokens a request spent, from its choices' usage: a request-wide total (kept on
    each choice, marked `request_total`) counts once.

    >>> usage_tokens([{"total_tokens": 30}, {"total_tokens": 12}])
    42
    >>> usage_tokens([{"total_tokens": 50, "request_total": True}] * 3)
    50
    >>> usage_tokens([None, {"prompt_tokens": 5, "completion_tokens": 7}])
    12
    """
    total, request_total = 0, 0
    for usage in usages:
        if not usage:
            continue
        tokens = usage.get("total_tokens")
        if not isinstance(tokens, int):
            parts = (usage.get("prompt_tokens"), usage.get("completion_tokens"))
            tokens = sum(part for part in parts if isinstance(part, int))
        if usage.get("request_total"):
            request_total = max(request_total, tokens)
        else:
            total += tokens
    return total + request_total


@dataclass
class FrameBucket:
    """A token bucket for one socket's frames: `rate` a second, bursts up to `rate`.

    A socket lives in one process, so its bucket needs no shared store.

    >>> bucket = FrameBucket(rate=2, updated=0.0)
    >>> [bucket.take(0.0), bucket.take(0.0), bucket.take(0.0), bucket.take(0.5)]
    [True, True, False, True]
    """

    rate: float
    updated: float
    tokens: float = field(default=-1.0)

    def __post_init__(self) -> None:
        if self.tokens < 0:
            self.tokens = self.rate

    def take(self, now: float) -> bool:
        self.tokens = min(self.rate, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True
