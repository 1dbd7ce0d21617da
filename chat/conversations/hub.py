"""Where a generation's events go: straight to the sockets of this process that watch its
conversation, and through the channel layer only to the other processes that watch it.

A delta costs no database hop and no trip through the channel layer on its way to a
socket of the same process: the layer's dispatch closes old database connections before
every event (a hop onto the one ORM thread), and the in-memory layer walks every channel
on every send. Each socket has an Inbox, drained in order by the socket's own task, so a
slow socket (its page is re-rendered) holds up no other.

Other processes: a process whose sockets watch conversation C joins C's group on the
layer with one relay channel (one per process, not per socket) and says so to C's
generations ("gen.watch" on the control group), again every WATCH_RENEW seconds. A
generation sends its deltas and renders to the layer only while some other process
watches; its rare events (started, done, status, snapshot) always go. With the in-memory
layer there is no other process, and nothing goes to the layer at all.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import weakref
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

from channels.layers import BaseChannelLayer, InMemoryChannelLayer, get_channel_layer
from django.core.exceptions import ImproperlyConfigured

from chat.conversations import owner

log = logging.getLogger(__name__)

# Delta batches one socket may have waiting; past it new ones are dropped, so the page
# sees a gap in the offsets and asks for a snapshot instead of falling ever further behind.
INBOX_DELTAS = 200
WATCH_RENEW = 10.0  # seconds between a process's "gen.watch" for each conversation it shows
WATCH_TTL = 3 * WATCH_RENEW  # a generation sends deltas elsewhere this long after one
# The events of a stream itself, frequent and each small: an inbox may drop them (the
# next shows the gap), and they go to other processes only while one watches.
STREAM_EVENTS = frozenset({"gen.delta", "gen.render"})

Handler = Callable[[dict[str, Any]], Awaitable[None]]


def conversation_group(conversation_id: int) -> str:
    return f"conversation-{conversation_id}"


def control_group(conversation_id: int) -> str:
    return f"conversation-{conversation_id}-control"


def channel_layer() -> BaseChannelLayer:
    """The channel layer every generation and page shares (settings always name one)."""
    layer = get_channel_layer()
    if layer is None:
        raise ImproperlyConfigured("CHANNEL_LAYERS names no default layer.")
    return layer


def spans_processes(layer: BaseChannelLayer) -> bool:
    """Whether other processes can share this layer (the in-memory one is per process)."""
    return not isinstance(layer, InMemoryChannelLayer)


def delta_frame(event: dict[str, Any]) -> str:
    """A gen.delta batch as the page's compact frame, {"r17": reasoning, "a17": answer}:
    raw text (static/js/stream.js appends it as text nodes), built once per event and
    shared by every socket that is in step with it.

    >>> delta_frame({"parts": [{"id": 7, "reasoning": "", "content": "Hi <b>"}]})
    '{"a7":"Hi <b>"}'
    """
    frame = event.get("_frame")
    if frame is None:
        frame = event["_frame"] = frame_of(
            (part["id"], part["reasoning"], part["content"]) for part in event["parts"]
        )
    return str(frame)


def frame_of(texts: Any) -> str:
    """The compact frame of (message id, new reasoning, new answer) triples."""
    data: dict[str, str] = {}
    for pk, reasoning, content in texts:
        if reasoning:
            data[f"r{pk}"] = reasoning
        if content:
            data[f"a{pk}"] = content
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")) if data else ""


def render_frame(event: dict[str, Any]) -> str:
    """A gen.render as the page's compact frame, built once per event like delta_frame:
    {"A17": [blocks, tail HTML, characters covered]}, "R17" for the reasoning, each block
    [where it ends, its HTML, or null for a plain paragraph the page sets from its raw
    text] (static/js/stream.js). The HTML is the card's renderer's, sanitised.

    >>> render_frame({"parts": [{"id": 7, "pane": "a", "start": 0,
    ...     "blocks": [[4, "<p>Hi</p>"]], "tail": "<ul><li>a</li></ul>", "upto": 7}]})
    '{"A7":[[[4,"<p>Hi</p>"]],"<ul><li>a</li></ul>",7]}'
    """
    frame = event.get("_frame")
    if frame is None:
        frame = event["_frame"] = render_frame_of(
            (part["id"], part["pane"], part["blocks"], part["tail"], part["upto"])
            for part in event["parts"]
        )
    return str(frame)


def render_frame_of(renders: Any) -> str:
    """The compact frame of (pane number, "r" or "a", blocks, tail HTML, upto)."""
    data = {f"{pane.upper()}{pk}": [blocks, tail, upto] for pk, pane, blocks, tail, upto in renders}
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")) if data else ""


class Inbox:
    """One socket's events, handled in order by its own task. Deltas beyond INBOX_DELTAS
    are dropped (the next one shows the gap); every other event is kept, so a page that
    is far behind still gets its stream's end."""

    def __init__(self, conversation_id: int, handle: Handler, limit: int = INBOX_DELTAS) -> None:
        self.conversation_id = conversation_id
        self._handle = handle
        self._limit = limit
        self._events: deque[dict[str, Any]] = deque()
        self._deltas = 0
        self._ready = asyncio.Event()
        self.loop = asyncio.get_running_loop()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = self.loop.create_task(self._drain())

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()

    def put(self, event: dict[str, Any]) -> None:
        """From any thread: tests run several event loops in one process."""
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is self.loop:
            self._put(event)
        elif not self.loop.is_closed():
            self.loop.call_soon_threadsafe(self._put, event)

    def _put(self, event: dict[str, Any]) -> None:
        if event["type"] in STREAM_EVENTS:
            if self._deltas >= self._limit:
                return
            self._deltas += 1
        self._events.append(event)
        self._ready.set()

    async def _drain(self) -> None:
        while True:
            await self._ready.wait()
            self._ready.clear()
            while self._events:
                checkpoint()
                event = self._events.popleft()
                if event["type"] in STREAM_EVENTS:
                    self._deltas -= 1
                try:
                    await self._handle(event)
                except asyncio.CancelledError:
                    raise
                except Exception:  # one bad event must not end the page's stream
                    if _cancelling():
                        raise
                    log.exception("a socket failed to handle %s", event["type"])
            checkpoint()


