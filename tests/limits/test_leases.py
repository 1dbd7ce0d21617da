"""The rules of shared slots (chat/limits/leases.py), in this process's cache: a slot is
taken, refused at the cap, given back, renewed, and freed by itself when its holder
stops renewing it (as when its process dies)."""

from __future__ import annotations

import asyncio
import time

from chat.limits import leases

WAIT = 30  # seconds: generous; the store's expiry is all the test waits for


async def test_slots_are_taken_up_to_the_cap_then_refused():
    first = await leases.atake("compare", "7", cap=2, seconds=60)
    second = await leases.atake("compare", "7", cap=2, seconds=60)
    assert first is not None and second is not None and first.key != second.key
    assert await leases.atake("compare", "7", cap=2, seconds=60) is None


async def test_each_person_and_each_kind_has_slots_of_its_own():
    assert await leases.atake("compare", "7", cap=1, seconds=60) is not None
    assert await leases.atake("compare", "8", cap=1, seconds=60) is not None
    assert await leases.atake("other", "7", cap=1, seconds=60) is not None
    assert await leases.atake("compare", "7", cap=1, seconds=60) is None


async def test_a_freed_slot_can_be_taken_again():
    lease = await leases.atake("compare", "7", cap=1, seconds=60)
    await leases.afree(lease)
    assert await leases.atake("compare", "7", cap=1, seconds=60) is not None


async def test_freeing_a_slot_that_expired_and_was_retaken_leaves_the_new_holder_alone():
    old = leases.Lease("leases:compare:7:0", "a holder whose lease expired")
    current = await leases.atake("compare", "7", cap=1, seconds=60)
    await leases.afree(old)
    assert await leases.atake("compare", "7", cap=1, seconds=60) is None
    assert await leases.arenew(current, 60)


async def test_an_unrenewed_slot_frees_itself():
    await leases.atake("compare", "7", cap=1, seconds=1)
    deadline = time.monotonic() + WAIT
    while (lease := await leases.atake("compare", "7", cap=1, seconds=60)) is None:
        assert time.monotonic() < deadline, "the slot never expired"
        await asyncio.sleep(0.1)
    assert lease.key == "leases:compare:7:0"


async def test_a_renewed_slot_outlives_its_first_expiry():
    lease = await leases.atake("compare", "7", cap=1, seconds=1)
    assert await leases.arenew(lease, 60)
    # Another slot, taken with the same first expiry and not renewed, frees first: by
    # then the renewed one must still be held.
    await leases.atake("compare", "8", cap=1, seconds=1)
    deadline = time.monotonic() + WAIT
    while await leases.atake("compare", "8", cap=1, seconds=60) is None:
        assert time.monotonic() < deadline, "the unrenewed slot never expired"
        await asyncio.sleep(0.1)
    assert await leases.atake("compare", "7", cap=1, seconds=60) is None


async def test_a_waiter_gets_the_slot_a_holder_in_this_process_gives_back():
    held = await leases.atake("compare", "7", cap=1, seconds=60)
    waiter = asyncio.create_task(leases.await_slot("compare", "7", cap=1, seconds=60))
    await asyncio.sleep(0)  # the waiter finds the slot held and waits
    assert not waiter.done()
    await leases.afree(held)
    lease = await asyncio.wait_for(waiter, WAIT)
    assert lease.key == held.key and lease.holder != held.holder
