"""Image files never left behind: a removed pending upload, a purged conversation, stale
uploads and orphaned files all take their files with them; shared files stay."""

from __future__ import annotations

import os
import time
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from chat.conversations import attachments, cleanup
from chat.models import Attachment, Conversation, Message
from tests.images import PNG

pytestmark = [pytest.mark.django_db(transaction=True)]


def _upload(owner) -> Attachment:
    return attachments.store(owner, SimpleUploadedFile("a.png", PNG))


def _sent(owner, conversation) -> Attachment:
    prompt = Message.objects.create(conversation=conversation, role="user", content="Look")
    [image] = attachments.attach(prompt, [_upload(owner)])
    return image


def test_the_remove_button_deletes_the_uploaders_pending_image_and_its_file(
    alice, alice_client, media_root
):
    image = _upload(alice)
    path = media_root / image.file.name
    assert path.is_file()
    response = alice_client.post(reverse("chat-remove-pending-image", args=[image.key]))
    assert response.status_code == 204
    assert not Attachment.objects.filter(pk=image.pk).exists()
    assert not path.exists()


def test_only_the_uploader_may_remove_and_only_while_not_sent(
    alice, alice_client, bob_client, media_root
):
    pending = _upload(alice)
    url = reverse("chat-remove-pending-image", args=[pending.key])
    assert bob_client.post(url).status_code == 404
    assert alice_client.get(url).status_code == 405
    conversation = Conversation.objects.create(owner=alice)
    sent = _sent(alice, conversation)
    url = reverse("chat-remove-pending-image", args=[sent.key])
    assert alice_client.post(url).status_code == 404
    assert Attachment.objects.filter(pk__in=[pending.pk, sent.pk]).count() == 2
    assert (media_root / sent.file.name).is_file()


def test_a_purged_conversation_takes_its_image_files_but_not_shared_ones(alice, media_root):
    gone = Conversation.objects.create(owner=alice, deleted_at=timezone.now() - timedelta(hours=1))
    own = _sent(alice, gone)
    shared = _sent(alice, gone)
    kept = Conversation.objects.create(owner=alice)
    copy_prompt = Message.objects.create(conversation=kept, role="user", content="Copy")
    attachments.copy_to(shared, copy_prompt)
    assert cleanup.purge_expired(alice.pk) == 1
    assert not Conversation.objects.filter(pk=gone.pk).exists()
    assert not (media_root / own.file.name).exists()
    assert (media_root / shared.file.name).is_file()  # the copy still shows it


def test_deleting_a_conversation_purges_those_past_their_undo_window(
    alice, alice_client, media_root
):
    old = Conversation.objects.create(owner=alice, deleted_at=timezone.now() - timedelta(hours=1))
    image = _sent(alice, old)
    recent = Conversation.objects.create(owner=alice, deleted_at=timezone.now())
    current = Conversation.objects.create(owner=alice)
    assert alice_client.post(reverse("chat-delete", args=[current.pk])).status_code == 302
    assert not (media_root / image.file.name).exists()
    assert set(Conversation.objects.values_list("pk", flat=True)) == {recent.pk, current.pk}


def test_the_command_removes_stale_pending_uploads_and_old_orphans(alice, media_root, settings):
    settings.PLAYGROUND_PENDING_IMAGE_HOURS = 24
    stale, fresh = _upload(alice), _upload(alice)
    Attachment.objects.filter(pk=stale.pk).update(created_at=timezone.now() - timedelta(hours=25))
    orphan = media_root / "attachments" / "0123456789abcdef.png"
    orphan.write_bytes(PNG)
    hour_ago = time.time() - 2 * 3600
    os.utime(orphan, (hour_ago, hour_ago))
    newborn = media_root / "attachments" / "fedcba9876543210.png"
    newborn.write_bytes(PNG)  # perhaps an upload whose row is being written: kept
    call_command("clean_attachments")
    assert list(Attachment.objects.values_list("pk", flat=True)) == [fresh.pk]
    assert not (media_root / stale.file.name).exists()
    assert (media_root / fresh.file.name).is_file()
    assert not orphan.exists()
    assert newborn.is_file()
