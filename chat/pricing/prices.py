"""The price table read from the database, and the costs of messages at its prices.

A page reads the table once (`table()`, one query of a few rows) and hands it to
every card it renders, so the number of queries does not grow with the messages.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal

from django.conf import settings

from chat.models import Message, ModelPrice
from chat.pricing import cost

PriceTable = Mapping[str, cost.Price]


def table() -> dict[str, cost.Price]:
    """Every model's price by model id, unconfirmed ones included (they price nothing)."""
    return {
        row.model: cost.Price(
            input=row.input_per_million,
            output=row.output_per_million,
            cached_input=row.cached_input_per_million,
            confirmed=row.confirmed,
        )
        for row in ModelPrice.objects.all()
    }


def currency() -> str:
    return settings.PLAYGROUND_CURRENCY


def message_cost(message: Message, prices: PriceTable) -> Decimal | None:
    """What one answer cost (for usage reported once for several choices: the whole
    request's); None when unknown."""
    return cost.cost(message.usage, prices.get(message.model))


def message_cost_text(message: Message, prices: PriceTable) -> str:
    text = cost.cost_text(message_cost(message, prices), currency())
    if message.usage and message.usage.get("request_total") and text != cost.UNKNOWN:
        text += " (whole request)"
    return text


def messages_total(messages: Iterable[Message], prices: PriceTable) -> cost.Total:
    """The cost of a set of messages (a conversation, a compare column, an evaluation
    run): their answers' costs added, the unknown ones counted. Usage reported once
    for a whole request of several choices is counted once, not once per choice."""
    costs = []
    counted_batches = set()
    for message in messages:
        if message.role != Message.Role.ASSISTANT:
            continue
        if message.usage and message.usage.get("request_total"):
            if message.batch in counted_batches:
                continue
            counted_batches.add(message.batch)
        costs.append(message_cost(message, prices))
    return cost.total(costs)


def total_text(messages: Iterable[Message], prices: PriceTable) -> str:
    return cost.total_text(messages_total(messages, prices), currency())


def conversation_total_text(conversation_id: int, prices: PriceTable | None = None) -> str:
    """What every answer of a conversation cost, every branch included (each was paid
    for): one query for its answers, one for the table unless given."""
    answers = Message.objects.filter(
        conversation_id=conversation_id, role=Message.Role.ASSISTANT
    ).only("role", "model", "usage", "batch")
    return total_text(answers, table() if prices is None else prices)
