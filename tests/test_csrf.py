"""Every address that takes a POST refuses one without a CSRF token.

Alice is signed in and posts to her own things, as a page of another site could make
her browser do: every URL of the app (and of accounts) answers 403 and nothing
changes. The walk is the one tests/test_ownership.py makes, over every URL pattern.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import URLPattern, URLResolver, reverse

from playground import urls
from tests.test_ownership import _kwargs, _state, alices  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db

# Django's admin has its own tests; everything else of ours is walked.
NOT_WALKED = {"admin"}
DATA = {"title": "forged", "prompt": "forged", "include_reasoning": "on", "carry_on": "1"}


def _patterns(patterns=urls.urlpatterns) -> list[URLPattern]:
    flat: list[URLPattern] = []
    for p in patterns:
        if isinstance(p, URLResolver):
            if p.app_name not in NOT_WALKED:
                flat += _patterns(p.url_patterns)
        else:
            flat.append(p)
    return flat


def test_the_walk_covers_every_state_changing_route() -> None:
    names = {p.name for p in _patterns()}
    assert {
        "chat-new",
        "chat-send",
        "chat-rename",
        "chat-delete",
        "chat-share",
        "chat-share-revoke",
        "chat-import",
        "chat-prompt-share",
        "chat-providers",
        "logout",
        "password_change",
        "signup",
    } <= names


@pytest.mark.parametrize("pattern", _patterns(), ids=lambda p: p.name)
@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_a_post_without_a_csrf_token_is_refused_and_changes_nothing(
    alices,  # noqa: F811 (the fixture imported above)
    pattern: URLPattern,
    htmx: bool,
) -> None:
    alice = User.objects.get(username="alice")
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    url = reverse(pattern.name, kwargs=_kwargs(pattern, alices))
    before = _state(), list(User.objects.values().order_by("pk"))
    headers = {"HX-Request": "true"} if htmx else {}
    response = client.post(url, DATA, headers=headers)
    assert response.status_code == 403, (url, response.status_code)
    assert (_state(), list(User.objects.values().order_by("pk"))) == before
