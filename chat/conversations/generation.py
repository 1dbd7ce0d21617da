"""One generation: the upstream stream in, coalesced deltas out, batched saves.

A generation belongs to the server process, not to the socket that started it:
closing the tab does not stop it. It publishes to the conversation's group on
the channel layer, so every socket watching (in this process or another) sees
the same stream, and it listens on a control group for "stop" and "sync"
(send a snapshot to a page that just connected).

Deltas carry character offsets, so a socket that joined late (or got a
snapshot) can drop what it already showed instead of showing it twice.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import math
import time
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
from asgiref.sync import sync_to_async
from channels.layers import BaseChannelLayer
from django.conf import settings
from django.db import reset_queries
from django.db.models import F
from django.utils import timezone

from chat.api import events, failures, mending, upstream
from chat.conversations import hub, joining, owner
from chat.conversations.hub import channel_layer, control_group
from chat.conversations.live_markdown import LivePane
from chat.models import Message
from chat.providers import upstreams

log = logging.getLogger(__name__)

FLUSH_INTERVAL = 0.04  # seconds between delta batches to the browser
# Seconds between Markdown renders of the streaming panes (chat.conversations.live_markdown):
# the raw deltas keep the text exact in between.
RENDER_INTERVAL = 0.2
SAVE_INTERVAL = 1.0  # seconds between database writes while streaming
HEARTBEAT_INTERVAL = 10.0  # default of PLAYGROUND_HEARTBEAT_SECONDS (heartbeat_interval())
INTERRUPTED_ERROR = "The server stopped while this answer was streaming; what arrived is kept."
SAVE_FAILED = (
    "The playground could not save this answer, so it was ended here; what arrived is kept. "
    "Run it again, and tell the operator if it keeps happening."
)

# Strong references to running generations: asyncio keeps only weak ones.
RUNNING: set[asyncio.Task] = set()
# The generations running in this process, by id(): a graceful stop saves each of them.
LIVE: dict[int, Generation] = {}
_CLIENTS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, httpx.AsyncClient] = (
    weakref.WeakKeyDictionary()
)
_GUARDED_CLIENTS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, httpx.AsyncClient] = (
    weakref.WeakKeyDictionary()
)
_SLOTS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
    weakref.WeakKeyDictionary()
)
QUEUED = "Queued: waiting for a free connection to the model…"
# The most choices one generation shows: a provider may return more than `n` asked for,
# and each is a message of its own; beyond this many, an upstream that numbers its
# choices wildly would fill the database.
MAX_CHOICES = 32


def shared_client(guarded: bool = False) -> httpx.AsyncClient:
    """One httpx client per event loop (a server process has one loop), and one more
    for guarded providers: it connects only to addresses checked as it connects."""
    loop = asyncio.get_running_loop()
    clients = _CLIENTS if not guarded else _GUARDED_CLIENTS
    client = clients.get(loop)
    if client is None or client.is_closed:
        connections = settings.PLAYGROUND_UPSTREAM_CONNECTIONS
        client = clients[loop] = (
            upstreams.make_guarded_client(connections)
            if guarded
            else upstream.make_client(connections=connections)
        )
    return client


def upstream_slots() -> asyncio.Semaphore:
    """The requests this process may have open upstream (PLAYGROUND_UPSTREAM_CONNECTIONS):
    a generation past them waits, shown as queued, instead of failing on httpx's pool."""
    loop = asyncio.get_running_loop()
    slots = _SLOTS.get(loop)
    if slots is None:
        slots = _SLOTS[loop] = asyncio.Semaphore(settings.PLAYGROUND_UPSTREAM_CONNECTIONS)
    return slots


