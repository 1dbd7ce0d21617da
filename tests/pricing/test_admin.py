"""The price table in the admin: staff set and confirm prices, and costs follow."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from chat.models import Conversation, Message, ModelPrice

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(django_user_model):
    """Sam runs the server: staff, with no permission granted one by one (a browser of
    his own, beside Alice's)."""
    sam = django_user_model.objects.create_user("sam-staff", password="pw-sam-123", is_staff=True)
    client = Client()
    client.force_login(sam)
    return client


@pytest.fixture
def answered(alice):
    """Alice's conversation with one kimi-k2-thinking answer that reported its usage."""
    conversation = Conversation.objects.create(owner=alice, title="Tides")
    prompt = Message.objects.create(conversation=conversation, role="user", content="Why tides?")
    answer = Message.objects.create(
        conversation=conversation,
        parent=prompt,
        role="assistant",
        status="complete",
        content="The moon.",
        model="kimi-k2-thinking",
        usage={"prompt_tokens": 1000, "completion_tokens": 500},
    )
    conversation.current_leaf = answer
    conversation.save()
    return conversation


def _price_form(**fields) -> dict:
    return {
        "model": "kimi-k2-thinking",
        "input_per_million": "1",
        "cached_input_per_million": "",
        "output_per_million": "4",
        "note": "",
        **fields,
    }


def test_the_list_says_which_rows_wait_for_prices(staff_client, settings):
    settings.PLAYGROUND_CURRENCY = "EUR"
    html = staff_client.get(reverse("admin:chat_modelprice_changelist")).content.decode()
    assert "kimi-k2-thinking-turbo" in html
    assert html.count("set your prices") == 2
    assert "EUR" in html


def test_staff_set_a_price_and_the_answer_shows_its_cost(staff_client, alice_client, answered):
    page = reverse("chat-conversation", args=[answered.pk])
    assert "Cost: unknown" in alice_client.get(page).content.decode()

    row = ModelPrice.objects.get(model="kimi-k2-thinking")
    change = reverse("admin:chat_modelprice_change", args=[row.pk])
    response = staff_client.post(change, _price_form(confirmed="on"))
    assert response.status_code == 302

    row.refresh_from_db()
    assert row.confirmed
    html = alice_client.get(page).content.decode()
    # 1000 input at $1 and 500 output at $4 per million: one answer, and the conversation.
    assert "<dd>$0.0030</dd>" in html
    assert 'id="conversation-cost"' in html and "Cost: $0.0030</p>" in html
    listing = staff_client.get(reverse("admin:chat_modelprice_changelist")).content.decode()
    assert listing.count("set your prices") == 1


def test_prices_saved_unconfirmed_still_price_nothing(staff_client, alice_client, answered):
    row = ModelPrice.objects.get(model="kimi-k2-thinking")
    staff_client.post(reverse("admin:chat_modelprice_change", args=[row.pk]), _price_form())
    row.refresh_from_db()
    assert row.input_per_million == 1 and not row.confirmed
    page = reverse("chat-conversation", args=[answered.pk])
    assert "Cost: unknown" in alice_client.get(page).content.decode()


def test_confirming_without_prices_is_refused(staff_client):
    row = ModelPrice.objects.get(model="kimi-k2-thinking")
    response = staff_client.post(
        reverse("admin:chat_modelprice_change", args=[row.pk]),
        _price_form(input_per_million="", output_per_million="", confirmed="on"),
    )
    assert response.status_code == 200
    assert "Set this price before confirming the row." in response.content.decode()
    row.refresh_from_db()
    assert not row.confirmed


def test_a_negative_price_is_refused(staff_client):
    row = ModelPrice.objects.get(model="kimi-k2-thinking")
    response = staff_client.post(
        reverse("admin:chat_modelprice_change", args=[row.pk]),
        _price_form(output_per_million="-1", confirmed="on"),
    )
    assert response.status_code == 200
    row.refresh_from_db()
    assert row.output_per_million is None


def test_staff_add_a_model(staff_client):
    response = staff_client.post(
        reverse("admin:chat_modelprice_add"), _price_form(model="my-local-model", confirmed="on")
    )
    assert response.status_code == 302
    assert ModelPrice.objects.get(model="my-local-model").confirmed


def test_people_who_are_not_staff_cannot_reach_the_prices(alice_client):
    row = ModelPrice.objects.get(model="kimi-k2-thinking")
    for url in (
        reverse("admin:chat_modelprice_changelist"),
        reverse("admin:chat_modelprice_change", args=[row.pk]),
    ):
        response = alice_client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))
    response = alice_client.post(
        reverse("admin:chat_modelprice_change", args=[row.pk]), _price_form(confirmed="on")
    )
    assert response.status_code == 302
    row.refresh_from_db()
    assert not row.confirmed


def test_staff_are_pointed_to_the_prices_where_a_cost_is_unknown(
    staff_client, alice_client, answered, django_user_model
):
    page = reverse("chat-conversation", args=[answered.pk])
    assert "set your prices" not in alice_client.get(page).content.decode()
    sam = django_user_model.objects.get(username="sam-staff")
    Conversation.objects.filter(pk=answered.pk).update(owner=sam)
    html = staff_client.get(page).content.decode()
    assert f'<a href="{reverse("admin:chat_modelprice_changelist")}">set your prices</a>' in html
