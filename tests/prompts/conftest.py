"""The people and things of the saved-prompt tests."""

from __future__ import annotations

import pytest
from django.test import Client

from chat.models import SavedPrompt
from tests.prompts.builders import conversation_with_variables, save


@pytest.fixture
def alice(django_user_model):
    """Alice owns the conversation and the prompts saved from it."""
    return django_user_model.objects.create_user(
        "alice-owner", email="alice@owner.example", password="pw-alice-123"
    )


@pytest.fixture
def bob(django_user_model):
    """Bob is signed in too: he must see and change nothing of Alice's prompts."""
    return django_user_model.objects.create_user("bob", password="pw-bob-123")


@pytest.fixture
def alice_client(client, alice):
    client.force_login(alice)
    return client


@pytest.fixture
def bob_client(bob):
    client = Client()
    client.force_login(bob)
    return client


@pytest.fixture
def anonymous():
    """Someone holding a link, not signed in."""
    return Client()


@pytest.fixture
def conversation(alice):
    """Alice's conversation with variables in it (builders.conversation_with_variables)."""
    return conversation_with_variables(alice)


@pytest.fixture
def prompt(alice_client, conversation) -> SavedPrompt:
    """Alice's prompt saved from the conversation: version 1."""
    return save(alice_client, conversation, note="First try")
