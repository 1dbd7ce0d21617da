"""Comparisons in the database: saving one, running it, stopping it, opening a run.

A run is one hidden Conversation (never listed) holding the prompt path as messages
and, under its last prompt, one batch of answers per column and repeat: each is an
ordinary Generation (chat/conversations/generation.py), so streaming, saving, stop and
catch-up are the conversation page's own. ComparisonRun records which answer is which.

A person's runs stream at most PLAYGROUND_COMPARE_CONCURRENCY at a time, across every
server process; the rest wait as "queued" answers. The cap is a set of leases in the
shared store (chat/limits/leases.py: Redis with REDIS_URL): a run holds one slot while
it streams, renewing it every heartbeat, and gives it back when it ends; a process that
dies leaves its slots to expire. A queued answer starts only if it is still queued when
a slot frees (a compare-and-set in the database), so a stop from any process keeps it
from starting.

What the pages show is chat/compare/results.py; the snapshot and downloads are
chat/compare/exports.py; the pure parts are grid.py, metrics.py and chart.py.
"""

from __future__ import annotations

import asyncio
import contextvars
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from channels.db import database_sync_to_async
from channels.layers import BaseChannelLayer, get_channel_layer
from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils import timezone

from chat.api import params
from chat.compare import form, turns
from chat.conversations import actions, attachments, copies, generation, hub, owner, tree
from chat.conversations.generation import Choice, Generation
from chat.limits import leases
from chat.models import (
    Attachment,
    Comparison,
    ComparisonRun,
    Conversation,
    Message,
    title_from_prompt,
)
from chat.providers import upstreams
from chat.providers.upstreams import Provider

# A run still under way: waiting for a slot, or streaming.
ACTIVE = (Message.Status.QUEUED, Message.Status.STREAMING)
# The name of the compare cap's slots in the shared store (chat/limits/leases.py).
COMPARE_SLOTS = "compare"
INTERRUPTED_TEXT = (
    "The server stopped while this run was streaming or queued; what arrived is kept."
)


def create(user: User, builder: form.Builder, source: Conversation | None = None) -> Comparison:
    messages = builder.prompt_messages
    prompt = next((str(m["content"]) for m in reversed(messages) if m["role"] == "user"), "")
    return Comparison.objects.create(
        owner=user,
        title=builder.title or title_from_prompt(prompt),
        system_prompt=builder.system_prompt,
        messages=messages,
        columns=builder.settings,
        sweep=builder.sweep_record,
        repeats=builder.repeats or 1,
        source_conversation=source,
    )


def copy(comparison: Comparison) -> Comparison:
    """Run again: a new comparison with the very same prompt and settings."""
    return Comparison.objects.create(
        owner=comparison.owner,
        title=comparison.title,
        system_prompt=comparison.system_prompt,
        messages=comparison.messages,
        columns=comparison.columns,
        sweep=comparison.sweep,
        repeats=comparison.repeats,
        source_conversation=comparison.source_conversation,
    )


# -- running -----------------------------------------------------------------------------


@dataclass
class _Request:
    """One upstream request of a run: its body and its answers (choice index -> message)."""

    body: dict[str, object]
    choices: dict[int, int]
    provider: Provider


@dataclass
class Queued:
    """A comparison's answers, saved as queued, and the requests that will answer them."""

    conversation_id: int
    user_id: int
    requests: list[_Request]


def queue(comparison: Comparison, provider_for: Callable[[dict[str, object]], Provider]) -> Queued:
    """Save the comparison's hidden conversation and every answer as queued (the page
    shows them at once); drain() then starts them."""
    conversation_id, requests = _create_run(comparison, provider_for)
    return Queued(conversation_id, comparison.owner_id, requests)


async def drain(queued: Queued) -> None:
    """Start each queued request when the person has a free slot, unless it was stopped;
    return when every answer has ended."""
    await _drain(queued.conversation_id, queued.user_id, queued.requests)


def keep(task: asyncio.Task[None]) -> asyncio.Task[None]:
    """A background run, held so it is not collected and tests can wait for it."""
    generation.RUNNING.add(task)
    task.add_done_callback(generation.RUNNING.discard)
    return task


async def start(
    comparison: Comparison, provider_for: Callable[[dict[str, object]], Provider]
) -> asyncio.Task[None]:
    """Queue every request of the comparison and start as many as the cap allows.

    `provider_for` names the upstream of a column from its settings (its Provider
    select). Requests are queued repeat by repeat, so each column gets its first
    answer early.
    """
    queued = await database_sync_to_async(queue)(comparison, provider_for)
    # A fresh context, as for a generation (see generation.start): Run is a sync view.
    return keep(
        asyncio.get_running_loop().create_task(drain(queued), context=contextvars.Context())
    )