@dataclass
class Choice:
    message_id: int
    reasoning: str = ""
    content: str = ""
    refusal: str = ""
    published_reasoning: int = 0
    published_content: int = 0
    first_reasoning_at: float | None = None
    first_content_at: float | None = None
    finished_at: float | None = None
    finish_reason: str = ""
    usage: dict | None = None
    status: str = Message.Status.STREAMING
    error: str = ""
    seen: bool = False
    unsaved: bool = False
    published_tools: list[dict] = field(default_factory=list)
    published_refusal: int = 0
    # What the pages have been sent rendered of the published reasoning and answer.
    live_reasoning: LivePane = field(default_factory=LivePane)
    live_content: LivePane = field(default_factory=LivePane)


@dataclass
class Generation:
    conversation_id: int
    choices: dict[int, Choice]
    body: dict
    base_url: str
    api_key: str | None
    timeouts: upstream.Timeouts = field(default_factory=upstream.Timeouts)
    # A person's provider: connect only to addresses checked as they connect.
    guarded: bool = False
    retries: upstream.Retries = field(default_factory=lambda: retries())
    _dirty: asyncio.Event = field(default_factory=asyncio.Event)
    _stream_task: asyncio.Task | None = None
    # Its messages already name this process as their owner (written when created).
    owned: bool = False
    # Tell the pages it started ("gen.started", with these ids too, e.g. the prompt's)
    # once it listens on its control group: a process that hears of it and says it
    # watches is then heard, and sent the deltas.
    announce: list[int] | None = None
    # Called with each choice the upstream returned beyond those asked for, once its
    # message exists (a comparison records it as one of its runs).
    on_new_choice: Callable[[Message], Awaitable[None]] | None = None
    _ending: asyncio.Event = field(default_factory=asyncio.Event)
    _status: str = ""
    _stopped: bool = False
    _interrupted: bool = False
    _last_save: float = 0.0
    _tools: events.ToolCallAssembler = field(default_factory=events.ToolCallAssembler)
    _dropped: set[int] = field(default_factory=set)  # choice indexes beyond MAX_CHOICES
    _next_render: float = 0.0  # monotonic time of the next render of the panes
    _render_timer: asyncio.TimerHandle | None = None  # wakes _tick for a render due

    # -- lifecycle ---------------------------------------------------------

    async def run(self) -> None:
        LIVE[id(self)] = self
        try:
            await self._run()
        finally:
            LIVE.pop(id(self), None)

    async def _run(self) -> None:
        if not self.owned:
            # Whose it is, so another process can tell when this one is gone.
            await Message.objects.filter(pk__in=self.message_ids()).aupdate(owner=owner.owner())
        layer = channel_layer()
        control = await layer.new_channel()
        await layer.group_add(control_group(self.conversation_id), control)
        listener = asyncio.create_task(self._listen(layer, control))
        if self.announce is not None:
            await self._send(
                {"type": "gen.started", "message_ids": [*self.announce, *self.message_ids()]}
            )
        ticker = asyncio.create_task(self._tick())
        self._last_save = time.monotonic()
        saver = asyncio.create_task(self._saver())
        self._stream_task = asyncio.create_task(self._consume())
        if self._stopped:  # stopped before it could listen (a comparison's queue relays it)
            self._stream_task.cancel()
        try:
            await self._stream_task
        except asyncio.CancelledError:
            if self._interrupted:
                self._finish_all(Message.Status.INTERRUPTED, INTERRUPTED_ERROR)
            elif self._stopped:
                self._finish_all(Message.Status.STOPPED)
            else:
                saver.cancel()
                raise  # the loop itself is going away: nothing can be saved now
        except Exception:
            log.exception("generation for conversation %s failed", self.conversation_id)
            self._finish_all(Message.Status.ERROR, "The playground failed while streaming.")
        finally:
            listener.cancel()
            ticker.cancel()
            if self._render_timer is not None:
                self._render_timer.cancel()
            self._ending.set()
            await layer.group_discard(control_group(self.conversation_id), control)
        # The saver ends its write first, so the final one is the last to land.
        await asyncio.gather(saver, return_exceptions=True)
        await self._publish_deltas()
        await self._save(final=True)
        await self._send({"type": "gen.done", "message_ids": self.message_ids()})

    def stop(self) -> None:
        self._stopped = True
        if self._stream_task is not None:
            self._stream_task.cancel()

    def interrupt(self) -> None:
        """The server is stopping: end now, saved as interrupted with the text so far."""
        self._interrupted = True
        self.stop()

    async def _listen(self, layer: BaseChannelLayer, control: str) -> None:
        while True:
            hub.checkpoint()
            event = await layer.receive(control)
            hub.HUB.heard(event, self.conversation_id)
            ids = set(self.message_ids())  # read each time: a choice may have been added
            wanted = set(event.get("message_ids") or ids)
            if not wanted & ids:
                continue
            if event["type"] == "gen.stop":
                self.stop()
            elif event["type"] == "gen.sync":
                await self._send(
                    {"type": "gen.snapshot", "parts": self._snapshot(), "status": self._status}
                )

    async def _tick(self) -> None:
        """Publish the first token at once, then at most every FLUSH_INTERVAL, and the
        panes' render after the deltas it covers, at most every RENDER_INTERVAL (a timer
        wakes it for a render due, so text that stops arriving is rendered too). Only
        publishes: the database is the saver's, so a slow write never holds up a delta."""
        while True:
            await self._dirty.wait()
            self._dirty.clear()
            await self._publish_deltas()
            await self._publish_renders()
            await asyncio.sleep(FLUSH_INTERVAL)

    async def _saver(self) -> None:
        """Save what changed at most every SAVE_INTERVAL, and at least every heartbeat
        (another process reads a message not saved for long as its server gone)."""
        while not self._ending.is_set():
            try:
                await asyncio.wait_for(self._ending.wait(), SAVE_INTERVAL)
                return  # the end: the final save is _run's
            except TimeoutError:
                hub.checkpoint()
            idle = time.monotonic() - self._last_save
            if any(c.unsaved for c in self.choices.values()):
                await self._save()
            elif idle >= heartbeat_interval():
                await self._save(heartbeat=True)

    # -- the upstream stream ----------------------------------------------

    async def _consume(self) -> None:
        slots = upstream_slots()
        if slots.locked():
            await self._show_status(QUEUED)
        async with slots:
            if self._status:
                await self._show_status("")
            await self._stream()
        self._finish_all(Message.Status.COMPLETE)

    async def _stream(self) -> None:
        async for event in upstream.stream_chat(
            shared_client(self.guarded),
            self.base_url,
            self.api_key,
            self.body,
            self.timeouts,
            self.retries,
        ):
            if isinstance(event, events.Retrying):
                await self._show_retry(event)
                continue
            if self._status:
                await self._show_status("")
            index = getattr(event, "index", None)
            if isinstance(index, int) and index not in self.choices:
                await self._add_choice(index)
            self._apply(event)

    async def _show_retry(self, retry: events.Retrying) -> None:
        log.info("conversation %s: %s; retrying", self.conversation_id, retry.reason)
        await self._show_status(f"{retry.reason} Retrying in {math.ceil(retry.seconds)} s…")

    async def _show_status(self, text: str) -> None:
        """The cards' status line (queued, a retry's wait), pushed to every socket
        watching, and kept for the snapshot of a page that connects later."""
        self._status = text
        await self._send({"type": "gen.status", "message_ids": self.message_ids(), "text": text})

    async def _add_choice(self, index: int) -> None:
        """A choice the request did not ask for (a provider returning more than `n`): a
        message of its own in the same batch, and the pages re-render the turn to show
        it. Its first event waits for that one write: a rare event, never per token."""
        if not 0 <= index < MAX_CHOICES or len(self.choices) >= MAX_CHOICES:
            if index not in self._dropped:
                self._dropped.add(index)
                log.warning("conversation %s: choice %s dropped", self.conversation_id, index)
            return
        first = await Message.objects.aget(pk=next(iter(self.choices.values())).message_id)
        message = await Message.objects.acreate(**_same_batch(first), choice_index=index)
        self.choices[index] = Choice(message.pk)
        if self.on_new_choice is not None:
            await self.on_new_choice(message)
        # Before any of its deltas: a page renders its card, then appends to it.
        await self._send({"type": "gen.path"})

    def _apply(self, event: events.Event) -> None:
        now = time.time()
        if isinstance(event, failures.UpstreamError):
            # Finished choices too: a gateway may send its error after a finish chunk,
            # and the answer is then not the complete one it looked like.
            self._finish_all(Message.Status.ERROR, event.describe(), finished_too=True)
            return
        if isinstance(event, events.Usage):
            self._apply_usage(event)
            return
        if isinstance(event, events.Retrying):
            return  # shown by _consume, which can await
        choice = self.choices.get(event.index)
        if choice is None:
            return
        choice.seen = choice.unsaved = True
        if isinstance(event, events.ReasoningDelta):
            if choice.first_reasoning_at is None:
                # A continued answer's new reasoning is a new passage (see joining).
                choice.reasoning = joining.join(choice.reasoning, event.text)
            else:
                choice.reasoning += event.text
            choice.first_reasoning_at = choice.first_reasoning_at or now
        elif isinstance(event, events.ContentDelta):
            choice.content += event.text
            choice.first_content_at = choice.first_content_at or now
        elif isinstance(event, events.RefusalDelta):
            # Shown apart from the answer, marked as a refusal, as it streams.
            choice.refusal += event.text
            choice.first_content_at = choice.first_content_at or now
        elif isinstance(event, events.ToolCallDelta):
            self._tools.add(event)
        elif isinstance(event, events.Finish):
            choice.finish_reason = event.reason
            choice.finished_at = now
            choice.status = Message.Status.COMPLETE
        self._dirty.set()

    def _apply_usage(self, usage: events.Usage) -> None:
        data = {
            key: value
            for key in (
                "prompt_tokens",
                "completion_tokens",
                "total_tokens",
                "cached_tokens",
                "reasoning_tokens",
            )
            if (value := getattr(usage, key)) is not None
        }
        if usage.extra:
            data["extra"] = usage.extra  # as sent (OpenRouter's cost): stored, never shown
        if usage.index in self._dropped:
            return
        if usage.index is not None and usage.index in self.choices:
            self.choices[usage.index].usage = data
        elif len(self.choices) == 1:
            next(iter(self.choices.values())).usage = data
        else:
            # A request-wide total for several choices: kept on each, marked as such.
            for choice in self.choices.values():
                if choice.usage is None:
                    choice.usage = {**data, "request_total": True}
        for choice in self.choices.values():
            choice.unsaved = True

    def _finish_all(self, status: str, error: str = "", *, finished_too: bool = False) -> None:
        """End the choices still streaming (`finished_too`: the complete ones as well)."""
        now = time.time()
        ending = [Message.Status.STREAMING, *([Message.Status.COMPLETE] if finished_too else [])]
        for choice in self.choices.values():
            if choice.status not in ending:
                continue
            choice.status = status
            choice.error = error
            choice.finished_at = choice.finished_at or now
            choice.unsaved = True

    # -- out: browser and database ----------------------------------------

    def message_ids(self) -> list[int]:
        return [choice.message_id for choice in self.choices.values()]

    def _snapshot(self) -> list[dict]:
        return [
            {
                "id": c.message_id,
                "reasoning": c.reasoning,
                "content": c.content,
                "refusal": c.refusal,
                "tools": self._tools.calls(index),
            }
            for index, c in self.choices.items()
        ]

    async def _send(self, event: dict) -> None:
        await hub.HUB.publish(self.conversation_id, event)

    async def _publish_deltas(self) -> None:
        parts = []
        for c in self.choices.values():
            reasoning = c.reasoning[c.published_reasoning :]
            content = c.content[c.published_content :]
            if not (reasoning or content):
                continue
            parts.append(
                {
                    "id": c.message_id,
                    "reasoning": reasoning,
                    "reasoning_offset": c.published_reasoning,
                    "content": content,
                    "content_offset": c.published_content,
                }
            )
            c.published_reasoning = len(c.reasoning)
            c.published_content = len(c.content)
        if parts:
            await self._send({"type": "gen.delta", "parts": parts})
        await self._publish_refusals()
        await self._publish_tools()

    async def _publish_renders(self) -> None:
        """The panes' Markdown as rendered by the card's renderer, of the text published
        so far (every page has its deltas first): the blocks finished since the last
        render, appended once, and the unfinished tail, replaced."""
        now = time.monotonic()
        if now < self._next_render:
            self._render_later(self._next_render - now)
            return
        self._next_render = now + RENDER_INTERVAL
        parts = []
        behind = False
        for c in self.choices.values():
            for pane, live, text in (
                ("r", c.live_reasoning, c.reasoning[: c.published_reasoning]),
                ("a", c.live_content, c.content[: c.published_content]),
            ):
                update = live.update(text)
                behind = behind or live.behind(text)
                if update is None:
                    continue
                parts.append(
                    {
                        "id": c.message_id,
                        "pane": pane,
                        "start": update.start,
                        "blocks": [[end, html] for end, html in update.blocks],
                        "tail": update.tail,
                        "upto": update.upto,
                    }
                )
        if behind:
            self._render_later(RENDER_INTERVAL)
        if parts:
            await self._send({"type": "gen.render", "parts": parts})

    def _render_later(self, delay: float) -> None:
        if self._render_timer is None and not self._ending.is_set():
            self._render_timer = asyncio.get_running_loop().call_later(delay, self._render_due)

    def _render_due(self) -> None:
        self._render_timer = None
        self._dirty.set()

    async def _publish_refusals(self) -> None:
        """Each choice's refusal, whole, when it grew (forwarding.gen_refusal): a refusal
        is a sentence or two and rare, so it needs none of the deltas' offsets, and a
        page that missed one is whole again with the next."""
        for c in self.choices.values():
            if len(c.refusal) != c.published_refusal:
                c.published_refusal = len(c.refusal)
                await self._send({"type": "gen.refusal", "id": c.message_id, "text": c.refusal})

    async def _publish_tools(self) -> None:
        """Each choice's tool calls, whole, when they changed: the name as soon as it
        arrives, then the arguments as they fill in (forwarding.gen_tools)."""
        for index, c in self.choices.items():
            calls = self._tools.calls(index)
            if calls and calls != c.published_tools:
                c.published_tools = calls
                await self._send({"type": "gen.tools", "id": c.message_id, "calls": calls})

    async def _save(self, *, final: bool = False, heartbeat: bool = False) -> None:
        self._last_save = time.monotonic()
        any_seen = any(c.seen for c in self.choices.values())
        failed = False
        for index, c in self.choices.items():
            if not (c.unsaved or heartbeat or final):
                continue
            c.unsaved = False
            try:
                if final and any_seen and not c.seen and c.status == Message.Status.COMPLETE:
                    # The upstream returned fewer choices than asked (n with temperature ~0).
                    await Message.objects.filter(pk=c.message_id).adelete()
                    continue
                await self._write(index, c)
            except Exception:  # any failed save: the message must not stay "streaming"
                log.exception("saving message %s failed", c.message_id)
                await self._write_failure(c)
                failed = True
        if failed and not any(c.status == Message.Status.STREAMING for c in self.choices.values()):
            self.stop()  # a failed save ended the last choice still streaming
        if settings.DEBUG:
            # Django empties its query log per request; a generation is no request, so
            # under DEBUG every save (whole texts in its SQL) would be kept until 9000.
            await _forget_queries()

    async def _write(self, index: int, c: Choice) -> None:
        await Message.objects.filter(pk=c.message_id).aupdate(
            reasoning=c.reasoning,
            content=c.content,
            refusal=c.refusal,
            tool_calls=self._tools.calls(index) or None,
            usage=c.usage,
            finish_reason=c.finish_reason,
            status=c.status,
            error=c.error,
            first_reasoning_at=_as_datetime(c.first_reasoning_at),
            first_content_at=_as_datetime(c.first_content_at),
            finished_at=_as_datetime(c.finished_at),
            revision=F("revision") + 1,
            updated_at=timezone.now(),
        )

    async def _write_failure(self, c: Choice) -> None:
        """End the choice as an error, keeping its text made storable; only the fields a
        person reads are written, so whatever the database refused is left out."""
        c.status = Message.Status.ERROR
        c.error = SAVE_FAILED
        c.finished_at = c.finished_at or time.time()
        try:
            await Message.objects.filter(pk=c.message_id).aupdate(
                reasoning=mending.storable(c.reasoning),
                content=mending.storable(c.content),
                refusal=mending.storable(c.refusal),
                status=c.status,
                error=c.error,
                finished_at=_as_datetime(c.finished_at),
                revision=F("revision") + 1,
                updated_at=timezone.now(),
            )
        except Exception:  # the database itself is gone: nothing more can be kept
            log.exception("saving message %s as failed failed too", c.message_id)


