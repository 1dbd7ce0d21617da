"""A share's title tells a stranger only what the share shows.

An automatic title is made from the first prompt when it is sent; after that prompt is
edited, the share is titled from the edited one. A title Alice typed is hers to share.
"""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from chat.models import Conversation, Message, ShareLink, title_from_prompt

pytestmark = pytest.mark.django_db

SECRET = "My landlord's name is Jane Doe and I want to sue her"
EDITED = "How does small-claims court work?"


@pytest.fixture
def edited(alice) -> Conversation:
    """Alice's first prompt gave the conversation its title; she then edited that
    prompt, so the path she shows starts with the edited one."""
    conversation = Conversation.objects.create(
        owner=alice, title=title_from_prompt(SECRET), started_at=timezone.now()
    )
    first = Message.objects.create(conversation=conversation, role="user", content=SECRET)
    Message.objects.create(conversation=conversation, parent=first, role="assistant", content="A")
    # An edit is a new prompt beside the old one (under the same parent, none here).
    again = Message.objects.create(conversation=conversation, role="user", content=EDITED)
    answer = Message.objects.create(
        conversation=conversation, parent=again, role="assistant", content="It is quick."
    )
    conversation.current_leaf = answer
    conversation.save()
    return conversation


def _shared_page(alice_client, anonymous, conversation: Conversation) -> str:
    response = alice_client.post(reverse("chat-share", args=[conversation.pk]))
    assert response.status_code == 302
    link = ShareLink.objects.get(conversation=conversation)
    page = anonymous.get(reverse("chat-shared", args=[link.token]))
    assert page.status_code == 200
    return page.content.decode()


def test_a_share_is_titled_from_the_edited_first_prompt(alice_client, anonymous, edited):
    html = _shared_page(alice_client, anonymous, edited)
    assert "Jane Doe" not in html
    assert f"<title>{EDITED} · Reasoning Playground</title>" in html
    assert ShareLink.objects.get(conversation=edited).title == EDITED


def test_updating_a_share_retitles_it_from_what_it_shows(alice_client, anonymous, edited):
    # Shared before the edit was chosen: the old path, with its own prompt as title.
    old_leaf = Message.objects.get(conversation=edited, content="A")
    Conversation.objects.filter(pk=edited.pk).update(current_leaf=old_leaf)
    edited.refresh_from_db()
    assert "Jane Doe" in _shared_page(alice_client, anonymous, edited)

    Conversation.objects.filter(pk=edited.pk).update(current_leaf=Message.objects.last())
    link = ShareLink.objects.get(conversation=edited)
    response = alice_client.post(reverse("chat-share-update", args=[link.token]))
    assert response.status_code == 302
    link.refresh_from_db()
    assert link.title == EDITED
    html = anonymous.get(reverse("chat-shared", args=[link.token])).content.decode()
    assert "Jane Doe" not in html


def test_a_title_alice_typed_is_shared_as_she_typed_it(alice_client, anonymous, edited):
    response = alice_client.post(
        reverse("chat-rename", args=[edited.pk]), {"title": "Court questions"}
    )
    assert response.status_code == 302
    html = _shared_page(alice_client, anonymous, edited)
    assert "<title>Court questions · Reasoning Playground</title>" in html
    assert "Jane Doe" not in html
