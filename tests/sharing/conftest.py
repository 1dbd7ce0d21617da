"""The people of the share-link tests."""

from __future__ import annotations

import pytest
from django.test import Client


@pytest.fixture
def anonymous():
    """Someone holding a link, not signed in."""
    return Client()
