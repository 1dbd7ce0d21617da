"""Images attached to prompts: files under MEDIA_ROOT, never served from there directly.

An attachment is uploaded before its prompt is sent (the composer's socket cannot carry
files): it is then pending, owned by whoever uploaded it, with no message. Sending the
prompt links it to the new user message. Who may see it is who may see its message
(chat.conversations.attachments serves it). Saving a conversation as a prompt copies its
images onto the version (sharing the files), where the prompt's owner sees them.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models

from chat.models.conversations import Message
from chat.models.prompts import PromptVersion


def new_attachment_key() -> str:
    return secrets.token_hex(16)  # in forms and URLs: opaque, never the database id


class AttachmentQuerySet(models.QuerySet):
    def pending_of(self, user) -> AttachmentQuerySet:
        """A person's uploads not yet sent with a prompt."""
        return self.pending().filter(owner_id=user.pk)

    def pending(self) -> AttachmentQuerySet:
        """Uploads not yet sent: on no message and in no saved prompt."""
        return self.filter(message__isnull=True, version__isnull=True)

    def visible_to(self, user) -> AttachmentQuerySet:
        """What a person may open: their pending uploads, the images of messages in
        their own conversations (not deleted) and those of their saved prompts."""
        return self.filter(
            models.Q(owner_id=user.pk, message__isnull=True, version__isnull=True)
            | models.Q(
                message__conversation__owner_id=user.pk,
                message__conversation__deleted_at__isnull=True,
            )
            | models.Q(version__prompt__owner_id=user.pk)
        )


class Attachment(models.Model):
    key = models.CharField(max_length=32, unique=True, default=new_attachment_key)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    message = models.ForeignKey(
        Message, null=True, blank=True, on_delete=models.CASCADE, related_name="attachments"
    )
    # Or the image of a saved prompt's version: on its message numbered `message_index`
    # (from 0, in PromptVersion.messages). Running the version copies it onto messages.
    version = models.ForeignKey(
        PromptVersion, null=True, blank=True, on_delete=models.CASCADE, related_name="attachments"
    )
    message_index = models.PositiveSmallIntegerField(null=True, blank=True)
    # A name the server made ("attachments/<hex>.png"), never the uploaded one. Copies of
    # a message (a fork, an edit) share the file.
    file = models.FileField(max_length=200)
    # Read from the bytes (chat.conversations.images): one of its four types.
    content_type = models.CharField(max_length=20)
    size = models.PositiveIntegerField()
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    # The order within its message, from 0.
    position = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = AttachmentQuerySet.as_manager()

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.filename

    @property
    def extension(self) -> str:
        return self.file.name.rpartition(".")[2]

    @property
    def filename(self) -> str:
        """What a download is called: image-1.png, image-2.jpg, …"""
        return f"image-{self.position + 1}.{self.extension}"