@transaction.atomic
def _create_run(
    comparison: Comparison, provider_for: Callable[[dict[str, object]], Provider]
) -> tuple[int, list[_Request]]:
    """The comparison's hidden conversation (its id) and its requests, all queued."""
    now = timezone.now()
    hidden = Conversation.objects.create(
        owner_id=comparison.owner_id,
        hidden=True,
        title=comparison.title,
        system_prompt=comparison.system_prompt,
        settings=comparison.columns[0],
        started_at=now,
    )
    path = _save_prompt_path(comparison, hidden)
    parent = path[-1] if path else None
    urls = attachments.data_urls(m.pk for m in path if m.role == Message.Role.USER)
    api_messages = tree.api_messages(comparison.system_prompt, path, None, urls)
    requests = []
    column_providers = [provider_for(column_settings) for column_settings in comparison.columns]
    for repeat in range(comparison.repeats):
        for column, column_settings in enumerate(comparison.columns):
            body = params.build_body(column_settings, api_messages)
            requests.append(
                _queue(comparison, hidden, parent, body, column_providers[column], column, repeat)
            )
    hidden.current_leaf = parent
    hidden.save(update_fields=["current_leaf", "updated_at"])
    comparison.conversation = hidden
    comparison.save(update_fields=["conversation", "messages", "updated_at"])
    return hidden.pk, requests


def _save_prompt_path(comparison: Comparison, hidden: Conversation) -> list[Message]:
    """The prompt path as the hidden conversation's messages, each prompt with its
    images: the builder's uploads are linked, any other image the owner may see (a
    conversation's, a saved prompt's, an earlier comparison's) is copied. From then on
    Comparison.messages names the images by their keys here, so the comparison keeps
    them whatever becomes of where they came from."""
    keys = turns.image_keys(comparison.messages)
    visible = Attachment.objects.visible_to(comparison.owner).filter(key__in=keys)
    found = {image.key: image for image in visible}
    path: list[Message] = []
    kept: list[dict[str, object]] = []
    for message in comparison.messages:
        saved = Message.objects.create(
            conversation=hidden,
            parent=path[-1] if path else None,
            role=message["role"],
            content=message.get("content") or "",
            reasoning=message.get("reasoning") or "",
            tool_calls=message.get("tool_calls") or None,
            tool_results=message.get("tool_results") or None,
            status=Message.Status.COMPLETE,
            sent_at=hidden.started_at,
        )
        entry = {k: v for k, v in message.items() if k != "images"}
        images = [found[key] for key in message.get("images") or [] if key in found]
        if images and saved.role == Message.Role.USER:
            entry["images"] = [image.key for image in attachments.attach(saved, images)]
        path.append(saved)
        kept.append(entry)
    comparison.messages = kept
    return path


def _queue(
    comparison: Comparison,
    hidden: Conversation,
    parent: Message | None,
    body: dict[str, object],
    provider: Provider,
    column: int,
    repeat: int,
) -> _Request:
    sent = {key: value for key, value in body.items() if key != "messages"}
    batch = uuid.uuid4()
    choices = {}
    n = body.get("n")
    for index in range(n if isinstance(n, int) and n > 0 else 1):
        message = Message.objects.create(
            conversation=hidden,
            parent=parent,
            role=Message.Role.ASSISTANT,
            choice_index=index,
            batch=batch,
            model=str(body["model"]),
            request_params=sent,
            status=Message.Status.QUEUED,
            upstream=provider.name,
        )
        ComparisonRun.objects.create(
            comparison=comparison, column=column, repeat=repeat, choice=index, message=message
        )
        choices[index] = message.pk
    return _Request(body, choices, provider)


async def _drain(conversation_id: int, user_id: int, requests: list[_Request]) -> None:
    """Start each request when the person has a free slot, unless it was stopped."""
    cap = settings.PLAYGROUND_COMPARE_CONCURRENCY
    seconds = leases.lease_seconds(settings.PLAYGROUND_HEARTBEAT_SECONDS)
    started: list[Generation] = []
    tasks: list[asyncio.Task[None]] = []
    layer = _layer()
    control = await layer.new_channel()
    await layer.group_add(generation.control_group(conversation_id), control)
    helpers = [
        asyncio.create_task(_keep_queued_fresh(conversation_id)),
        asyncio.create_task(_relay_stops(layer, control, started)),
    ]
    try:
        for request in requests:
            lease = await leases.await_slot(COMPARE_SLOTS, str(user_id), cap, seconds)
            try:
                run = await _start_if_queued(conversation_id, request)
            except BaseException:
                await leases.afree(lease)
                raise
            if run is None:
                await leases.afree(lease)
                continue
            started.append(run)
            task = generation.start(run, actions.tokens_counter(user_id, request.provider))
            tasks.append(asyncio.create_task(_holding(lease, seconds, task)))
        await asyncio.gather(*tasks, return_exceptions=True)
    finally:
        for helper in helpers:
            helper.cancel()
        await layer.group_discard(generation.control_group(conversation_id), control)


async def _holding(lease: leases.Lease, seconds: int, run: asyncio.Task[None]) -> None:
    """Keep the run's slot while it streams (renewed every heartbeat), free it after."""
    try:
        while not run.done():
            await asyncio.wait({run}, timeout=settings.PLAYGROUND_HEARTBEAT_SECONDS)
            if not run.done():
                await leases.arenew(lease, seconds)
    finally:
        await leases.afree(lease)


