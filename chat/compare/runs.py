"""Comparisons in the database: saving one, running it, stopping it, and what its pages show.

A run is one hidden Conversation (never listed) holding the prompt path as messages
and, under its last prompt, one batch of answers per column and repeat: each is an
ordinary Generation (chat/generation.py), so streaming, saving, stop and catch-up are
the conversation page's own. ComparisonRun records which answer is which.

A person's runs stream at most PLAYGROUND_COMPARE_CONCURRENCY at a time; the rest wait
as "queued" answers. The cap is an asyncio.Semaphore per person *in this server
process*, held by the process that started the run: with several processes, each
allows that many. A queued answer starts only if it is still queued when a slot frees
(a compare-and-set in the database), so a stop from any process keeps it from starting.

The pure parts (the grid, metrics, summaries, diffs, the chart) are chat/grid.py.
"""

from __future__ import annotations

import asyncio
import contextvars
import uuid
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from chat import textdiff
from chat.api import params
from chat.compare import form, grid
from chat.conversations import cards, copies, exports, generation
from chat.conversations.generation import Choice, Generation
from chat.figures import figure
from chat.models import (
    Comparison,
    ComparisonRun,
    Conversation,
    Message,
    PromptVersion,
    title_from_prompt,
)
from chat.providers import upstreams
from chat.providers.upstreams import Provider

ACTIVE = (Message.Status.QUEUED, Message.Status.STREAMING)
# The chart's metrics, in this order; every key is one of grid.METRICS.
CHART_METRICS = ("first_reasoning_s", "first_answer_s", "total_s", "answer_tps")
CHART_LABEL_CHARS = 28
INTERRUPTED_TEXT = (
    "The server stopped while this run was streaming or queued; what arrived is kept."
)
SNAPSHOT_VERSION = 1

_GATES: weakref.WeakKeyDictionary[
    asyncio.AbstractEventLoop, dict[tuple[int, int], asyncio.Semaphore]
] = weakref.WeakKeyDictionary()


# -- a builder prefilled from where a person starts -------------------------------------


def builder_from(
    user,
    *,
    conversation: Conversation | None = None,
    version: PromptVersion | None = None,
    comparison: Comparison | None = None,
) -> form.Builder:
    """A new comparison's builder: from a conversation's visible path, a saved prompt's
    version, an earlier comparison ("Edit as new"), or blank with the latest settings."""
    builder = form.Builder()
    if comparison is not None:
        builder.title = comparison.title
        builder.system_prompt = comparison.system_prompt
        builder.messages = [dict(m) for m in comparison.messages] or builder.messages
        builder.columns = [form.Column.from_settings(c) for c in comparison.columns]
        rows = list((comparison.sweep or {}).get("params") or [])[: len(form.SWEEP_ROWS)]
        for slot, row in zip(builder.sweep, rows, strict=False):
            slot.update(name=str(row.get("name") or ""), values=str(row.get("values") or ""))
        builder.repeats_text = str(comparison.repeats)
        return builder
    if conversation is not None:
        builder.system_prompt = conversation.system_prompt
        builder.messages = _prompt_path(conversation.path()) or builder.messages
        start = conversation.settings or params.default_settings()
    elif version is not None:
        builder.system_prompt = version.system_prompt
        builder.messages = [
            {"role": m.get("role"), "content": str(m.get("content") or "")}
            for m in version.messages or []
            if isinstance(m, dict) and m.get("role") in form.ROLES
        ] or builder.messages
        if builder.messages[-1]["role"] != "user":
            builder.messages.append({"role": "user", "content": ""})
        start = version.settings or params.default_settings()
    else:
        latest = Conversation.objects.owned_by(user).filter(hidden=False).first()
        start = latest.settings if latest and latest.settings else params.default_settings()
    start = {k: v for k, v in start.items() if k in params.PARAMS}
    builder.columns = [form.Column.from_settings(start)]
    return builder


def _prompt_path(path: list[Message]) -> list[dict]:
    """The path up to its last prompt: the answer after it is what the columns redo."""
    messages = [
        {"role": m.role, "content": m.content} for m in path if m.role in form.ROLES and m.content
    ]
    while messages and messages[-1]["role"] != "user":
        messages.pop()
    return messages


