"""No message stays `streaming` once its owner is gone.

A server killed mid-stream (kill -9, a crash, a lost machine) leaves its messages
marked streaming. Every server process looks for them when it starts and then every
heartbeat interval (`watch`), and a page looks when it connects, sends or presses
Stop (`sweep` for one conversation): a streaming message whose owner process is gone,
or whose heartbeat is older than STALE_AFTER, ends as `interrupted` with what was saved,
and the conversation's sockets are told, so open tabs show it without a reload.

A graceful stop (SIGTERM) ends every generation of this process first (`shutdown`):
each is saved as interrupted with the text so far, and its pages are told.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from django.db.models import Q
from django.utils import timezone

from chat.conversations import generation, hub, owner
from chat.models import Message

log = logging.getLogger(__name__)

SHUTDOWN_TIMEOUT = 10.0  # seconds a graceful stop waits for the final saves

# The watcher of this process, per event loop (tests run many loops in one process).
_WATCHERS: dict[int, asyncio.Task] = {}


async def sweep(conversation_id: int | None = None) -> list[int]:
    """End the orphaned streaming messages (of one conversation, or all) as interrupted;
    return their ids."""
    mine = {pk for run in generation.LIVE.values() for pk in run.message_ids()}
    streaming = Message.objects.filter(status=Message.Status.STREAMING)
    if conversation_id is not None:
        streaming = streaming.filter(conversation_id=conversation_id)
    candidates = streaming.exclude(Q(owner=owner.owner()) | Q(pk__in=mine)).only(
        "pk", "conversation_id", "owner", "status", "updated_at"
    )
    orphans = [m async for m in candidates if owner.is_gone(m.owner) or m.is_stale]
    if not orphans:
        return []
    now = timezone.now()
    # Only those still streaming: a live owner's final save may have just come in.
    await Message.objects.filter(
        pk__in=[m.pk for m in orphans], status=Message.Status.STREAMING
    ).aupdate(
        status=Message.Status.INTERRUPTED,
        error=generation.INTERRUPTED_ERROR,
        finished_at=now,
        updated_at=now,
    )
    by_conversation: dict[int, list[int]] = {}
    for message in orphans:
        by_conversation.setdefault(message.conversation_id, []).append(message.pk)
    for cid, ids in by_conversation.items():
        log.warning("conversation %s: messages %s lost their server; interrupted", cid, ids)
        await hub.HUB.publish(cid, {"type": "gen.done", "message_ids": ids})
    return [m.pk for m in orphans]


async def watch() -> None:
    """Sweep now (this process just started), then every heartbeat interval."""
    while True:
        try:
            await sweep()
        except Exception:  # a database hiccup must not end the watch
            hub.checkpoint()  # unless it was a cancel, swallowed on the way (see there)
            log.exception("looking for interrupted generations failed")
        await asyncio.sleep(generation.heartbeat_interval())


async def shutdown() -> None:
    """Save every running generation of this process as interrupted, then return."""
    runs = list(generation.LIVE.values())
    for run in runs:
        run.interrupt()
    tasks = [task for task in generation.RUNNING if not task.done()]
    if tasks:
        await asyncio.wait(tasks, timeout=SHUTDOWN_TIMEOUT)
    log.info("saved %s running generations before stopping", len(runs))


def ensure_started() -> None:
    """Start this process's watcher on the running loop, once; under Daphne, also
    save running generations when the server stops (Daphne sends no ASGI lifespan)."""
    loop = asyncio.get_running_loop()
    task = _WATCHERS.get(id(loop))
    if task is not None and not task.done():
        return
    _WATCHERS[id(loop)] = loop.create_task(watch())
    _on_reactor_shutdown(shutdown)


def served_by_daphne() -> bool:
    """Whether Twisted's reactor (Daphne's) is running this loop; not in-process tests."""
    # Importing the reactor when it is not there would install a reactor of its own.
    if "twisted.internet.reactor" not in sys.modules:
        return False
    from twisted.internet import reactor

    return bool(getattr(reactor, "running", False))


def _on_reactor_shutdown(callback: Callable[[], Awaitable[None]]) -> None:
    if not served_by_daphne():
        return
    from twisted.internet import defer, reactor

    def before_shutdown() -> defer.Deferred:
        return defer.Deferred.fromFuture(asyncio.ensure_future(callback()))

    core: Any = reactor  # typed as a module; it is the running IReactorCore
    core.addSystemEventTrigger("before", "shutdown", before_shutdown)
