"""Accounts: sign up, log in, log out, change password, and who may see what."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-pass-123"


@pytest.fixture
def carol(django_user_model):
    """Carol has an account and logs in through the forms."""
    return django_user_model.objects.create_user("carol", password=PASSWORD)


def test_the_signup_page_has_the_promised_labels(client):
    html = client.get("/accounts/signup/").content.decode()
    for label in (">Username</label>", ">Password</label>", ">Password confirmation</label>"):
        assert label in html
    assert ">Sign up</button>" in html


def test_signing_up_logs_in_and_opens_a_conversation(client):
    response = client.post(
        "/accounts/signup/",
        {"username": "dave", "password1": PASSWORD, "password2": PASSWORD},
        follow=True,
    )
    assert response.redirect_chain[-1][0].startswith("/c/")
    assert response.context["user"].username == "dave"


def test_signing_up_with_mismatched_passwords_says_so_and_creates_nothing(client):
    response = client.post(
        "/accounts/signup/",
        {"username": "erin", "password1": PASSWORD, "password2": "other-pass-456"},
    )
    assert response.status_code == 200
    assert "password fields didn\u2019t match" in response.content.decode()
    assert not get_user_model().objects.filter(username="erin").exists()


def test_signup_can_be_closed(client, settings):
    settings.PLAYGROUND_SIGNUP_ENABLED = False
    assert client.get("/accounts/signup/").status_code == 404
    response = client.post(
        "/accounts/signup/", {"username": "frank", "password1": PASSWORD, "password2": PASSWORD}
    )
    assert response.status_code == 404
    assert not get_user_model().objects.filter(username="frank").exists()


def test_the_login_page_has_the_promised_labels(client):
    html = client.get("/accounts/login/").content.decode()
    assert ">Username</label>" in html and ">Password</label>" in html
    assert ">Log in</button>" in html


def test_logging_in_and_out(client, carol):
    response = client.post("/accounts/login/", {"username": "carol", "password": PASSWORD})
    assert response.status_code == 302
    page = client.get("/", follow=True)
    assert ">Log out</button>" in page.content.decode()
    client.post("/accounts/logout/")
    assert client.get("/").url.startswith("/accounts/login/")


def test_a_wrong_password_is_refused_with_a_message(client, carol):
    response = client.post("/accounts/login/", {"username": "carol", "password": "nope"})
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()


def test_changing_the_password(client, carol):
    client.force_login(carol)
    response = client.post(
        "/accounts/password/",
        {
            "old_password": PASSWORD,
            "new_password1": "new-pass-789xyz",
            "new_password2": "new-pass-789xyz",
        },
    )
    assert response.status_code == 302
    carol.refresh_from_db()
    assert carol.check_password("new-pass-789xyz")


@pytest.mark.parametrize("url", ["/", "/c/", "/c/1/", "/accounts/password/"])
def test_pages_need_a_signed_in_user(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")


def test_staff_can_use_the_admin(client, django_user_model):
    staff = django_user_model.objects.create_superuser("root", password=PASSWORD)
    client.force_login(staff)
    assert client.get("/admin/chat/conversation/").status_code == 200
    assert client.get("/admin/chat/message/").status_code == 200


def test_people_who_are_not_staff_cannot(client, carol):
    client.force_login(carol)
    assert client.get("/admin/chat/conversation/").status_code == 302
