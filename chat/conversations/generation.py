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
import time
import weakref
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx
from asgiref.sync import sync_to_async
from channels.layers import BaseChannelLayer, get_channel_layer
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import reset_queries
from django.db.models import F
from django.utils import timezone

from chat.api import events, failures, mending, upstream
from chat.models import Message

log = logging.getLogger(__name__)

FLUSH_INTERVAL = 0.04  # seconds between delta batches to the browser
SAVE_INTERVAL = 1.0  # seconds between database writes while streaming
HEARTBEAT_INTERVAL = 10.0  # write at least this often, so a live stream never looks stale
SAVE_FAILED = (
    "The playground could not save this answer, so it was ended here; what arrived is kept. "
    "Run it again, and tell the operator if it keeps happening."
)

# Strong references to running generations: asyncio keeps only weak ones.
RUNNING: set[asyncio.Task] = set()
_CLIENTS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, httpx.AsyncClient] = (
    weakref.WeakKeyDictionary()
)


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


def shared_client() -> httpx.AsyncClient:
    """One httpx client per event loop (a server process has one loop)."""
    loop = asyncio.get_running_loop()
    client = _CLIENTS.get(loop)
    if client is None or client.is_closed:
        client = _CLIENTS[loop] = upstream.make_client()
    return client


@dataclass
class Choice:
    message_id: int
    reasoning: str = ""
    content: str = ""
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


@dataclass
class Generation:
    conversation_id: int
    choices: dict[int, Choice]
    body: dict
    base_url: str
    api_key: str | None
    timeouts: upstream.Timeouts = field(default_factory=upstream.Timeouts)
    _dirty: asyncio.Event = field(default_factory=asyncio.Event)
    _stream_task: asyncio.Task | None = None
    _stopped: bool = False
    _last_save: float = 0.0
    _tools: events.ToolCallAssembler = field(default_factory=events.ToolCallAssembler)

    # -- lifecycle ---------------------------------------------------------

    async def run(self) -> None:
        layer = channel_layer()
        control = await layer.new_channel()
        await layer.group_add(control_group(self.conversation_id), control)
        listener = asyncio.create_task(self._listen(layer, control))
        ticker = asyncio.create_task(self._tick())
        self._last_save = time.monotonic()
        self._stream_task = asyncio.create_task(self._consume())
        if self._stopped:  # stopped before it could listen (a comparison's queue relays it)
            self._stream_task.cancel()
        try:
            await self._stream_task
        except asyncio.CancelledError:
            if not self._stopped:
                raise  # the server itself is shutting down
            self._finish_all(Message.Status.STOPPED)
        except Exception:
            log.exception("generation for conversation %s failed", self.conversation_id)
            self._finish_all(Message.Status.ERROR, "The playground failed while streaming.")
        finally:
            listener.cancel()
            ticker.cancel()
            await layer.group_discard(control_group(self.conversation_id), control)
        await self._publish_deltas()
        await self._save(final=True)
        await self._send({"type": "gen.done", "message_ids": self.message_ids()})

    def stop(self) -> None:
        self._stopped = True
        if self._stream_task is not None:
            self._stream_task.cancel()

    async def _listen(self, layer: BaseChannelLayer, control: str) -> None:
        ids = set(self.message_ids())
        while True:
            event = await layer.receive(control)
            wanted = set(event.get("message_ids") or ids)
            if not wanted & ids:
                continue
            if event["type"] == "gen.stop":
                self.stop()
            elif event["type"] == "gen.sync":
                await self._send({"type": "gen.snapshot", "parts": self._snapshot()})

    async def _tick(self) -> None:
        """Publish the first token at once, then at most every FLUSH_INTERVAL."""
        while True:
            try:
                await asyncio.wait_for(self._dirty.wait(), HEARTBEAT_INTERVAL)
            except TimeoutError:
                await self._save(heartbeat=True)
                continue
            self._dirty.clear()
            await self._publish_deltas()
            if time.monotonic() - self._last_save >= SAVE_INTERVAL:
                await self._save()
            await asyncio.sleep(FLUSH_INTERVAL)

    # -- the upstream stream ----------------------------------------------

    async def _consume(self) -> None:
        async for event in upstream.stream_chat(
            shared_client(), self.base_url, self.api_key, self.body, self.timeouts
        ):
            self._apply(event)
        self._finish_all(Message.Status.COMPLETE)

    def _apply(self, event: events.Event) -> None:
        now = time.time()
        if isinstance(event, failures.UpstreamError):
            self._finish_all(Message.Status.ERROR, event.describe())
            return
        if isinstance(event, events.Usage):
            self._apply_usage(event)
            return
        choice = self.choices.get(event.index)
        if choice is None:
            return
        choice.seen = choice.unsaved = True
        if isinstance(event, events.ReasoningDelta):
            choice.reasoning += event.text
            choice.first_reasoning_at = choice.first_reasoning_at or now
        elif isinstance(event, events.ContentDelta):
            choice.content += event.text
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

    def _finish_all(self, status: str, error: str = "") -> None:
        now = time.time()
        for choice in self.choices.values():
            if choice.status != Message.Status.STREAMING:
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
            {"id": c.message_id, "reasoning": c.reasoning, "content": c.content}
            for c in self.choices.values()
        ]

    async def _send(self, event: dict) -> None:
        await channel_layer().group_send(conversation_group(self.conversation_id), event)

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


def _as_datetime(timestamp: float | None) -> datetime | None:
    if timestamp is None:
        return None
    return datetime.fromtimestamp(timestamp, tz=UTC)


def start(generation: Generation) -> asyncio.Task:
    """Run a generation in the background of this server process.

    In a fresh context: started from a sync view (through async_to_sync), the task
    would otherwise inherit asgiref's executor of that view's thread, which is gone
    once the view returns, and every database call of the generation would fail.
    """
    task = asyncio.get_running_loop().create_task(generation.run(), context=contextvars.Context())
    RUNNING.add(task)
    task.add_done_callback(RUNNING.discard)
    return task


def timeouts() -> upstream.Timeouts:
    return upstream.Timeouts(
        connect=settings.PLAYGROUND_CONNECT_TIMEOUT,
        first_byte=settings.PLAYGROUND_FIRST_BYTE_TIMEOUT,
        chunk=settings.PLAYGROUND_CHUNK_TIMEOUT,
    )
