"""New conversations from the messages of others: a copied path, a fork, an import."""

from __future__ import annotations

import uuid

from django.db import transaction
from django.utils import timezone

from chat.conversations import attachments, imports
from chat.models import Attachment, Conversation, Message, title_from_prompt

# Saved as they are from a checked import; the rest is the message's place in the tree.
IMPORTED_FIELDS = (
    "role",
    "content",
    "refusal",
    "reasoning",
    "tool_calls",
    "tool_results",
    "choice_index",
    "model",
    "request_params",
    "usage",
    "finish_reason",
    "status",
    "error",
)
# What a copy of a message keeps: everything but its place in a tree.
COPIED_FIELDS = (
    *IMPORTED_FIELDS,
    "upstream",
    "sent_at",
    "first_reasoning_at",
    "first_content_at",
    "finished_at",
)


@transaction.atomic
def copy_path(messages: list[Message], into: Conversation, *, with_reasoning: bool = True) -> None:
    """Copy a path (root first) into another conversation, keeping each batch's choices
    together, and make its last message the copy's current leaf."""
    parent = None
    batches: dict = {}
    leaf = None
    for message in messages:
        copy = Message(conversation=into, parent=parent)
        for name in COPIED_FIELDS:
            setattr(copy, name, getattr(message, name))
        if not with_reasoning:
            copy.reasoning = ""
        if copy.status == Message.Status.STREAMING:
            copy.status = Message.Status.INTERRUPTED
        copy.batch = batches.setdefault(message.batch, uuid.uuid4())
        copy.save()
        for image in message.attachments.all():
            attachments.copy_to(image, copy)
        parent = leaf = copy
    into.current_leaf = leaf
    into.save(update_fields=["current_leaf", "updated_at"])


def _copy_images(source: Conversation, keys: list[str], into: Message) -> None:
    found = {
        a.key: a for a in Attachment.objects.filter(message__conversation=source, key__in=keys)
    }
    for position, key in enumerate(k for k in keys if k in found):
        attachments.copy_to(found[key], into, position)


def fork(conversation: Conversation, upto: Message, owner) -> Conversation:
    """A new conversation of `owner` holding the path up to `upto`, same settings."""
    copy = Conversation.objects.create(
        owner=owner,
        title=f"Fork of {conversation.display_title}"[:200],
        system_prompt=conversation.system_prompt,
        settings=conversation.settings,
        provider=conversation.provider,
        started_at=conversation.started_at,
        forked_from=conversation,
    )
    copy_path(conversation.path(upto.pk), copy)
    return copy


@transaction.atomic
def save_imported(
    owner, imported: imports.Imported, images_from: Conversation | None = None
) -> Conversation:
    """A new conversation of `owner` holding a checked import, tree and current leaf.

    A copied share's prompts name their images by key (`image_keys`): with
    `images_from`, the shared conversation, those of its images are copied too.
    """
    first_prompt = next((m["content"] for m in imported.messages if m["role"] == "user"), "")
    conversation = Conversation.objects.create(
        owner=owner,
        title=imported.title or title_from_prompt(first_prompt)[:200],
        system_prompt=imported.system_prompt,
        settings=imported.settings,
        started_at=timezone.now(),
    )
    saved: dict = {}
    batches: dict = {}
    for record in imported.messages:
        message = Message(conversation=conversation, parent=saved.get(record["parent"]))
        for name in IMPORTED_FIELDS:
            setattr(message, name, record[name])
        for name, moment in record["timings"].items():
            setattr(message, name, moment)
        message.batch = batches.setdefault((record["parent"], record["batch"]), uuid.uuid4())
        message.save()
        if images_from is not None and record.get("image_keys"):
            _copy_images(images_from, record["image_keys"], message)
        for position, image in enumerate(record.get("images") or []):  # checked by imports
            attachments.store_bytes(owner, image["data"], "imported image", message, position)
        saved[record["ref"]] = message
    conversation.current_leaf = saved.get(imported.current_leaf)
    conversation.save(update_fields=["current_leaf", "updated_at"])
    return conversation