# In the ORM's own thread: query logs belong to each thread's connections.
_forget_queries = sync_to_async(reset_queries)


def _same_batch(message: Message) -> dict[str, Any]:
    """The fields a new choice shares with `message`, another answer of its batch."""
    return {
        "conversation_id": message.conversation_id,
        "parent_id": message.parent_id,
        "role": Message.Role.ASSISTANT,
        "batch": message.batch,
        "model": message.model,
        "request_params": message.request_params,
        "status": Message.Status.STREAMING,
        "upstream": message.upstream,
        "sent_at": message.sent_at,
        "owner": message.owner,
    }


def _as_datetime(timestamp: float | None) -> datetime | None:
    if timestamp is None:
        return None
    return datetime.fromtimestamp(timestamp, tz=UTC)


def start(
    generation: Generation, after: Callable[[Generation], Awaitable[None]] | None = None
) -> asyncio.Task:
    """Run a generation in the background of this server process, then `after` (which
    counts the tokens it spent, see chat/limits/), if given.

    In a fresh context: started from a sync view (through async_to_sync), the task
    would otherwise inherit asgiref's executor of that view's thread, which is gone
    once the view returns, and every database call of the generation would fail.
    """
    task = asyncio.get_running_loop().create_task(
        _run_then(generation, after), context=contextvars.Context()
    )
    RUNNING.add(task)
    task.add_done_callback(RUNNING.discard)
    return task


async def _run_then(
    generation: Generation, after: Callable[[Generation], Awaitable[None]] | None
) -> None:
    await generation.run()
    if after is not None:
        await after(generation)


def retries() -> upstream.Retries:
    from django.conf import settings

    return upstream.Retries(
        attempts=settings.PLAYGROUND_UPSTREAM_ATTEMPTS,
        max_delay=settings.PLAYGROUND_RETRY_MAX_SECONDS,
    )


def heartbeat_interval() -> float:
    from django.conf import settings

    return float(settings.PLAYGROUND_HEARTBEAT_SECONDS)


def timeouts() -> upstream.Timeouts:
    return upstream.Timeouts(
        connect=settings.PLAYGROUND_CONNECT_TIMEOUT,
        first_byte=settings.PLAYGROUND_FIRST_BYTE_TIMEOUT,
        chunk=settings.PLAYGROUND_CHUNK_TIMEOUT,
    )
