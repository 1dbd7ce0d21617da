"""Adding, changing or deleting a provider asks for the password, unless this session
signed in within PLAYGROUND_REAUTH_SECONDS (chat/providers/reauth.py)."""

from __future__ import annotations

import time

import pytest
from django.test import Client
from django.urls import reverse

from chat.models import Provider
from chat.providers import reauth, secrets

PASSWORD = "pw-alice-123"  # alice's, from tests/conftest.py
KEY = "sk-reauth-Hq3mV8xT5wK2"
BASE = "https://93.184.215.14/v1"  # public, and never fetched: every form names its models


@pytest.fixture
def away_client(alice):
    """Alice's browser, signed in an hour ago and left open: anyone may be at it."""
    client = Client()
    client.force_login(alice)
    session = client.session
    session[reauth.SESSION_KEY] = time.time() - 3600
    session.save()
    return client


@pytest.fixture
def fresh_client(alice):
    """Alice, just signed in."""
    client = Client()
    client.force_login(alice)
    return client


@pytest.fixture
def box(alice):
    """Alice's provider, with a key."""
    return Provider.objects.create(
        owner=alice,
        name="Box",
        base_url=BASE,
        api_key_encrypted=secrets.encrypt(KEY),
        api_key_last4=secrets.last4(KEY),
        model_ids=["m"],
    )


def _add(client, **extra):
    data = {"name": "New", "base_url": BASE, "api_key": KEY, "models": "m", **extra}
    return client.post(reverse("chat-providers"), data)


def _edit(client, row, **extra):
    data = {"name": "Moved", "base_url": BASE + "x", "api_key": "sk-other-9", "models": "m"}
    return client.post(reverse("chat-provider", args=[row.pk]), {**data, **extra})


@pytest.mark.django_db
@pytest.mark.parametrize("password", [None, "", "not-it"])
def test_adding_a_provider_long_after_signing_in_needs_the_password(away_client, password):
    response = _add(away_client, **({} if password is None else {"password": password}))
    page = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_password-error"' in page
    assert (reauth.WRONG if password else "Enter your password") in page
    assert "Your password" in page and "more than 10 minutes ago" in page
    assert not Provider.objects.exists()
    assert KEY[3:] not in page  # the key typed is not put back into the page


@pytest.mark.django_db
def test_with_the_password_it_is_added_and_the_next_change_does_not_ask(away_client, alice):
    assert "Your password" in away_client.get(reverse("chat-providers")).content.decode()
    response = _add(away_client, password=PASSWORD)
    assert response.status_code == 302
    row = Provider.objects.get(owner=alice)
    assert secrets.decrypt(row.api_key_encrypted) == KEY
    page = away_client.get(response.url).content.decode()
    assert "Your password" not in page  # confirmed just now
    assert KEY[3:] not in page
    assert _add(away_client, name="Second").status_code == 302


@pytest.mark.django_db
def test_changing_a_provider_needs_the_password(away_client, box):
    page = away_client.get(reverse("chat-provider", args=[box.pk])).content.decode()
    assert "Your password" in page
    refused = _edit(away_client, box, password="not-it")
    assert refused.status_code == 200 and reauth.WRONG in refused.content.decode()
    box.refresh_from_db()
    assert (box.name, box.base_url) == ("Box", BASE)
    assert secrets.decrypt(box.api_key_encrypted) == KEY

    assert _edit(away_client, box, password=PASSWORD).status_code == 302
    box.refresh_from_db()
    assert (box.name, box.base_url) == ("Moved", BASE + "x")
    assert secrets.decrypt(box.api_key_encrypted) == "sk-other-9"


@pytest.mark.django_db
def test_deleting_a_provider_needs_the_password(away_client, box):
    delete = reverse("chat-provider-delete", args=[box.pk])
    assert "Your password" in away_client.get(delete).content.decode()
    refused = away_client.post(delete)
    assert refused.status_code == 200 and "Enter your password" in refused.content.decode()
    assert Provider.objects.filter(pk=box.pk).exists()
    assert away_client.post(delete, {"password": PASSWORD}).status_code == 302
    assert not Provider.objects.filter(pk=box.pk).exists()


@pytest.mark.django_db
def test_a_session_from_before_sign_ins_were_recorded_is_asked_too(alice, box):
    client = Client()
    client.force_login(alice)
    session = client.session
    del session[reauth.SESSION_KEY]
    session.save()
    assert _edit(client, box).status_code == 200
    box.refresh_from_db()
    assert box.name == "Box"


@pytest.mark.django_db
def test_a_recent_sign_in_is_enough(fresh_client, box, settings):
    settings.PLAYGROUND_REAUTH_SECONDS = 600
    page = fresh_client.get(reverse("chat-provider", args=[box.pk])).content.decode()
    assert "Your password" not in page
    assert _edit(fresh_client, box).status_code == 302
    box.refresh_from_db()
    assert box.name == "Moved"


@pytest.mark.django_db
def test_signing_in_through_the_login_page_counts_as_recent(alice, box):
    client = Client()
    signed_in = client.post(reverse("login"), {"username": alice.username, "password": PASSWORD})
    assert signed_in.status_code == 302
    assert _edit(client, box).status_code == 302
