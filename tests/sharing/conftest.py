"""The people of the share-link tests."""

from __future__ import annotations

import pytest
from django.test import Client


@pytest.fixture
def alice(django_user_model):
    """Alice owns the conversations, prompts and comparisons, and their share links."""
    return django_user_model.objects.create_user(
        "alice-owner", email="alice@owner.example", password="pw-alice-123"
    )


@pytest.fixture
def bob(django_user_model):
    """Bob may read a link Alice gives him, and copy it; nothing of hers may change."""
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
