"""Simulator markers stay in Alice's prompt (Edit and Run again send them again) but
never show where the conversation is named or shown to others: its title, the history
list, a share page and the exports."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse
from django.utils import timezone

from chat.models import Conversation, Message, ShareLink, title_from_prompt

pytestmark = pytest.mark.django_db

PROMPT = "Explain recursion [[sim:tps=5,words=20]]"
MARKER = "[[sim:"


@pytest.fixture
def marked(alice) -> Conversation:
    """Alice asked the simulator for a slow answer with a marker in her first prompt."""
    conversation = Conversation.objects.create(
        owner=alice, title=title_from_prompt(PROMPT), started_at=timezone.now()
    )
    prompt = Message.objects.create(conversation=conversation, role="user", content=PROMPT)
    answer = Message.objects.create(
        conversation=conversation, parent=prompt, role="assistant", content="Recursion is…"
    )
    conversation.current_leaf = answer
    conversation.save()
    return conversation


def test_the_title_is_made_without_the_marker(marked):
    assert marked.title == "Explain recursion"


def test_a_title_saved_with_a_marker_is_shown_without_it(alice):
    conversation = Conversation.objects.create(owner=alice, title=PROMPT)
    assert conversation.display_title == "Explain recursion"


def test_the_history_list_and_its_search_show_no_marker(alice_client, marked):
    for query in ("", "?q=recursion", "?q=explain"):
        html = alice_client.get(reverse("chat-list") + query).content.decode()
        assert "Explain recursion" in html
        assert MARKER not in html


def test_alices_own_prompt_keeps_its_marker(alice_client, marked):
    html = alice_client.get(reverse("chat-conversation", args=[marked.pk])).content.decode()
    assert "Explain recursion [[sim:tps=5,words=20]]</div>" in html
    assert "<title>Explain recursion · Reasoning Playground</title>" in html


def test_a_share_page_shows_no_marker(alice_client, client, marked):
    alice_client.post(reverse("chat-share", args=[marked.pk]))
    link = ShareLink.objects.get(conversation=marked)
    client.logout()
    html = client.get(reverse("chat-shared", args=[link.token])).content.decode()
    assert "Explain recursion" in html
    assert MARKER not in html


def test_the_exports_show_no_marker(alice_client, marked):
    data = json.loads(alice_client.get(reverse("chat-export-json", args=[marked.pk])).content)
    assert data["title"] == "Explain recursion"
    assert data["messages"][0] == {"role": "user", "content": "Explain recursion"}
    assert MARKER not in json.dumps(data)
    markdown = alice_client.get(reverse("chat-export-md", args=[marked.pk])).content.decode()
    assert "Explain recursion" in markdown
    assert MARKER not in markdown
