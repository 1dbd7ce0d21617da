"""A socket's inbox: its events in order, deltas bounded, the end of a stream never lost."""

from __future__ import annotations

import asyncio

from chat.conversations import hub


def _delta(n: int) -> dict:
    return {"type": "gen.delta", "parts": [{"id": 1, "reasoning": "", "content": f"{n} "}]}


async def test_a_held_up_socket_drops_deltas_past_its_bound_but_keeps_the_end():
    # Nothing in an inbox expires, however long its socket is held up (the channel
    # layer's messages did after 60 s, and pages a minute behind stayed "streaming").
    handled: list[dict] = []
    release = asyncio.Event()
    ended = asyncio.Event()

    async def handle(event: dict) -> None:
        await release.wait()  # the socket is far behind (its page is being re-rendered)
        handled.append(event)
        if event["type"] == "gen.done":
            ended.set()

    inbox = hub.Inbox(1, handle, limit=3)
    inbox.start()
    inbox.put({"type": "gen.started", "message_ids": [1]})
    for n in range(10):
        inbox.put(_delta(n))
    inbox.put({"type": "gen.done", "message_ids": [1]})
    release.set()
    await asyncio.wait_for(ended.wait(), 30)  # a deadline for a broken inbox, not a measure
    inbox.stop()
    kinds = [event["type"] for event in handled]
    # Three deltas waited; the rest were dropped (the page sees a gap in the offsets and
    # asks for a snapshot); the start and the end were kept, in order.
    assert kinds == ["gen.started", "gen.delta", "gen.delta", "gen.delta", "gen.done"]
    assert [e["parts"][0]["content"] for e in handled[1:4]] == ["0 ", "1 ", "2 "]


async def test_one_failing_event_does_not_end_the_socket_s_stream():
    handled: list[str] = []
    ended = asyncio.Event()

    async def handle(event: dict) -> None:
        if event["type"] == "gen.status":
            raise RuntimeError("a bad event")
        handled.append(event["type"])
        ended.set()

    inbox = hub.Inbox(1, handle)
    inbox.start()
    inbox.put({"type": "gen.status", "message_ids": [1], "text": ""})
    inbox.put({"type": "gen.done", "message_ids": [1]})
    await asyncio.wait_for(ended.wait(), 30)
    inbox.stop()
    assert handled == ["gen.done"]


async def test_events_are_delivered_to_every_socket_of_the_conversation_only():
    seen: dict[str, list[str]] = {"a": [], "b": [], "other": []}
    done = asyncio.Event()

    def recorder(name: str):
        async def handle(event: dict) -> None:
            seen[name].append(event["type"])
            if all(seen[n] for n in ("a", "b")):
                done.set()

        return handle

    local = hub.Hub()
    inboxes = [
        hub.Inbox(7, recorder("a")),
        hub.Inbox(7, recorder("b")),
        hub.Inbox(8, recorder("other")),
    ]
    for inbox in inboxes:
        inbox.start()
        local.inboxes.setdefault(inbox.conversation_id, set()).add(inbox)
    local.deliver(7, {"type": "gen.done", "message_ids": [1]})
    await asyncio.wait_for(done.wait(), 30)
    for inbox in inboxes:
        inbox.stop()
    assert seen == {"a": ["gen.done"], "b": ["gen.done"], "other": []}


def test_a_delta_frame_is_about_the_size_of_its_text():
    text = "The proof goes by induction on n. "
    event = {"type": "gen.delta", "parts": [{"id": 1234, "reasoning": text, "content": ""}]}
    frame = hub.delta_frame(event)
    assert frame == '{"r1234":"The proof goes by induction on n. "}'
    assert len(frame.encode()) <= 2 * len(text.encode())
    assert hub.delta_frame(event) is frame  # built once, shared by every socket in step


async def test_a_socket_s_inbox_ends_when_stopped_even_if_the_cancel_was_swallowed():
    # Python 3.11's wait_for and redis-py's retries can each swallow a cancellation that
    # arrives mid-command: the drain must still end rather than wait for the next event.
    entered = asyncio.Event()

    async def handle(event: dict) -> None:
        entered.set()
        try:
            await asyncio.Event().wait()  # a channel-layer command that never answers
        except asyncio.CancelledError:
            return  # swallowed, as those libraries do

    inbox = hub.Inbox(1, handle)
    inbox.start()
    inbox.put({"type": "gen.sync", "message_ids": [1]})
    await asyncio.wait_for(entered.wait(), 30)
    inbox.stop()
    task = inbox._task
    assert task is not None
    await asyncio.wait({task}, timeout=30)  # a deadline for a broken inbox, not a measure
    assert task.cancelled()