class _Relay:
    """This event loop's one channel for the events of other processes (a server has one
    loop; tests run several, and a loop's tasks end with it)."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.channel: asyncio.Future[str] = loop.create_future()
        self.tasks: list[asyncio.Task[None]] = []


class Hub:
    """This process's sockets by conversation, and the other processes that watch."""

    def __init__(self) -> None:
        self.inboxes: dict[int, set[Inbox]] = {}
        # conversation -> until when another process watches it (monotonic seconds)
        self.watched_elsewhere: dict[int, float] = {}
        self._relays: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Relay] = (
            weakref.WeakKeyDictionary()
        )

    # -- sockets of this process -------------------------------------------

    async def watch(self, inbox: Inbox) -> None:
        cid = inbox.conversation_id
        self.inboxes.setdefault(cid, set()).add(inbox)
        inbox.start()
        layer = channel_layer()
        if spans_processes(layer):
            # Both are cheap and idempotent: once per page that connects.
            await layer.group_add(conversation_group(cid), await self._relay_channel(layer))
            await _announce(layer, cid)

    async def unwatch(self, inbox: Inbox) -> None:
        inbox.stop()
        cid = inbox.conversation_id
        watching = self.inboxes.get(cid, set())
        watching.discard(inbox)
        loop = asyncio.get_running_loop()
        if not watching:
            self.inboxes.pop(cid, None)
        if any(other.loop is loop for other in watching):
            return
        layer = channel_layer()
        relay = self._relays.get(loop)
        if relay is not None and relay.channel.done() and spans_processes(layer):
            await layer.group_discard(conversation_group(cid), relay.channel.result())

    def deliver(self, conversation_id: int, event: dict[str, Any]) -> None:
        for inbox in list(self.inboxes.get(conversation_id, ())):
            inbox.put(event)

    # -- a generation's events ---------------------------------------------

    async def publish(self, conversation_id: int, event: dict[str, Any]) -> None:
        """To this process's sockets now; to the other processes' through the layer
        (deltas and renders only while one of them watches)."""
        self.deliver(conversation_id, event)
        layer = channel_layer()
        if not spans_processes(layer):
            return
        if event["type"] in STREAM_EVENTS:
            until = self.watched_elsewhere.get(conversation_id, 0.0)
            if until < time.monotonic():
                self.watched_elsewhere.pop(conversation_id, None)
                return
        sent = {k: v for k, v in event.items() if not k.startswith("_")}
        await layer.group_send(
            conversation_group(conversation_id),
            {**sent, "origin": owner.owner(), "conversation_id": conversation_id},
        )

    def heard(self, event: dict[str, Any], conversation_id: int) -> None:
        """A control event reached a generation of `conversation_id`: one from another
        process (a "gen.watch", or a page's "gen.sync") means that process watches."""
        origin = event.get("origin")
        if origin and origin != owner.owner():
            self.watched_elsewhere[conversation_id] = time.monotonic() + WATCH_TTL

    # -- other processes ---------------------------------------------------

    async def _relay_channel(self, layer: BaseChannelLayer) -> str:
        loop = asyncio.get_running_loop()
        relay = self._relays.get(loop)
        if relay is None:
            # Kept before the first await, so two sockets connecting at once share it.
            relay = self._relays[loop] = _Relay(loop)
            channel = await layer.new_channel()
            relay.tasks = [
                loop.create_task(self._receive(layer, channel)),
                loop.create_task(self._renew(layer, loop)),
            ]
            relay.channel.set_result(channel)
        return await asyncio.shield(relay.channel)

    async def _receive(self, layer: BaseChannelLayer, relay: str) -> None:
        while True:
            checkpoint()
            try:
                event = await layer.receive(relay)
            except asyncio.CancelledError:
                raise
            except Exception:  # the layer is briefly gone: try again, do not end relaying
                if _cancelling():
                    raise
                log.exception("receiving from the channel layer failed")
                await asyncio.sleep(1)
                continue
            if event.get("origin") == owner.owner():
                continue  # this process delivered it already
            cid = event.get("conversation_id")
            if not isinstance(cid, int):
                continue
            self.deliver(cid, event)
            if event.get("type") == "gen.started" and cid in self.inboxes:
                # A generation elsewhere that cannot know yet that this process watches:
                # told now, its deltas come here too (the few before show as a gap).
                await _announce(layer, cid)

    async def _renew(self, layer: BaseChannelLayer, loop: asyncio.AbstractEventLoop) -> None:
        while True:
            checkpoint()
            await asyncio.sleep(WATCH_RENEW)
            shown = {i.conversation_id for s in self.inboxes.values() for i in s if i.loop is loop}
            for cid in shown:
                await _announce(layer, cid)


def _cancelling() -> bool:
    """Whether this task is being cancelled: redis-py turns a cancelled read into its own
    TimeoutError, and a loop that caught it as a failure would never end."""
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


def checkpoint() -> None:
    """End a task whose cancellation was lost on the way: Python 3.11's wait_for drops a
    cancel that races a finished read, and redis-py retries a cancelled command. A loop
    that awaits the channel layer calls this every round, so a cancelled task still ends
    (and a closed page's drain, or a test's event loop, never waits on it forever)."""
    if _cancelling():
        raise asyncio.CancelledError


async def _announce(layer: BaseChannelLayer, conversation_id: int) -> None:
    """Tell the conversation's generations that this process watches; a failure is logged
    (the next renewal tries again), never the end of relaying."""
    try:
        await layer.group_send(
            control_group(conversation_id), {"type": "gen.watch", "origin": owner.owner()}
        )
    except Exception:
        if _cancelling():
            raise
        log.exception("telling conversation %s's generations failed", conversation_id)


HUB = Hub()
