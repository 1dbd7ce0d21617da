"""Saved prompts' share links: a read-only link to one version, its public page,
revoking it, and copying the shared version into one's own library."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest

from chat.models import SavedPrompt
from tests.prompts.builders import (
    ANSWER,
    FIRST,
    SETTINGS,
    SYSTEM,
    add_version,
    conversation_with_variables,
    save,
    share,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def prompt(alice_client, alice) -> SavedPrompt:
    """Alice's prompt saved from her conversation with variables: version 1."""
    return save(alice_client, conversation_with_variables(alice), note="First try")


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.urls += [v or "" for k, v in attrs if k in ("href", "action", "src")]


def test_a_share_link_points_at_the_latest_version_and_is_listed(alice_client, prompt):
    add_version(prompt, system_prompt="Shared text.", note="private note")
    link = share(alice_client, prompt)
    assert link.version.number == 2 and link.owner == prompt.owner
    assert re.fullmatch(r"[A-Za-z0-9_-]{43,}", link.token) and link.token != str(link.pk)
    html = alice_client.get(f"/prompts/{prompt.pk}/").content.decode()
    assert f"http://testserver/p/{link.token}/" in html
    assert f'href="/prompt-shares/{link.token}/revoke/"' in html and ">Revoke<" in html


def test_the_public_page_shows_the_version_and_nothing_else_of_the_owner(
    alice_client, anonymous, prompt
):
    link = share(alice_client, prompt)
    add_version(prompt, system_prompt="Saved after sharing.", note="secret note")
    response = anonymous.get(f"/p/{link.token}/")
    assert response.status_code == 200
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert response["Referrer-Policy"] == "no-referrer"
    assert response["Cache-Control"] == "no-store"
    html = response.content.decode()
    assert '<meta name="robots" content="noindex">' in html
    assert "Tutor" in html and SYSTEM in html and FIRST in html and ANSWER in html
    assert "Temperature" in html and "0.4" in html and "lookup" in html
    for secret in (
        "alice-owner",
        "alice@owner.example",
        "teaching",
        "First try",
        "Saved after sharing.",
        "secret note",
    ):
        assert secret not in html
    parser = _Links()
    parser.feed(html)
    paths = [urlsplit(url).path for url in parser.urls]
    assert not any(re.search(r"/\d+/", path) for path in paths)  # no database id anywhere
    assert "Sign in to copy this prompt" in html and "Copy to my library" not in html
    assert "<form" not in html.split("<main", 1)[1]  # no-referrer: actions are links


def test_revoke_makes_the_link_404_at_once(alice_client, anonymous, bob_client, prompt):
    link = share(alice_client, prompt)
    assert anonymous.get(f"/p/{link.token}/").status_code == 200
    assert bob_client.get(f"/p/{link.token}/copy/").status_code == 200
    response = alice_client.post(f"/prompt-shares/{link.token}/revoke/")
    back = f"/prompts/{prompt.pk}/?revoked={link.token}#share-links"
    assert response.status_code == 302 and response.url == back
    link.refresh_from_db()
    assert link.revoked_at is not None
    assert anonymous.get(f"/p/{link.token}/").status_code == 404
    assert bob_client.get(f"/p/{link.token}/copy/").status_code == 404
    assert bob_client.post(f"/p/{link.token}/copy/").status_code == 404
    assert SavedPrompt.objects.count() == 1
    html = alice_client.get(f"/prompts/{prompt.pk}/").content.decode()
    assert "Revoked" in html and f"/p/{link.token}/" not in html


@pytest.mark.parametrize("token", ["nope", "A" * 43, "1"])
def test_an_unknown_token_is_404(client, token):
    assert client.get(f"/p/{token}/").status_code == 404


def test_a_signed_in_reader_copies_the_shared_version_to_their_library(
    alice_client, bob_client, bob, prompt
):
    link = share(alice_client, prompt)
    prompt.last_values = {"tone": "alice's secret value"}
    prompt.save()
    add_version(prompt, system_prompt="Later.")
    page = bob_client.get(f"/p/{link.token}/").content.decode()
    assert f'href="/p/{link.token}/copy/?view=' in page and "Copy to my library" in page
    confirm = bob_client.get(f"/p/{link.token}/copy/").content.decode()
    assert '<form method="post"' in confirm and "Copy to my library</button>" in confirm
    response = bob_client.post(f"/p/{link.token}/copy/")
    copy = SavedPrompt.objects.get(owner=bob)
    assert response.status_code == 302 and response.url == f"/prompts/{copy.pk}/"
    assert copy.name == "Tutor" and copy.tags == "" and copy.last_values == {}
    version = copy.versions.get()
    assert version.number == 1 and version.system_prompt == SYSTEM
    assert version.messages == prompt.versions.get(number=1).messages
    assert version.settings == SETTINGS
    assert (
        prompt.versions.count() == 2 and SavedPrompt.objects.filter(owner=prompt.owner).count() == 1
    )


def test_an_anonymous_copy_goes_to_login(alice_client, anonymous, prompt):
    link = share(alice_client, prompt)
    response = anonymous.post(f"/p/{link.token}/copy/")
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")
    assert SavedPrompt.objects.count() == 1
