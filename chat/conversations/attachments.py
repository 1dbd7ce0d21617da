"""Images attached to prompts: stored from an upload, linked to the prompt that sends
them, read back as data URLs for the upstream, and served to who may see them.

The composer's socket cannot carry files, so each image is uploaded first (a pending
attachment, its owner's only) and the socket's send names it by its key. A key that is
not the sender's own pending upload is refused: nobody sends, sees or takes over
another person's image by guessing or copying a key.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from channels.db import database_sync_to_async
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.http import FileResponse

from chat.conversations import images
from chat.models import Attachment, Message, PromptVersion

FOLDER = "attachments"
UNAVAILABLE = (
    "One of the attached images is no longer available (already sent, or not yours): "
    "remove it and attach it again."
)


def limits() -> dict[str, object]:
    """What the composer says of the limits: {"count": 8, "size": "10 MB"}."""
    return {
        "count": settings.PLAYGROUND_IMAGES_PER_MESSAGE,
        "size": images.size_text(settings.PLAYGROUND_IMAGE_MAX_BYTES),
    }


def store(owner, upload: UploadedFile) -> Attachment:
    """A pending attachment of `owner` from an uploaded file, or ImageProblem (nothing
    is stored then)."""
    limit = settings.PLAYGROUND_IMAGE_MAX_BYTES
    name = upload.name or ""
    if upload.size is not None and upload.size > limit:
        raise images.ImageProblem(
            f"{images.describe_name(name)} is too large ({images.size_text(upload.size)}; "
            f"at most {images.size_text(limit)} each)."
        )
    return store_bytes(owner, upload.read(limit + 1), name)


def store_bytes(
    owner, data: bytes, name: str, message: Message | None = None, position: int = 0
) -> Attachment:
    """An attachment of `owner` from a file's bytes (pending, or on `message`), or
    ImageProblem."""
    sniffed = images.sniff(data, name, settings.PLAYGROUND_IMAGE_MAX_BYTES)
    attachment = Attachment(
        message=message,
        position=position,
        owner=owner,
        content_type=sniffed.content_type,
        size=len(data),
        width=sniffed.width,
        height=sniffed.height,
    )
    # The storage adds a suffix if the name were ever taken; the key alone is unique.
    attachment.file.save(
        f"{FOLDER}/{attachment.key}.{sniffed.extension}", ContentFile(data), save=False
    )
    attachment.save()
    return attachment


@transaction.atomic
def discard_pending(owner, key: str) -> bool:
    """Remove `owner`'s own upload named `key` while it is not yet sent (the composer's
    remove button), its file with it; False when there is none such (another's, or sent)."""
    pending = Attachment.objects.pending_of(owner).filter(key=key)
    names = list(pending.values_list("file", flat=True))
    # Deleted only if still pending: a send that claimed it first keeps it.
    deleted, _ = pending.delete()
    if not deleted:
        return False
    remove_files_when_unused(names)
    return True


def remove_files_when_unused(names: Iterable[str]) -> None:
    """Once the deletion in progress is committed, delete from MEDIA_ROOT each of these
    files that no attachment names any more (copies of a message, a saved prompt's
    images, share one file). Nothing is removed if the deletion is rolled back."""
    wanted = {name for name in names if name}
    if wanted:
        transaction.on_commit(lambda: _remove_unused(wanted))


def _remove_unused(names: set[str]) -> None:
    used = set(Attachment.objects.filter(file__in=names).values_list("file", flat=True))
    for name in names - used:
        default_storage.delete(name)  # a file already gone is no error


def keys_of(value: object) -> list[str]:
    """The attachment keys a form sent: one field, repeated (a list) or absent."""
    values = value if isinstance(value, list) else [value] if value else []
    return [str(key) for key in values if str(key)]


def claim(owner, keys: Sequence[str]) -> tuple[list[Attachment], str | None]:
    """The person's own pending attachments named by `keys`, in that order, or why not
    (another's key, one already sent, too many)."""
    limit = settings.PLAYGROUND_IMAGES_PER_MESSAGE
    if not keys:
        return [], None
    if len(keys) > limit:
        return [], f"A message can carry at most {limit} images; {len(keys)} are attached."
    if len(set(keys)) != len(keys):
        return [], "The same image is attached twice: remove one."
    found = {a.key: a for a in Attachment.objects.pending_of(owner).filter(key__in=keys)}
    if len(found) != len(keys):
        return [], UNAVAILABLE
    return [found[key] for key in keys], None


aclaim = database_sync_to_async(claim)


@transaction.atomic
def attach(message: Message, attachments: Iterable[Attachment]) -> list[Attachment]:
    """Put the images on a user message, in order: a pending upload is linked (once: a
    second send of the same key links nothing), an image of another message (an edited
    prompt's) or of a saved prompt is copied, sharing its file. What was attached comes back."""
    attached = []
    for position, attachment in enumerate(attachments):
        if attachment.message_id is None and attachment.version_id is None:
            linked = (
                Attachment.objects.pending()
                .filter(pk=attachment.pk)
                .update(message=message, position=position)
            )
            if not linked:
                continue
            attachment.message, attachment.position = message, position
        else:
            attachment = copy_to(attachment, message, position)
        attached.append(attachment)
    return attached


aattach = database_sync_to_async(attach)


def copy_to(attachment: Attachment, message: Message, position: int | None = None) -> Attachment:
    """The same image on another message (the file is shared, the key is new)."""
    return Attachment.objects.create(
        owner_id=message.conversation.owner_id,
        message=message,
        file=attachment.file.name,
        content_type=attachment.content_type,
        size=attachment.size,
        width=attachment.width,
        height=attachment.height,
        position=attachment.position if position is None else position,
    )


def copy_to_version(
    attachment: Attachment, version: PromptVersion, index: int, position: int
) -> Attachment:
    """The same image in a saved prompt's version, on its message numbered `index`."""
    return Attachment.objects.create(
        owner_id=version.prompt.owner_id,
        version=version,
        message_index=index,
        file=attachment.file.name,
        content_type=attachment.content_type,
        size=attachment.size,
        width=attachment.width,
        height=attachment.height,
        position=position,
    )


def of_version(version: PromptVersion) -> dict[int, list[Attachment]]:
    """A version's images by the index of their message, in order."""
    found: dict[int, list[Attachment]] = {}
    for attachment in version.attachments.all():
        found.setdefault(attachment.message_index or 0, []).append(attachment)
    return found


def of_messages(message_ids: Iterable[int]) -> dict[int, list[Attachment]]:
    """Each message's attachments, in order; messages without any are left out."""
    found: dict[int, list[Attachment]] = {}
    for attachment in Attachment.objects.filter(message_id__in=list(message_ids)):
        found.setdefault(attachment.message_id or 0, []).append(attachment)
    return found


def data_urls(message_ids: Iterable[int]) -> dict[int, list[str]]:
    """Each message's images as data URLs, for the request (tree.api_messages)."""
    return {pk: [data_url(a) for a in found] for pk, found in of_messages(message_ids).items()}


adata_urls = database_sync_to_async(data_urls)


def data_url(attachment: Attachment) -> str:
    return images.data_url(attachment.content_type, read(attachment))


def read(attachment: Attachment) -> bytes:
    with attachment.file.open("rb") as handle:
        return handle.read()


def file_response(attachment: Attachment) -> FileResponse:
    """The image itself: only as one of the four image types (never HTML or SVG), not
    sniffed again by the browser, and a page of its own that can run nothing."""
    content_type = attachment.content_type
    if content_type not in images.CONTENT_TYPES:  # stored only after sniffing; kept honest
        content_type = "application/octet-stream"
    response = FileResponse(attachment.file.open("rb"), content_type=content_type)
    response["Content-Disposition"] = f'inline; filename="{attachment.filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    return response
