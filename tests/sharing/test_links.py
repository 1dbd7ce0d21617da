"""The list of links every owner's page shows (sharing/_links.html), revoking from it,
and the headers of every public page."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone

from chat.models import (
    Comparison,
    ComparisonShareLink,
    Conversation,
    PromptShareLink,
    PromptVersion,
    SavedPrompt,
    ShareLink,
)
from chat.web import PUBLIC_HEADERS

pytestmark = pytest.mark.django_db


@pytest.fixture
def links(alice):
    """One live link of each kind, all Alice's, and the pages that list them."""
    conversation = Conversation.objects.create(owner=alice, title="Tides")
    prompt = SavedPrompt.objects.create(owner=alice, name="Tutor")
    version = PromptVersion.objects.create(prompt=prompt, number=1)
    comparison = Comparison.objects.create(owner=alice)
    return {
        "conversation": (
            ShareLink.objects.create(owner=alice, conversation=conversation, snapshot={}),
            f"/c/{conversation.pk}/share/",
            "/shares/{token}/revoke/",
        ),
        "list": (
            ShareLink.objects.create(owner=alice, conversation=conversation, snapshot={}),
            "/shares/",
            "/shares/{token}/revoke/",
        ),
        "prompt": (
            PromptShareLink.objects.create(owner=alice, prompt=prompt, version=version),
            f"/prompts/{prompt.pk}/",
            "/prompt-shares/{token}/revoke/",
        ),
        "comparison": (
            ComparisonShareLink.objects.create(owner=alice, comparison=comparison, snapshot={}),
            f"/compare/{comparison.pk}/share/",
            "/compare/shares/{token}/revoke/",
        ),
    }


@pytest.mark.parametrize("kind", ["conversation", "list", "prompt", "comparison"])
def test_every_owners_page_lists_a_link_to_copy_open_and_revoke(alice_client, links, kind):
    link, page, revoke = links[kind]
    html = alice_client.get(page).content.decode()
    url = f"http://testserver{link.get_absolute_url()}"
    assert '<span class="share-state is-live">Open</span>' in html
    code = rf'<code id="(share-url-\d+)" class="share-url">{re.escape(url)}</code>'
    shown = re.search(code, html)
    assert shown
    assert f'data-copy-message="#{shown[1]}">Copy link</button>' in html
    assert "js/copy.js" in html  # what makes Copy link work
    assert f'href="{url}" target="_blank" rel="noopener">Open</a>' in html
    # Revoke asks first, on a page of its own.
    assert f'href="{revoke.format(token=link.token)}' in html


@pytest.mark.parametrize("kind", ["conversation", "prompt", "comparison"])
def test_a_revoked_link_is_listed_as_revoked_without_its_url(alice_client, links, kind):
    link, page, revoke = links[kind]
    alice_client.post(revoke.format(token=link.token))
    html = alice_client.get(page).content.decode()
    assert '<span class="share-state is-revoked">Revoked ' in html
    assert link.token not in html
    assert "No share links yet." not in html


def test_revoking_from_a_page_goes_back_to_it_but_never_elsewhere(alice_client, links):
    link, page, revoke = links["conversation"]
    url = revoke.format(token=link.token)
    assert alice_client.post(url, {"next": page}).url == f"{page}?revoked={link.token}"
    other, _, _ = links["list"]
    url = revoke.format(token=other.token)
    evil = alice_client.post(url, {"next": "https://evil.example/"})
    assert evil.url == f"/shares/?revoked={other.token}"


@pytest.mark.parametrize("kind", ["conversation", "prompt", "comparison"])
def test_no_links_yet_is_said(alice_client, links, kind):
    link, page, _ = links[kind]
    type(link).objects.all().delete()
    html = alice_client.get(page).content.decode()
    assert '<p class="empty-state muted">No share links yet.</p>' in html


@pytest.mark.parametrize("kind", ["conversation", "prompt", "comparison"])
def test_every_public_page_keeps_out_of_search_engines_referrers_and_caches(client, links, kind):
    link, _, _ = links[kind]
    response = client.get(link.get_absolute_url())
    assert response.status_code == 200
    for name, value in PUBLIC_HEADERS.items():
        assert response[name] == value


@pytest.mark.parametrize("kind", ["conversation", "prompt", "comparison"])
def test_every_kind_of_link_stops_at_its_view_limit_and_expiry(client, links, kind):
    link, _, _ = links[kind]
    type(link).objects.filter(pk=link.pk).update(view_limit=1)
    assert client.get(link.get_absolute_url()).status_code == 200
    assert client.get(link.get_absolute_url()).status_code == 404
    type(link).objects.filter(pk=link.pk).update(view_limit=None, expires_at=timezone.now())
    assert client.get(link.get_absolute_url()).status_code == 404


@pytest.mark.parametrize("kind", ["conversation", "prompt", "comparison"])
def test_every_kind_of_link_revokes_with_undo(alice_client, client, links, kind):
    link, page, revoke = links[kind]
    assert (
        "Revoke this share link?"
        in alice_client.get(revoke.format(token=link.token)).content.decode()
    )
    back = alice_client.post(revoke.format(token=link.token), {"next": page}).url
    assert "Undo" in alice_client.get(back).content.decode()
    assert client.get(link.get_absolute_url()).status_code == 404
    restore = revoke.format(token=link.token).replace("/revoke/", "/restore/")
    assert alice_client.post(restore).status_code == 302
    assert client.get(link.get_absolute_url()).status_code == 200
