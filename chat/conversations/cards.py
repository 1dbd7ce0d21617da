"""What the page shows: turns of messages, the parameter panel, per-message metrics.

Shared by the page views and the websocket consumer, so a first render and a
streamed update are built from the same pieces and never drift apart.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field

from django.utils import timezone

from chat.api import params, rules
from chat.conversations.tree import Step
from chat.figures import figure
from chat.models import Message
from chat.pricing import prices as pricing

_TOKEN_LABELS = (
    ("prompt_tokens", "Prompt tokens"),
    ("completion_tokens", "Completion tokens"),
    ("total_tokens", "Total tokens"),
    ("cached_tokens", "Cached tokens"),
    ("reasoning_tokens", "Reasoning tokens"),
)


@dataclass
class Turn:
    """One step of the visible path, as the page shows it."""

    step: Step[Message]
    # The path's last turn: its answers' tool calls can be answered from their cards.
    last: bool = False
    # The price table, read once for the whole page (turns() does).
    prices: pricing.PriceTable = field(default_factory=dict)

    @property
    def user(self) -> Message | None:
        return self.step.user

    @property
    def choices(self) -> list[Message]:
        return self.step.choices

    @property
    def cards(self) -> list[dict]:
        count = len(self.step.choices)
        return [
            {
                **card(message, count, last=self.last, prices=self.prices),
                "chosen": message.pk == getattr(self.step.chosen, "pk", None),
            }
            for message in self.step.choices
        ]

    @property
    def user_nav(self) -> dict | None:
        return _nav(self.step.user_siblings, self.step.user_position)

    @property
    def batch_nav(self) -> dict | None:
        return _nav(self.step.batch_siblings, self.step.batch_position)


def _nav(siblings: list, position: int) -> dict | None:
    """The "2 / 3" navigation: the previous and next sibling to switch to, if there are several."""
    if len(siblings) < 2 or position == 0:
        return None
    return {
        "position": position,
        "count": len(siblings),
        "previous": siblings[position - 2] if position > 1 else None,
        "next": siblings[position] if position < len(siblings) else None,
    }


def turns(steps: list[Step[Message]], prices: pricing.PriceTable | None = None) -> list[Turn]:
    """The page's turns; the price table is read here once unless given."""
    table = pricing.table() if prices is None else prices
    return [
        Turn(step, last=number == len(steps), prices=table)
        for number, step in enumerate(steps, start=1)
    ]


def card(
    message: Message,
    choice_count: int,
    *,
    last: bool = False,
    prices: pricing.PriceTable | None = None,
) -> dict:
    """The context of one assistant card (the `assistant-card` partial). `last`: the
    card is in the path's last turn, so nothing follows it there yet. `prices`: the
    page's price table (read here when not given: one query)."""
    table = pricing.table() if prices is None else prices
    streamed = (message.request_params or {}).get("stream") is True
    return {
        "answerable": last
        and bool(message.tool_calls)
        and message.status == Message.Status.COMPLETE,
        "message": message,
        "live": message.status == Message.Status.STREAMING,
        # Sent without stream: the card waits for the whole answer, nothing streams.
        "streamed": streamed,
        "waiting": message.status == Message.Status.STREAMING and not streamed,
        "metrics": metrics(message),
        "cost": pricing.message_cost_text(message, table),
        "sent": sent_settings(message),
        "elapsed": f"{elapsed_seconds(message):.2f}",
        "reasoning_seconds": reasoning_seconds(message),
        "choice_count": choice_count,
        "can_continue": message.status in (Message.Status.STOPPED, Message.Status.INTERRUPTED)
        or message.finish_reason == "length",
        # Continue is shown even so: pressing it says why, beside Send (and its title here).
        "continue_refusal": rules.partial_refusal(message.request_params or {}),
    }


@dataclass
class PanelField:
    param: params.Param
    value: str
    error: str = ""
    options: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.param.name

    @property
    def slider(self) -> bool:
        return self.param.minimum is not None and self.param.maximum is not None


def panel(
    settings: Mapping[str, object],
    models: list[str],
    errors: Mapping[str, str] | None = None,
    raw: Mapping[str, object] | None = None,
) -> list[PanelField]:
    """The parameter panel's fields: saved settings, or what was typed when invalid."""
    values = params.form_values(settings)
    if raw is not None:
        values.update({k: _text(raw[k]) for k in params.PARAMS if k in raw})
    errors = errors or {}
    fields = []
    for name, param in params.PARAMS.items():
        options: list[str] = []
        if param.kind == "model":
            options = list(models)
            if values[name] and values[name] not in options:
                options.insert(0, values[name])
        fields.append(PanelField(param, values.get(name, ""), errors.get(name, ""), options))
    return fields


def param_summary(errors: Mapping[str, str]) -> list[tuple[str, str]]:
    """The bad parameters (and provider) as Send's summary shows them, in panel order:
    (field name, message)."""
    names = ["provider", *params.PARAMS]
    return [(name, errors[name]) for name in names if errors.get(name)]


def _text(value: object) -> str:
    if isinstance(value, list):
        return "\n".join(str(v) for v in value)
    return "" if value is None else str(value)


def seconds_between(start, end) -> float | None:
    if start is None or end is None:
        return None
    return max((end - start).total_seconds(), 0.0)


def metrics(message: Message) -> list[tuple[str, str]]:
    """The figures shown under an answer, as (label, value) pairs, only those known."""
    rows: list[tuple[str, str]] = []
    usage = message.usage or {}
    for key, label in _TOKEN_LABELS:
        if usage.get(key) is not None:
            suffix = " (whole request)" if usage.get("request_total") else ""
            rows.append((label, f"{usage[key]}{suffix}"))
    first = message.first_reasoning_at or message.first_content_at
    timings = (
        ("First reasoning token", seconds_between(message.sent_at, message.first_reasoning_at)),
        (
            "Reasoning",
            seconds_between(
                message.first_reasoning_at, message.first_content_at or message.finished_at
            ),
        ),
        ("First answer token", seconds_between(message.sent_at, message.first_content_at)),
        ("Total time", seconds_between(message.sent_at, message.finished_at)),
    )
    rows += [(label, f"{figure(value)} s") for label, value in timings if value is not None]
    generating = seconds_between(first, message.finished_at)
    completion = usage.get("completion_tokens")
    if completion and generating:
        rows.append(("Tokens per second", figure(completion / generating)))
    return rows


def reasoning_seconds(message: Message) -> float | None:
    end = message.first_content_at or message.finished_at
    if message.status == Message.Status.STREAMING and end is None:
        return None
    return seconds_between(message.first_reasoning_at, end)


def elapsed_seconds(message: Message) -> float:
    """How long a streaming message has been running, for the page's live timer."""
    return seconds_between(message.sent_at, timezone.now()) or 0.0


def sent_settings(message: Message) -> list[tuple[str, str]]:
    """The parameters actually sent, by their panel labels."""
    rows = []
    for name, value in (message.request_params or {}).items():
        if name in ("model", "stream_options"):
            continue
        label = params.PARAMS[name].label if name in params.PARAMS else name
        if name == "response_format" and isinstance(value, dict):
            value = value.get("type")
        if name == "tools" and isinstance(value, list):
            value = ", ".join(t.get("function", {}).get("name", "?") for t in value)
        if isinstance(value, list):
            value = ", ".join(repr(v) for v in value)
        elif isinstance(value, dict):  # an extra request field's object, as it was sent
            value = json.dumps(value, ensure_ascii=False)
        rows.append((label, str(value)))
    return rows
