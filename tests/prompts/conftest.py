"""The people and things of the saved-prompt tests."""

from __future__ import annotations

import pytest
from django.test import Client

from chat.models import SavedPrompt
from tests.prompts.builders import conversation_with_variables, save


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
