"""Sign-in throttling (django-axes) and sign-up throttling, as a visitor sees them."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

pytestmark = pytest.mark.django_db


def sign_in(client, password: str):
    return client.post(reverse("login"), {"username": "alice-owner", "password": password})


def test_wrong_passwords_lock_the_username_out_even_for_the_right_one(settings, client, alice):
    settings.AXES_FAILURE_LIMIT = 3
    for _ in range(2):
        assert sign_in(client, "wrong").status_code == 200  # the form again, with its error
    locked = sign_in(client, "wrong")
    assert locked.status_code == 429
    text = locked.content.decode()
    assert "Too many wrong passwords (3)" in text
    assert "locked for 15 min, even with the right password" in text
    right = sign_in(client, "pw-alice-123")
    assert right.status_code == 429
    assert "_auth_user_id" not in client.session


def test_a_right_password_before_the_limit_signs_in(settings, client, alice):
    settings.AXES_FAILURE_LIMIT = 3
    sign_in(client, "wrong")
    assert sign_in(client, "pw-alice-123").status_code == 302
    assert client.session["_auth_user_id"] == str(alice.pk)


def test_sign_ups_from_one_address_are_limited_per_hour(settings, client):
    settings.PLAYGROUND_SIGNUPS_PER_HOUR = 2
    for number in range(3):
        client.logout()
        response = client.post(
            reverse("signup"),
            {
                "username": f"visitor{number}",
                "password1": "a-long-pass-phrase-9",
                "password2": "a-long-pass-phrase-9",
            },
        )
    assert response.status_code == 429
    assert "you can sign up again in" in response.content.decode()
    assert User.objects.filter(username__startswith="visitor").count() == 2