async def _relay_stops(layer: BaseChannelLayer, control: str, started: list[Generation]) -> None:
    """Pass a stop on to the runs this queue started: one stopped in the instant between
    leaving the queue and listening for itself would otherwise miss it."""
    while True:
        hub.checkpoint()
        event = await layer.receive(control)
        if event.get("type") != "gen.stop":
            continue
        wanted = set(event.get("message_ids") or [])
        for run in started:
            if not wanted or wanted & set(run.message_ids()):
                run.stop()


async def _start_if_queued(conversation_id: int, request: _Request) -> Generation | None:
    """The request's generation, announced to the pages, if it was still queued (and
    its provider may still be asked: a person's host is checked again now)."""
    now = timezone.now()
    provider = request.provider
    claimed = await Message.objects.filter(
        pk__in=list(request.choices.values()), status=Message.Status.QUEUED
    ).aupdate(status=Message.Status.STREAMING, sent_at=now, updated_at=now, owner=owner.owner())
    if not claimed:
        return None  # stopped while it waited
    reason = await upstreams.refusal(provider)
    if reason:
        ids = list(request.choices.values())
        await Message.objects.filter(pk__in=ids).aupdate(
            status=Message.Status.ERROR, error=reason, finished_at=now, updated_at=now
        )
        await hub.HUB.publish(conversation_id, {"type": "gen.done", "message_ids": ids})
        return None
    run = Generation(
        conversation_id,
        {index: Choice(pk) for index, pk in request.choices.items()},
        request.body,
        provider.base_url,
        provider.credential,
        generation.timeouts(),
        guarded=upstreams.is_guarded(provider),
        owned=True,
        announce=[],  # the generation says it started, once it listens for stops
        on_new_choice=_record_choice,
    )
    return run


async def _record_choice(message: Message) -> None:
    """A choice the upstream returned beyond `n`: a run of the same column and repeat."""
    batch = ComparisonRun.objects.filter(message__batch=message.batch)
    first = await batch.exclude(message=message).afirst()
    if first is not None:
        await ComparisonRun.objects.acreate(
            comparison_id=first.comparison_id,
            column=first.column,
            repeat=first.repeat,
            choice=message.choice_index,
            message=message,
        )


async def _keep_queued_fresh(conversation_id: int) -> None:
    """Queued answers are written as often as streaming ones, so neither looks stale
    while its server lives (see Message.is_stale)."""
    while True:
        await asyncio.sleep(generation.HEARTBEAT_INTERVAL)
        await Message.objects.filter(
            conversation_id=conversation_id, status=Message.Status.QUEUED
        ).aupdate(updated_at=timezone.now())


async def stop(comparison: Comparison, column: int | None = None) -> None:
    """Stop every run of the comparison, or of one column (from 0): streaming ones end
    keeping what arrived, queued ones never start."""
    runs = ComparisonRun.objects.filter(comparison=comparison)
    if column is not None:
        runs = runs.filter(column=column)
    ids = [pk async for pk in runs.values_list("message_id", flat=True)]
    if not ids or comparison.conversation_id is None:
        return
    queued = Message.objects.filter(pk__in=ids, status=Message.Status.QUEUED)
    stopped = []
    for pk in [pk async for pk in queued.values_list("pk", flat=True)]:
        # One by one, each only if still queued: one that just started is stopped below.
        if await Message.objects.filter(pk=pk, status=Message.Status.QUEUED).aupdate(
            status=Message.Status.STOPPED, updated_at=timezone.now()
        ):
            stopped.append(pk)
    layer = _layer()
    await layer.group_send(
        generation.control_group(comparison.conversation_id),
        {"type": "gen.stop", "message_ids": ids},
    )
    if stopped:
        await hub.HUB.publish(
            comparison.conversation_id, {"type": "gen.done", "message_ids": stopped}
        )


def mark_interrupted(comparison: Comparison) -> None:
    """Runs left streaming or queued by a server that died show what was saved."""
    if comparison.conversation_id is None:
        return
    active = Message.objects.filter(conversation_id=comparison.conversation_id, status__in=ACTIVE)
    stale = [m.pk for m in active if m.is_stale]
    if stale:
        Message.objects.filter(pk__in=stale).update(
            status=Message.Status.INTERRUPTED, error=INTERRUPTED_TEXT
        )


def open_as_conversation(comparison: Comparison, message: Message, user: User) -> Conversation:
    """A new, ordinary conversation holding the prompt path and this run's answer."""
    run = ComparisonRun.objects.get(comparison=comparison, message=message)
    column = comparison.columns[run.column]
    copy_ = Conversation.objects.create(
        owner=user,
        title=f"{comparison.display_title} · column {run.column + 1}"[:200],
        system_prompt=comparison.system_prompt,
        settings={k: v for k, v in column.items() if k in params.PARAMS},
        started_at=timezone.now(),
    )
    copies.copy_path(message.conversation.path(message.pk), copy_)
    return copy_


def _layer() -> BaseChannelLayer:
    layer = get_channel_layer()
    if layer is None:  # settings.CHANNEL_LAYERS always names one: runs are announced on it
        raise ImproperlyConfigured("Compare mode needs a channel layer (CHANNEL_LAYERS).")
    return layer
