"""Image files never left behind: what is deleted for good takes its files with it, and a
periodic clean (manage.py clean_attachments) removes what nothing will ever send or show.

- A conversation deleted longer than UNDO_WINDOW ago is purged (the next delete of its
  owner purges it too), and its image files with it, unless another message or a saved
  prompt still names them (copies share one file).
- An upload never sent is removed PLAYGROUND_PENDING_IMAGE_HOURS after it was made.
- A file under MEDIA_ROOT/attachments/ that no attachment names (its row deleted some
  other way: an account, a saved prompt) is removed once ORPHAN_GRACE old, so a file
  written a moment before its row is never taken for one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from chat.conversations import attachments
from chat.models import Attachment, Conversation

# A deleted conversation can be restored this long; after it, it is purged.
UNDO_WINDOW = timedelta(minutes=10)
ORPHAN_GRACE = timedelta(hours=1)


@dataclass(frozen=True)
class Cleaned:
    conversations: int
    pending: int
    orphans: int


@transaction.atomic
def purge(conversations: QuerySet[Conversation]) -> int:
    """Delete these conversations for good (messages, links, images), and once that is
    committed, the image files nothing else names. How many conversations went."""
    names = _files_of(Attachment.objects.filter(message__conversation__in=conversations))
    deleted = conversations.delete()[1].get(Conversation._meta.label, 0)
    attachments.remove_files_when_unused(names)
    return deleted


def purge_expired(owner_id: int | None = None) -> int:
    """The conversations deleted longer than UNDO_WINDOW ago: one person's, or everyone's."""
    expired = Conversation.objects.filter(deleted_at__lt=timezone.now() - UNDO_WINDOW)
    if owner_id is not None:
        expired = expired.filter(owner_id=owner_id)
    return purge(expired)


@transaction.atomic
def remove_stale_pending(older_than: timedelta | None = None) -> int:
    """Uploads never sent, made longer ago than PLAYGROUND_PENDING_IMAGE_HOURS."""
    age = older_than or timedelta(hours=settings.PLAYGROUND_PENDING_IMAGE_HOURS)
    stale = Attachment.objects.pending().filter(created_at__lt=timezone.now() - age)
    names = _files_of(stale)
    deleted, _ = stale.delete()
    attachments.remove_files_when_unused(names)
    return deleted


def remove_orphans(grace: timedelta = ORPHAN_GRACE) -> int:
    """Files of the attachments folder that no attachment names, older than `grace`."""
    try:
        _, files = default_storage.listdir(attachments.FOLDER)
    except FileNotFoundError:  # nothing was ever uploaded
        return 0
    names = {f"{attachments.FOLDER}/{name}" for name in files}
    used = set(Attachment.objects.filter(file__in=names).values_list("file", flat=True))
    cutoff = timezone.now() - grace
    removed = 0
    for name in sorted(names - used):
        try:
            if default_storage.get_modified_time(name) >= cutoff:
                continue  # perhaps an upload whose row is being written
        except FileNotFoundError:
            continue
        default_storage.delete(name)
        removed += 1
    return removed


def clean() -> Cleaned:
    """All three, in the order that leaves the fewest orphans for the last."""
    return Cleaned(purge_expired(), remove_stale_pending(), remove_orphans())


def _files_of(found: QuerySet[Attachment]) -> set[str]:
    return set(found.values_list("file", flat=True))
