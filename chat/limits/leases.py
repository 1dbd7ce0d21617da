"""Slots shared by every server process: at most `cap` of one person's things at once.

A slot is a key in the shared store (Django's cache: Redis with REDIS_URL, see
chat/limits/store.py) holding who took it, with an expiry. Taking one is an atomic
`add` (SET NX in Redis), so two processes never take the same slot; the holder renews
it while its run streams and deletes it when the run ends. A process that dies renews
nothing, so its slots expire by themselves after `seconds`: nothing is kept only in one
process's memory.

    lease = await atake("compare", "42", cap=8, seconds=30)   # None when all 8 are held
    await arenew(lease, 30)                                    # while it runs
    await afree(lease)                                         # when it ends

Without Redis the cache is this process's memory, and the cap is per process (right for
the single process of `make run`).
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
import weakref
from dataclasses import dataclass

from django.core.cache import cache

# Waiters in this process wake at once when a slot of this process frees; a slot freed
# by another process (or expired) is found by polling this often.
POLL_SECONDS = 0.5

_FREED: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Event] = (
    weakref.WeakKeyDictionary()
)


@dataclass(frozen=True)
class Lease:
    key: str
    holder: str


def slot_keys(name: str, who: str, cap: int) -> list[str]:
    """The keys of `who`'s `cap` slots of `name`.

    >>> slot_keys("compare", "42", 2)
    ['leases:compare:42:0', 'leases:compare:42:1']
    """
    return [f"leases:{name}:{who}:{slot}" for slot in range(cap)]


def lease_seconds(heartbeat: float) -> int:
    """How long a slot lasts unrenewed: three heartbeats (renewals), whole seconds,
    so a busy process that renews late keeps it, and a dead one frees it soon.

    >>> lease_seconds(10.0), lease_seconds(0.1)
    (30, 1)
    """
    return max(1, round(3 * heartbeat))


async def atake(name: str, who: str, cap: int, seconds: int) -> Lease | None:
    """One of `who`'s slots for `seconds`, or None when all `cap` are held."""
    holder = uuid.uuid4().hex
    for key in slot_keys(name, who, cap):
        if await cache.aadd(key, holder, seconds):
            return Lease(key, holder)
    return None


async def await_slot(name: str, who: str, cap: int, seconds: int) -> Lease:
    """A slot, as soon as one is free (waiting as long as it takes)."""
    while (lease := await atake(name, who, cap, seconds)) is None:
        freed = _freed_event()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(freed.wait(), POLL_SECONDS)
    return lease


async def arenew(lease: Lease, seconds: int) -> bool:
    """Extend the lease; False if it had expired and someone else holds the slot now
    (the run goes on: the cap is over by one until it ends)."""
    if await cache.aget(lease.key) == lease.holder:
        return bool(await cache.atouch(lease.key, seconds))
    return bool(await cache.aadd(lease.key, lease.holder, seconds))


async def afree(lease: Lease) -> None:
    """Give the slot back, unless it expired and is someone else's by now."""
    if await cache.aget(lease.key) == lease.holder:
        await cache.adelete(lease.key)
    event = _FREED.pop(asyncio.get_running_loop(), None)
    if event is not None:
        event.set()


def _freed_event() -> asyncio.Event:
    return _FREED.setdefault(asyncio.get_running_loop(), asyncio.Event())
