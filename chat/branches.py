"""A conversation's message tree in the database: the visible path, and copies of it."""

from __future__ import annotations

import uuid

from django.db import transaction

from chat.models import Conversation, Message
from chat.tree import Step, Tree

# Fields that a copy of a message keeps (everything but its place in a tree).
COPIED_FIELDS = (
    "role",
    "content",
    "reasoning",
    "tool_calls",
    "choice_index",
    "model",
    "request_params",
    "usage",
    "finish_reason",
    "status",
    "error",
    "upstream",
    "sent_at",
    "first_reasoning_at",
    "first_content_at",
    "finished_at",
)


def tree(conversation: Conversation) -> Tree:
    return Tree(conversation.messages.order_by("id"))


def steps(conversation: Conversation) -> list[Step]:
    """The turns the page shows: the path to the current leaf, with each batch."""
    return tree(conversation).steps(conversation.current_leaf_id)


def path(conversation: Conversation, leaf_pk=None) -> list[Message]:
    return tree(conversation).path(leaf_pk or conversation.current_leaf_id)


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
        parent = leaf = copy
    into.current_leaf = leaf
    into.save(update_fields=["current_leaf", "updated_at"])


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
    copy_path(tree(conversation).path(upto.pk), copy)
    return copy
