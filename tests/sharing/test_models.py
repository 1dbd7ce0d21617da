"""The share-link base every kind shares: live links, the owner's links, revoking."""

from __future__ import annotations

from datetime import timedelta

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

pytestmark = pytest.mark.django_db

KINDS = ["conversation", "prompt", "comparison"]


def _link(kind: str, owner):
    """A live link of `kind` to a thing of `owner`'s."""
    if kind == "conversation":
        conversation = Conversation.objects.create(owner=owner, title="Tides")
        return ShareLink.objects.create(owner=owner, conversation=conversation)
    if kind == "prompt":
        prompt = SavedPrompt.objects.create(owner=owner, name="Tutor")
        version = PromptVersion.objects.create(prompt=prompt, number=1)
        return PromptShareLink.objects.create(owner=owner, prompt=prompt, version=version)
    comparison = Comparison.objects.create(owner=owner)
    return ComparisonShareLink.objects.create(owner=owner, comparison=comparison)


@pytest.mark.parametrize("kind", KINDS)
def test_a_link_is_live_until_it_is_revoked(alice, kind):
    link = _link(kind, alice)
    links = type(link).objects
    assert list(links.live(link.token)) == [link]
    assert not links.live("not-a-token").exists()
    link.revoke()
    assert not links.live(link.token).exists()


@pytest.mark.parametrize("kind", KINDS)
def test_revoking_again_keeps_the_first_time(alice, kind):
    link = _link(kind, alice)
    link.revoke()
    first = type(link).objects.get(pk=link.pk).revoked_at
    assert first is not None
    link.revoke()
    assert type(link).objects.get(pk=link.pk).revoked_at == first


@pytest.mark.parametrize("kind", KINDS)
def test_the_owners_links_are_only_theirs(alice, bob, kind):
    link = _link(kind, alice)
    links = type(link).objects
    assert list(links.owned_by(alice)) == [link]
    assert not links.owned_by(bob).exists()


@pytest.mark.parametrize(
    ("kind", "path"), [("conversation", "/s/"), ("prompt", "/p/"), ("comparison", "/cs/")]
)
def test_a_links_address_is_its_public_page(alice, kind, path):
    link = _link(kind, alice)
    assert link.get_absolute_url() == f"{path}{link.token}/"


def test_a_deleted_conversations_link_is_not_live_until_it_is_restored(alice):
    link = _link("conversation", alice)
    Conversation.objects.filter(pk=link.conversation_id).update(deleted_at=timezone.now())
    assert not ShareLink.objects.live(link.token).exists()
    Conversation.objects.filter(pk=link.conversation_id).update(deleted_at=None)
    assert ShareLink.objects.live(link.token).exists()


def test_revoking_a_conversations_link_moves_its_updated_time(alice):
    link = _link("conversation", alice)
    long_ago = timezone.now() - timedelta(days=1)
    ShareLink.objects.filter(pk=link.pk).update(updated_at=long_ago)
    link.refresh_from_db()
    link.revoke()
    assert ShareLink.objects.get(pk=link.pk).updated_at > long_ago