def create(user, builder: form.Builder, source: Conversation | None = None) -> Comparison:
    prompt = builder.messages[-1]["content"]
    return Comparison.objects.create(
        owner=user,
        title=builder.title or title_from_prompt(prompt),
        system_prompt=builder.system_prompt,
        messages=builder.messages,
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

    body: dict
    choices: dict[int, int]
    provider: Provider


async def start(comparison: Comparison, provider_for: Callable[[dict], Provider]) -> asyncio.Task:
    """Queue every request of the comparison and start as many as the cap allows.

    `provider_for` names the upstream of a column from its settings (its Provider
    select). Requests are queued repeat by repeat, so each column gets its first
    answer early.
    """
    requests = await database_sync_to_async(_create_run)(comparison, provider_for)
    # A fresh context, as for a generation (see generation.start): Run is a sync view.
    task = asyncio.get_running_loop().create_task(
        _drain(comparison.conversation_id, comparison.owner_id, requests),
        context=contextvars.Context(),
    )
    generation.RUNNING.add(task)  # a strong reference, and tests can wait for it
    task.add_done_callback(generation.RUNNING.discard)
    return task


@transaction.atomic
def _create_run(comparison: Comparison, provider_for: Callable[[dict], Provider]) -> list[_Request]:
    now = timezone.now()
    hidden = Conversation.objects.create(
        owner_id=comparison.owner_id,
        hidden=True,
        title=comparison.title,
        system_prompt=comparison.system_prompt,
        settings=comparison.columns[0],
        started_at=now,
    )
    parent = None
    for message in comparison.messages:
        parent = Message.objects.create(
            conversation=hidden,
            parent=parent,
            role=message["role"],
            content=message["content"],
            status=Message.Status.COMPLETE,
            sent_at=now,
        )
    api_messages = []
    if comparison.system_prompt.strip():
        api_messages.append({"role": "system", "content": comparison.system_prompt})
    api_messages += [{"role": m["role"], "content": m["content"]} for m in comparison.messages]
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
    comparison.save(update_fields=["conversation", "updated_at"])
    return requests


def _queue(comparison, hidden, parent, body, provider, column: int, repeat: int) -> _Request:
    sent = {key: value for key, value in body.items() if key != "messages"}
    batch = uuid.uuid4()
    choices = {}
    for index in range(body.get("n") or 1):
        message = Message.objects.create(
            conversation=hidden,
            parent=parent,
            role=Message.Role.ASSISTANT,
            choice_index=index,
            batch=batch,
            model=body["model"],
            request_params=sent,
            status=Message.Status.QUEUED,
            upstream=provider.name,
        )
        ComparisonRun.objects.create(
            comparison=comparison, column=column, repeat=repeat, choice=index, message=message
        )
        choices[index] = message.pk
    return _Request(body, choices, provider)


def _gate(user_id: int) -> asyncio.Semaphore:
    """The person's slots in this process (one set per event loop: tests run several)."""
    cap = settings.PLAYGROUND_COMPARE_CONCURRENCY
    gates = _GATES.setdefault(asyncio.get_running_loop(), {})
    return gates.setdefault((user_id, cap), asyncio.Semaphore(cap))


async def _drain(conversation_id: int, user_id: int, requests: list[_Request]) -> None:
    """Start each request when the person has a free slot, unless it was stopped."""
    gate = _gate(user_id)
    started: list[Generation] = []
    tasks: list[asyncio.Task] = []
    layer = get_channel_layer()
    control = await layer.new_channel()
    await layer.group_add(generation.control_group(conversation_id), control)
    helpers = [
        asyncio.create_task(_keep_queued_fresh(conversation_id)),
        asyncio.create_task(_relay_stops(layer, control, started)),
    ]
    try:
        for request in requests:
            await gate.acquire()
            try:
                run = await _start_if_queued(conversation_id, request)
            except BaseException:
                gate.release()
                raise
            if run is None:
                gate.release()
                continue
            started.append(run)
            task = generation.start(run)
            task.add_done_callback(lambda _task: gate.release())
            tasks.append(task)
        await asyncio.gather(*tasks, return_exceptions=True)
    finally:
        for helper in helpers:
            helper.cancel()
        await layer.group_discard(generation.control_group(conversation_id), control)


async def _relay_stops(layer, control: str, started: list[Generation]) -> None:
    """Pass a stop on to the runs this queue started: one stopped in the instant between
    leaving the queue and listening for itself would otherwise miss it."""
    while True:
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
    ).aupdate(status=Message.Status.STREAMING, sent_at=now, updated_at=now)
    if not claimed:
        return None  # stopped while it waited
    reason = await upstreams.refusal(provider)
    if reason:
        ids = list(request.choices.values())
        await Message.objects.filter(pk__in=ids).aupdate(
            status=Message.Status.ERROR, error=reason, finished_at=now, updated_at=now
        )
        await get_channel_layer().group_send(
            generation.conversation_group(conversation_id),
            {"type": "gen.done", "message_ids": ids},
        )
        return None
    run = Generation(
        conversation_id,
        {index: Choice(pk) for index, pk in request.choices.items()},
        request.body,
        provider.base_url,
        provider.api_key,
        generation.timeouts(),
    )
    await get_channel_layer().group_send(
        generation.conversation_group(conversation_id),
        {"type": "gen.started", "message_ids": run.message_ids()},
    )
    return run


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
    layer = get_channel_layer()
    await layer.group_send(
        generation.control_group(comparison.conversation_id),
        {"type": "gen.stop", "message_ids": ids},
    )
    if stopped:
        await layer.group_send(
            generation.conversation_group(comparison.conversation_id),
            {"type": "gen.done", "message_ids": stopped},
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


def open_as_conversation(comparison: Comparison, message: Message, user) -> Conversation:
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


# -- what the pages show -----------------------------------------------------------------


@dataclass
class RunView:
    run: ComparisonRun
    message: Message
    label: str
    card: dict
    metrics: dict

    @property
    def active(self) -> bool:
        return self.message.status in ACTIVE


@dataclass
class ColumnView:
    index: int
    settings: dict
    differences: list[tuple[str, str]]
    runs: list[RunView] = field(default_factory=list)
    summary: dict | None = None

    @property
    def number(self) -> int:
        return self.index + 1

    @property
    def label(self) -> str:
        return f"Column {self.number}"

    @property
    def active(self) -> bool:
        return any(run.active for run in self.runs)

    @property
    def json_mode(self) -> bool:
        return self.settings.get("response_format") == "json_object"

    @property
    def status(self) -> str:
        """ "2 streaming, 1 queued" while it runs; "2 complete" after."""
        counts: dict[str, int] = {}
        for run in self.runs:
            counts[run.message.status] = counts.get(run.message.status, 0) + 1
        return ", ".join(f"{count} {status}" for status, count in counts.items())

    @property
    def short_label(self) -> str:
        changes = ", ".join(f"{label} {value}" for label, value in self.differences)
        text = f"{self.number}. {changes or 'first column'}"
        return text if len(text) <= CHART_LABEL_CHARS else text[: CHART_LABEL_CHARS - 1] + "…"


@dataclass
class Results:
    columns: list[ColumnView]
    headers: list[tuple[str, str]]
    rows: list[dict]
    chart: dict

    @property
    def active(self) -> bool:
        return any(column.active for column in self.columns)

    @property
    def runs(self) -> list[RunView]:
        return [run for column in self.columns for run in column.runs]

    @property
    def json_mode(self) -> bool:
        return any(column.json_mode for column in self.columns)

    @property
    def chart_svg(self) -> SafeString:
        return render_chart(self.chart)


def results(comparison: Comparison) -> Results:
    """Every column with its runs (as cards), its summary, the table rows and the chart."""
    diffs = grid.differences(comparison.columns)
    columns = [
        ColumnView(index, settings_, diffs[index])
        for index, settings_ in enumerate(comparison.columns)
    ]
    runs = ComparisonRun.objects.filter(comparison=comparison).select_related("message")
    for run in runs.order_by("column", "repeat", "choice"):
        if run.column >= len(columns):
            continue
        column = columns[run.column]
        column.runs.append(
            RunView(
                run,
                run.message,
                _run_label(comparison, run),
                cards.card(run.message, 1),
                grid.run_metrics(run.message),
            )
        )
    for column in columns:
        column.summary = _summary(column)
    return Results(
        columns=columns,
        headers=[(label, unit) for _, label, unit in grid.METRICS],
        rows=[_table_row(column) for column in columns],
        chart=_chart_data(columns),
    )


def _run_label(comparison: Comparison, run: ComparisonRun) -> str:
    label = f"Column {run.column + 1}, run {run.repeat + 1}"
    n = comparison.columns[run.column].get("n") if run.column < len(comparison.columns) else 1
    return f"{label}, choice {run.choice + 1}" if (n or 1) > 1 else label


def _summary(column: ColumnView) -> dict | None:
    finished = [run for run in column.runs if not run.active]
    if not finished:
        return None
    return grid.summarize(
        [run.metrics for run in finished],
        [run.message.content for run in finished],
        column.json_mode,
    )


def _table_row(column: ColumnView) -> dict:
    """One line of the summary table, as plain values (a share snapshot keeps it)."""
    summary = column.summary or {}
    cells = []
    for key, _, unit in grid.METRICS:
        spread = summary.get(key) or {}
        cells.append({"text": _spread_text(spread, unit), "value": spread.get("mean")})
    runs = summary.get("runs", 0)
    row = {
        "label": column.label,
        "differences": ", ".join(f"{label}: {value}" for label, value in column.differences),
        "cells": cells,
        "runs": runs,
        "identical": f"{summary.get('identical_exact', 0)} of {runs}" if runs else "",
        "identical_normalized": (
            f"{summary.get('identical_normalized', 0)} of {runs}" if runs else ""
        ),
        "finish": ", ".join(
            f"{reason} x{count}" for reason, count in (summary.get("finish_reasons") or {}).items()
        ),
        "json": "",
    }
    if column.json_mode and runs:
        agreeing = summary.get("json_agreeing_fields") or []
        row["json"] = f"{summary.get('json_valid', 0)} of {runs} valid" + (
            f"; agree on {', '.join(agreeing)}" if agreeing else "; no field agrees"
        )
    return row


def _spread_text(spread: dict, unit: str) -> str:
    """ "1.23 ± 0.05 s" over several runs, "1.23 s" over one, "" when unknown."""
    mean = spread.get("mean")
    if mean is None:
        return ""
    suffix = f" {unit}" if unit in ("s", "tokens/s") else ""
    text = figure(mean)
    if spread.get("stdev") is not None and (spread.get("n") or 0) > 1:
        text += f" ± {figure(spread['stdev'])}"
    return text + suffix


def _chart_data(columns: list[ColumnView]) -> dict:
    units = {key: (label, unit) for key, label, unit in grid.METRICS}
    series = []
    for key in CHART_METRICS:
        label, unit = units[key]
        values = [((c.summary or {}).get(key) or {}).get("mean") for c in columns]
        series.append([label, unit, values])
    return {"labels": [c.short_label for c in columns], "series": series}


def render_chart(chart: dict) -> SafeString:
    """The chart as inline SVG, or nothing before any run has finished.

    Safe to mark: grid.chart_svg builds the markup itself from numbers, escaping
    every label; nothing else goes in.
    """
    series = [(str(s[0]), str(s[1]), list(s[2])) for s in chart.get("series") or []]
    if not any(v is not None for _, _, values in series for v in values):
        return SafeString("")
    svg = grid.chart_svg([str(label) for label in chart.get("labels") or []], series)
    return mark_safe(svg)  # noqa: S308 - built by grid.chart_svg, see above


def page_context(comparison: Comparison, view: Results) -> dict:
    """What the results page's partials need; its socket renders the same partials."""
    return {
        "comparison": comparison,
        "view": view,
        "headers": view.headers,
        "rows": view.rows,
        "json_mode": view.json_mode,
        "chart_svg": view.chart_svg,
        "has_summary": any(column.summary for column in view.columns),
        "cap": settings.PLAYGROUND_COMPARE_CONCURRENCY,
    }


def run_options(view: Results) -> list[tuple[str, str]]:
    """The runs a person can pick for a diff: ("<column>-<repeat>-<choice>", label)."""
    return [
        (f"{r.run.column + 1}-{r.run.repeat + 1}-{r.run.choice + 1}", r.label) for r in view.runs
    ]


def find_run(view: Results, key: str) -> RunView | None:
    for option, run in zip(run_options(view), view.runs, strict=True):
        if option[0] == key:
            return run
    return None


def diff(comparison: Comparison, a: RunView, b: RunView) -> dict:
    """Two runs side by side: the settings that differ, and word diffs of answer and reasoning."""
    pair = [comparison.columns[a.run.column], comparison.columns[b.run.column]]
    return {
        "a": a,
        "b": b,
        "settings": grid.differences(pair)[1],
        "answer": textdiff.word_diff(a.message.content, b.message.content),
        "reasoning": textdiff.word_diff(a.message.reasoning, b.message.reasoning),
    }


# -- sharing and export --------------------------------------------------------------------


def snapshot(comparison: Comparison, include_reasoning: bool) -> dict:
    """What a share link shows, as plain JSON: no owner, no ids, no upstream, no errors."""
    view = results(comparison)
    return {
        "version": SNAPSHOT_VERSION,
        "title": comparison.display_title,
        "system_prompt": comparison.system_prompt,
        "messages": [{"role": m["role"], "content": m["content"]} for m in comparison.messages],
        "repeats": comparison.repeats,
        "include_reasoning": include_reasoning,
        "columns": [
            {
                "label": column.label,
                "differences": [[label, value] for label, value in column.differences],
                "runs": [_shared_run(run, include_reasoning) for run in column.runs],
            }
            for column in view.columns
        ],
        "headers": [[label, unit] for label, unit in view.headers],
        "rows": view.rows,
        "json_mode": view.json_mode,
        "chart": view.chart,
    }


def _shared_run(run: RunView, include_reasoning: bool) -> dict:
    message = run.message
    status = Message.Status.INTERRUPTED if run.active else message.status
    return {
        "label": run.label,
        "status": status,
        "model": message.model,
        "content": message.content,
        "reasoning": message.reasoning if include_reasoning else "",
        "tool_calls": message.tool_calls,
        "finish_reason": message.finish_reason,
        "sent": [[str(label), str(value)] for label, value in run.card["sent"]],
        "metrics": [[str(label), str(value)] for label, value in run.card["metrics"]],
    }


def export_data(comparison: Comparison) -> dict:
    """The JSON export: the settings to run it again, every run, and each column's summary."""
    view = results(comparison)
    return {
        "format": "reasoning-playground-comparison/1",
        "title": comparison.display_title,
        "system_prompt": comparison.system_prompt,
        "messages": comparison.messages,
        "columns": comparison.columns,
        "sweep": comparison.sweep,
        "repeats": comparison.repeats,
        "created_at": comparison.created_at.isoformat(),
        "runs": [_exported_run(run) for run in view.runs],
        "summaries": [
            {"column": column.number, **(column.summary or {})} for column in view.columns
        ],
    }


def _exported_run(run: RunView) -> dict[str, Any]:
    message = run.message
    return {
        "column": run.run.column + 1,
        "repeat": run.run.repeat + 1,
        "choice": run.run.choice + 1,
        "status": message.status,
        "model": message.model,
        "request_params": message.request_params,
        "content": message.content,
        "reasoning": message.reasoning,
        "tool_calls": message.tool_calls,
        "usage": message.usage,
        "finish_reason": message.finish_reason,
        "timings": {name: _iso(getattr(message, name)) for name in exports.TIMINGS},
        "metrics": run.metrics,
    }


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def csv_rows(comparison: Comparison) -> list[list[str]]:
    view = results(comparison)
    labels = [
        f"{row['label']} ({row['differences']})" if row["differences"] else row["label"]
        for row in view.rows
    ]
    return grid.csv_rows(labels, [column.summary or {} for column in view.columns])
