"""A signed-in person's pages are never stored by a cache: not a proxy's, not the
browser's (its disk or its back/forward cache), so nothing of theirs outlives sign-out."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from chat.models import Conversation, ShareLink

pytestmark = pytest.mark.django_db

PAGES = [
    "chat-list",
    "chat-shares",
    "chat-prompts",
    "chat-compare-new",
    "chat-compare-list",
    "chat-blind-tally",
    "chat-blind-new",
    "chat-providers",
    "chat-import",
    "password_change",
]


@pytest.fixture
def alice_client(alice) -> Client:
    """Alice, signed in."""
    client = Client()
    client.force_login(alice)
    return client


def _assert_not_stored(response) -> None:
    directives = {d.strip() for d in response.headers.get("Cache-Control", "").split(",")}
    assert {"no-store", "private"} <= directives, response.headers.get("Cache-Control")


@pytest.mark.parametrize("name", PAGES)
def test_a_signed_in_persons_pages_are_never_stored(alice_client, name) -> None:
    response = alice_client.get(reverse(name))
    assert response.status_code == 200
    _assert_not_stored(response)


def test_a_conversation_page_and_the_home_page_are_never_stored(alice_client, alice) -> None:
    conversation = Conversation.objects.create(owner=alice)
    _assert_not_stored(alice_client.get(reverse("chat-conversation", args=[conversation.pk])))
    _assert_not_stored(alice_client.get(reverse("chat-home")))


def test_a_share_link_read_by_a_signed_in_person_stays_unstored(alice_client, alice) -> None:
    conversation = Conversation.objects.create(owner=alice)
    link = ShareLink.objects.create(owner=alice, conversation=conversation, snapshot={"steps": []})
    _assert_not_stored(alice_client.get(reverse("chat-shared", args=[link.token])))


def test_a_post_answer_is_never_stored_either(alice_client) -> None:
    response = alice_client.post(reverse("chat-new"))
    assert response.status_code == 302
    _assert_not_stored(response)
