"""The limits' counters in the shared store: Django's cache.

With REDIS_URL the cache is Redis (playground/settings.py), so every server process
counts in the same place and `incr` is atomic there; without, it is this process's
memory. A window's keys expire when it closes; a day's carry the day.
"""

from __future__ import annotations

import math
import time

from django.core.cache import cache

from chat.limits import rules


async def ahit(name: str, who: str, length: int) -> tuple[int, int]:
    """Count one more in `who`'s window of `length` seconds, which opens at the first
    count and closes `length` seconds later: the count so far (this one included) and
    the seconds until the window closes."""
    now = time.time()
    key = f"limits:{name}:{who}"
    # add() is a no-op when the key exists, so two processes never reset each other.
    await cache.aadd(f"{key}:opened", now, length)
    await cache.aadd(key, 0, length)
    try:
        count = await cache.aincr(key)
    except ValueError:  # it closed between add and incr: this opens the next one
        await cache.aset(key, 1, length)
        count = 1
    opened = await cache.aget(f"{key}:opened", now)
    return int(count), max(1, math.ceil(float(opened) + length - now))


def _day_key(who: str, now: float) -> str:
    return f"limits:tokens:{who}:{rules.window_start(now, rules.DAY)}"


async def atokens_today(who: str) -> tuple[int, int]:
    """Tokens `who` spent today (UTC) and the seconds until the day ends."""
    now = time.time()
    spent = await cache.aget(_day_key(who, now), 0)
    return int(spent), rules.seconds_left(now, rules.DAY)


async def aadd_tokens(who: str, tokens: int) -> None:
    if tokens <= 0:
        return
    key = _day_key(who, time.time())
    await cache.aadd(key, 0, rules.DAY + 60)
    try:
        await cache.aincr(key, tokens)
    except ValueError:
        await cache.aset(key, tokens, rules.DAY + 60)
