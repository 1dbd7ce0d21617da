"""An answer asked for without stream comes whole at the end: until then its card says
it is waiting, with the time so far, never "Streaming"."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from chat.models import Conversation, Message

pytestmark = pytest.mark.django_db


def _asked(alice, stream: bool) -> Conversation:
    conversation = Conversation.objects.create(owner=alice, started_at=timezone.now())
    prompt = Message.objects.create(conversation=conversation, role="user", content="Hi")
    answer = Message.objects.create(
        conversation=conversation,
        parent=prompt,
        role="assistant",
        status=Message.Status.STREAMING,
        request_params={"stream": stream},
        sent_at=timezone.now(),
    )
    conversation.current_leaf = answer
    conversation.save()
    return conversation


def _card(alice_client, conversation: Conversation) -> str:
    page = alice_client.get(reverse("chat-conversation", args=[conversation.pk])).content.decode()
    start = page.index('class="message assistant"')
    return page[start : page.index("</article>", start)]


def test_a_request_without_stream_waits_for_the_answer_with_the_time(alice, alice_client):
    card = _card(alice_client, _asked(alice, stream=False))
    assert 'data-status="streaming"' in card
    assert 'role="status">Waiting for the answer…</span>' in card
    assert "data-wait-elapsed" in card
    assert ">Streaming<" not in card
    assert "Thinking…" not in card


def test_a_streamed_request_says_streaming(alice, alice_client):
    card = _card(alice_client, _asked(alice, stream=True))
    assert 'role="status">Streaming</span>' in card
    assert "data-wait-elapsed" not in card
