"""The price table in the database: its rows after migrate, and the costs of
messages at its prices (what a conversation, a compare column or an evaluation run
sums)."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest

from chat.api.params import DEFAULT_MODELS
from chat.models import Conversation, Message, ModelPrice
from chat.pricing import prices

pytestmark = pytest.mark.django_db

USAGE = {"prompt_tokens": 1000, "cached_tokens": 400, "completion_tokens": 500}
# At the kimi_priced prices: 600 * 1 + 400 * 0.25 + 500 * 4, per million.
USAGE_COST = Decimal("0.0027")


def test_the_documented_models_are_there_after_migrate_waiting_for_prices():
    rows = ModelPrice.objects.filter(model__in=DEFAULT_MODELS)
    assert sorted(row.model for row in rows) == sorted(DEFAULT_MODELS)
    for row in rows:
        assert not row.confirmed
        assert row.input_per_million is None and row.output_per_million is None


def test_an_unconfirmed_row_prices_nothing(alice):
    conversation = Conversation.objects.create(owner=alice)
    answer = _answer(conversation, "kimi-k2-thinking", USAGE)
    assert prices.message_cost(answer, prices.table()) is None
    assert prices.message_cost_text(answer, prices.table()) == "unknown"


def test_a_confirmed_price_prices_an_answer(alice, kimi_priced):
    conversation = Conversation.objects.create(owner=alice)
    answer = _answer(conversation, "kimi-k2-thinking", USAGE)
    assert prices.message_cost(answer, prices.table()) == USAGE_COST
    assert prices.message_cost_text(answer, prices.table()) == "$0.0027"


def test_the_currency_is_the_operators(alice, kimi_priced, settings):
    settings.PLAYGROUND_CURRENCY = "EUR"
    conversation = Conversation.objects.create(owner=alice)
    answer = _answer(conversation, "kimi-k2-thinking", USAGE)
    assert prices.message_cost_text(answer, prices.table()) == "0.0027 EUR"


def test_a_sum_of_messages_counts_answers_only_and_says_what_is_unknown(alice, kimi_priced):
    conversation = Conversation.objects.create(owner=alice)
    prompt = Message.objects.create(conversation=conversation, role="user", content="Hi")
    priced = _answer(conversation, "kimi-k2-thinking", USAGE)
    unpriced = _answer(conversation, "some-other-model", USAGE)
    table = prices.table()
    assert prices.messages_total([prompt, priced], table).exact == USAGE_COST
    summed = prices.messages_total([prompt, priced, unpriced], table)
    assert (summed.known, summed.unknown, summed.exact) == (USAGE_COST, 1, None)
    assert prices.total_text([prompt, priced, unpriced], table) == "at least $0.0027 (1 unknown)"
    assert prices.total_text([unpriced], table) == "unknown"


def test_usage_reported_once_for_several_choices_is_counted_once(alice, kimi_priced):
    conversation = Conversation.objects.create(owner=alice)
    batch = uuid.uuid4()
    whole = {**USAGE, "request_total": True}
    choices = [_answer(conversation, "kimi-k2-thinking", whole, batch=batch) for _ in range(3)]
    table = prices.table()
    assert prices.messages_total(choices, table).exact == USAGE_COST
    assert prices.message_cost_text(choices[0], table) == "$0.0027 (whole request)"


def test_a_conversation_costs_every_branch(alice, kimi_priced):
    conversation = Conversation.objects.create(owner=alice)
    first = _answer(conversation, "kimi-k2-thinking", USAGE)
    _answer(conversation, "kimi-k2-thinking", USAGE, parent=first.parent)  # a regeneration
    assert prices.conversation_total_text(conversation.pk) == "$0.0054"


def test_the_table_is_one_query_however_many_models(django_assert_num_queries):
    ModelPrice.objects.bulk_create(ModelPrice(model=f"model-{n}") for n in range(20))
    with django_assert_num_queries(1):
        table = prices.table()
    assert len(table) >= 20


def _answer(conversation, model, usage, *, batch=None, parent=None) -> Message:
    return Message.objects.create(
        conversation=conversation,
        parent=parent,
        role="assistant",
        status="complete",
        content="An answer",
        model=model,
        usage=usage,
        batch=batch or uuid.uuid4(),
    )
