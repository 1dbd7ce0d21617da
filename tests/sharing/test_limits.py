"""Expiry, view limits, revoke with undo, on every kind of share link's pages."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from chat.models import ShareLink
from chat.sharing import links as share_links

pytestmark = pytest.mark.django_db


@pytest.fixture
def conversation(alice):
    from chat.models import Conversation, Message

    conversation = Conversation.objects.create(
        owner=alice, title="Limits", started_at=timezone.now()
    )
    user = Message.objects.create(conversation=conversation, role="user", content="Hello there")
    answer = Message.objects.create(
        conversation=conversation,
        parent=user,
        role="assistant",
        content="General Kenobi",
        status="complete",
    )
    conversation.current_leaf = answer
    conversation.save()
    return conversation


def _create(alice_client, conversation, **form):
    response = alice_client.post(
        f"/c/{conversation.pk}/share/", {"include_reasoning": "on", **form}
    )
    assert response.status_code == 302
    return ShareLink.objects.filter(conversation=conversation).latest("created_at")


@pytest.mark.parametrize(("expiry", "days"), [("1d", 1), ("7d", 7), ("30d", 30), ("never", None)])
def test_the_owner_sets_an_expiry_when_creating(alice_client, conversation, expiry, days):
    before = timezone.now()
    link = _create(alice_client, conversation, expiry=expiry)
    if days is None:
        assert link.expires_at is None
    else:
        assert (
            before + timedelta(days=days)
            <= link.expires_at
            <= timezone.now() + timedelta(days=days)
        )


def test_a_bad_limit_creates_nothing(alice_client, conversation):
    response = alice_client.post(f"/c/{conversation.pk}/share/", {"view_limit": "0"})
    assert response.status_code == 302 and not ShareLink.objects.exists()


def test_an_expired_link_is_404_like_a_revoked_one(alice_client, client, conversation):
    link = _create(alice_client, conversation, expiry="1d")
    assert client.get(link.get_absolute_url()).status_code == 200
    ShareLink.objects.filter(pk=link.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    expired = client.get(link.get_absolute_url())
    revoked = _create(alice_client, conversation)
    alice_client.post(f"/shares/{revoked.token}/revoke/")
    gone = client.get(revoked.get_absolute_url())
    assert expired.status_code == gone.status_code == 404
    assert expired.content == gone.content
    assert client.get(f"/s/{link.token}/continue/").status_code in (302, 404)


def test_a_view_limit_counts_each_page_view_once_then_404s(alice_client, client, conversation):
    link = _create(alice_client, conversation, view_limit="2")
    assert client.get(link.get_absolute_url()).status_code == 200
    assert client.get(link.get_absolute_url()).status_code == 200
    assert client.get(link.get_absolute_url()).status_code == 404
    link.refresh_from_db()
    assert link.views == 2 and link.last_viewed_at is not None


def test_the_list_shows_expiry_views_and_last_view(alice_client, client, conversation):
    link = _create(alice_client, conversation, view_limit="3", expiry="7d")
    client.get(link.get_absolute_url())
    html = alice_client.get("/shares/").content.decode()
    assert "<dt>Expires</dt>" in html and link.expires_at.strftime("%Y-%m-%d") in html
    assert "<dd data-share-views>1 of 3</dd>" in html
    assert "<dt>Last view</dt>" in html and "Not viewed yet" not in html


def test_an_exhausted_link_is_listed_so(alice_client, client, conversation):
    link = _create(alice_client, conversation, view_limit="1")
    client.get(link.get_absolute_url())
    html = alice_client.get("/shares/").content.decode()
    assert "View limit reached" in html


def test_the_owner_changes_the_limits_and_the_views_stay_counted(
    alice_client, client, conversation
):
    link = _create(alice_client, conversation, view_limit="1")
    client.get(link.get_absolute_url())
    assert client.get(link.get_absolute_url()).status_code == 404
    alice_client.post(f"/shares/{link.token}/limits/", {"expiry": "keep", "view_limit": "5"})
    link.refresh_from_db()
    assert link.view_limit == 5 and link.views == 1 and link.expires_at is None
    assert client.get(link.get_absolute_url()).status_code == 200


def test_nobody_else_changes_the_limits(bob_client, alice_client, conversation):
    link = _create(alice_client, conversation)
    response = bob_client.post(f"/shares/{link.token}/limits/", {"view_limit": "1"})
    assert response.status_code == 404
    link.refresh_from_db()
    assert link.view_limit is None


def test_the_images_of_the_last_view_come_with_its_ticket_only(alice_client, conversation):
    link = _create(alice_client, conversation, view_limit="1")
    ShareLink.objects.filter(pk=link.pk).update(views=1)
    ticket = share_links.ticket(link.token)
    assert share_links.opening(ShareLink.objects.all(), link.token, ticket) is not None
    assert share_links.opening(ShareLink.objects.all(), link.token, "") is None
    other = _create(alice_client, conversation)
    assert (
        share_links.opening(ShareLink.objects.all(), link.token, share_links.ticket(other.token))
        is None
    )


def test_revoke_asks_first_then_can_be_undone(alice_client, client, conversation):
    link = _create(alice_client, conversation)
    confirm = alice_client.get(f"/shares/{link.token}/revoke/?next=/shares/")
    html = confirm.content.decode()
    assert confirm.status_code == 200 and "Revoke this share link?" in html and "Cancel" in html
    link.refresh_from_db()
    assert link.revoked_at is None
    done = alice_client.post(f"/shares/{link.token}/revoke/", {"next": "/shares/"})
    assert done.url == f"/shares/?revoked={link.token}"
    banner = alice_client.get(done.url).content.decode()
    assert "You can undo this for 10 minutes." in banner
    assert f'action="/shares/{link.token}/restore/"' in banner
    assert client.get(link.get_absolute_url()).status_code == 404
    assert alice_client.post(f"/shares/{link.token}/restore/").status_code == 302
    assert client.get(link.get_absolute_url()).status_code == 200


def test_undo_ends_after_ten_minutes_and_is_the_owners_only(alice_client, bob_client, conversation):
    link = _create(alice_client, conversation)
    alice_client.post(f"/shares/{link.token}/revoke/")
    assert bob_client.post(f"/shares/{link.token}/restore/").status_code == 404
    ShareLink.objects.filter(pk=link.pk).update(revoked_at=timezone.now() - timedelta(minutes=11))
    assert alice_client.post(f"/shares/{link.token}/restore/").status_code == 404
    link.refresh_from_db()
    assert link.revoked_at is not None
