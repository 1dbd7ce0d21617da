"""The same limits on the pages that start answers without the socket."""

from __future__ import annotations

import pytest
from django.urls import reverse

from chat.models import Conversation, Message

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice_streaming(settings, alice, upstream_is_simulator):
    """Alice already has an answer streaming (in any server process), the most allowed."""
    settings.PLAYGROUND_CONCURRENT_GENERATIONS = 1
    busy = Conversation.objects.create(owner=alice)
    Message.objects.create(conversation=busy, role="assistant", status="streaming")
    return busy


def test_the_plain_form_send_is_refused_over_the_cap(client, alice, alice_streaming, conversation):
    client.force_login(alice)
    data = {"prompt": "Hello", "model": "kimi-k2-thinking", "stream": "true"}
    response = client.post(reverse("chat-send", args=[conversation.pk]), data, follow=True)
    assert "You already have 1 answer streaming" in response.content.decode()
    assert not conversation.messages.exists()


def test_a_comparison_run_is_refused_over_the_cap(client, alice, alice_streaming):
    client.force_login(alice)
    data = {
        "message-0-role": "user",
        "message-0-content": "Hi",
        "column-0-model": "kimi-k2-thinking",
        "repeats": "1",
        "action": "run",
    }
    response = client.post(reverse("chat-compare-new"), data)
    assert response.status_code == 400
    assert 'id="error-limits"' in response.content.decode()
    assert "You already have 1 answer streaming" in response.content.decode()
