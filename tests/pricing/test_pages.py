"""Costs on the pages: an answer's, its conversation's and a compare column's, "unknown"
until the model has a confirmed price; and the page's queries do not grow with the
number of answers."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test import AsyncClient
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from chat.compare import runs
from chat.models import Comparison, ComparisonRun, Conversation, Message, ModelPrice
from chat.pricing.cost import Price, cost, money
from chat.providers.upstreams import Provider
from tests.sockets import connect, form, frames_until, is_done, wait_generations

PRICE = {
    "input_per_million": Decimal("1"),
    "cached_input_per_million": Decimal("0.25"),
    "output_per_million": Decimal("4"),
    "confirmed": True,
}


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("upstream_is_simulator", "close_thread_connections")
async def test_an_answer_from_the_simulator_costs_unknown_until_its_model_is_priced(
    alice, alice_cookie, conversation
):
    ws = await connect(alice_cookie, conversation.pk)
    await ws.send_json_to(form("Why are there tides?"))
    frames = await frames_until(ws, is_done)
    await ws.disconnect()
    await wait_generations()
    answer = await Message.objects.aget(conversation=conversation, role="assistant")
    assert answer.model == "kimi-k2-thinking"  # the simulator answers as the model asked
    # The socket's last render sent the card and the conversation's cost with it.
    assert "Cost: unknown" in "".join(frames)
    assert 'hx-target="#conversation-cost"' in "".join(frames)

    client = AsyncClient()
    await client.aforce_login(alice)
    page = reverse("chat-conversation", args=[conversation.pk])
    html = (await client.get(page)).content.decode()
    assert "Cost: unknown</span>" in html  # the answer's chip
    assert "Cost: unknown</p>" in html  # the conversation's

    await ModelPrice.objects.aupdate_or_create(model="kimi-k2-thinking", defaults=PRICE)
    expected = cost(answer.usage, Price(Decimal("1"), Decimal("4"), Decimal("0.25")))
    assert expected is not None and expected > 0
    html = (await client.get(page)).content.decode()
    assert f"Cost: {money(expected, 'USD')}</span>" in html
    assert f"Cost: {money(expected, 'USD')}</p>" in html
    assert "unknown" not in html


@pytest.fixture
def comparison(alice):
    """Alice's comparison, two columns run twice each and answered: every run used 5
    prompt tokens and 20 completion tokens."""
    comparison = Comparison.objects.create(
        owner=alice,
        title="Tides",
        messages=[{"role": "user", "content": "Why are there tides?"}],
        columns=[
            {"model": "kimi-k2-thinking", "temperature": 0.0, "stream": True},
            {"model": "kimi-k2-thinking-turbo", "temperature": 0.0, "stream": True},
        ],
        repeats=2,
    )
    upstream = Provider("upstream", "https://upstream.example/v1", False)
    runs._create_run(comparison, lambda column: upstream)
    sent = timezone.now() - timedelta(seconds=5)
    for run in ComparisonRun.objects.filter(comparison=comparison):
        Message.objects.filter(pk=run.message_id).update(
            status="complete",
            content="The moon",
            finish_reason="stop",
            usage={"prompt_tokens": 5, "completion_tokens": 20},
            sent_at=sent,
            finished_at=sent + timedelta(seconds=2),
        )
    return comparison


@pytest.mark.django_db
@pytest.mark.usefixtures("upstream_is_simulator")
def test_a_compare_column_shows_what_its_runs_cost(alice_client, comparison):
    ModelPrice.objects.update_or_create(model="kimi-k2-thinking", defaults=PRICE)
    html = alice_client.get(reverse("chat-compare", args=[comparison.pk])).content.decode()
    # Column 1: two runs of 5 input tokens at $1 and 20 output at $4 per million.
    assert 'class="metric-chip cost"' in html
    assert "Cost: $0.00017</span>" in html
    # Each run's own cost, under it.
    assert html.count("<dd>$0.000085</dd>") == 2
    # Column 2's model still waits for its prices.
    assert "Cost: unknown</span>" in html

    exported = alice_client.get(reverse("chat-compare-json", args=[comparison.pk])).json()
    assert exported["currency"] == "USD"
    assert [s["cost"] for s in exported["summaries"]] == ["0.00017", None]
    assert [r["cost"] for r in exported["runs"]] == ["0.000085", "0.000085", None, None]


@pytest.mark.django_db
@pytest.mark.usefixtures("upstream_is_simulator")
def test_the_conversation_pages_queries_do_not_grow_with_its_answers(alice, alice_client):
    ModelPrice.objects.update_or_create(model="kimi-k2-thinking", defaults=PRICE)
    few, many = _conversation(alice, turns=1), _conversation(alice, turns=8)
    assert _queries(alice_client, few) == _queries(alice_client, many)


def _conversation(owner, turns: int) -> Conversation:
    conversation = Conversation.objects.create(owner=owner, title=f"{turns} turns")
    parent = None
    for number in range(turns):
        prompt = Message.objects.create(
            conversation=conversation, parent=parent, role="user", content=f"Prompt {number}"
        )
        parent = Message.objects.create(
            conversation=conversation,
            parent=prompt,
            role="assistant",
            status="complete",
            content=f"Answer {number}",
            model="kimi-k2-thinking",
            usage={"prompt_tokens": 10, "completion_tokens": 20},
        )
    conversation.current_leaf = parent
    conversation.started_at = timezone.now()
    conversation.save()
    return conversation


def _queries(client, conversation: Conversation) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("chat-conversation", args=[conversation.pk]))
    assert response.status_code == 200
    assert "Cost: $0.000" in response.content.decode()
    return len(queries)
