"""What the page is told beside Send and in the sidebar, over HTTP."""

from __future__ import annotations

import pytest
from django.urls import reverse

from chat.conversations import cards
from chat.models import Conversation

pytestmark = pytest.mark.django_db


def test_a_bad_parameter_is_summarised_beside_send_with_a_link_to_it(alice_client):
    html = alice_client.post(reverse("chat-check-params"), {"temperature": "3"}).content.decode()
    assert (
        '<hx-partial hx-target="#param-summary" hx-swap="innerHTML"><p>'
        '<a href="#param-temperature" data-focus-field="param-temperature">'
        "Temperature must be between 0 and 2.</a></p></hx-partial>"
    ) in html


def test_good_parameters_empty_the_summary(alice_client):
    html = alice_client.post(reverse("chat-check-params"), {"temperature": "1"}).content.decode()
    assert '<hx-partial hx-target="#param-summary" hx-swap="innerHTML"></hx-partial>' in html


@pytest.mark.parametrize(
    ("errors", "summary"),
    [
        ({}, []),
        ({"prompt": "Write a message first."}, []),
        (
            {"top_p": "Top P bad.", "temperature": "Temperature bad.", "provider": "Not yours."},
            [
                ("provider", "Not yours."),
                ("temperature", "Temperature bad."),
                ("top_p", "Top P bad."),
            ],
        ),
    ],
)
def test_the_summary_lists_the_panels_fields_in_panel_order(errors, summary):
    assert cards.param_summary(errors) == summary


def test_a_rename_tells_the_sidebar_to_redraw(alice, alice_client):
    conversation = Conversation.objects.create(owner=alice, title="Old")
    response = alice_client.post(
        reverse("chat-rename", args=[conversation.pk]), {"title": "New"}, HTTP_HX_REQUEST="true"
    )
    assert response["HX-Trigger"] == "conversations-changed"
    page = alice_client.get(reverse("chat-conversation", args=[conversation.pk])).content.decode()
    assert 'hx-trigger="conversations-changed from:body"' in page
