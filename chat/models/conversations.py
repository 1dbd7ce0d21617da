"""Conversations and their messages, saved as they happen."""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from chat.conversations.tree import Step, Tree
from chat.simulator.markers import without_markers

# A generation writes at least this often while it runs (see generation.py), so
# a streaming message not written for longer belongs to a server that died. The
# default of PLAYGROUND_STALE_AFTER_SECONDS, which stale_after() reads.
STALE_AFTER = timedelta(seconds=45)


def stale_after() -> timedelta:
    return timedelta(seconds=getattr(settings, "PLAYGROUND_STALE_AFTER_SECONDS", 45.0))


TITLE_LENGTH = 80


class ConversationQuerySet(models.QuerySet):
    def owned_by(self, user) -> ConversationQuerySet:
        """What a person may open: their own, not deleted. Everything else is a 404.

        Nor the hidden conversation of a blind A/B trial not yet voted on: its answers'
        models and parameters would say which side is which."""
        # chat.models.compare imports this module: the comparison is looked up here.
        from chat.models.compare import Comparison

        undecided = Comparison.objects.filter(conversation=OuterRef("pk"), blind_trial__vote="")
        mine = self.filter(owner_id=user.pk, deleted_at__isnull=True)
        return mine.exclude(Q(hidden=True) & Exists(undecided))


class Conversation(models.Model):
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="conversations"
    )
    title = models.CharField(max_length=200, blank=True)
    system_prompt = models.TextField(blank=True)
    # The parameter panel's typed values (chat.api.params.parse_form), restored on open.
    settings = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # When the first prompt was sent; untouched conversations stay out of lists.
    started_at = models.DateTimeField(null=True, blank=True)
    pinned = models.BooleanField(default=False)
    # Holds a comparison's runs (chat.compare.runs): never listed, searched or reused.
    hidden = models.BooleanField(default=False)
    # Deleting hides at once and can be undone for a while; a later delete purges.
    deleted_at = models.DateTimeField(null=True, blank=True)
    # The last message of the path the page shows (and the next prompt follows).
    current_leaf = models.ForeignKey(
        "Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    forked_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="forks"
    )
    # The person's own upstream for this conversation; none means the server's default.
    provider = models.ForeignKey(
        "Provider", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = ConversationQuerySet.as_manager()

    class Meta:
        ordering = ["-updated_at", "-id"]
        indexes = [
            models.Index(
                fields=["owner", "-pinned", "-updated_at", "-id"], name="conv_owner_listing"
            ),
        ]

    def __str__(self) -> str:
        return self.title or "New conversation"

    @property
    def display_title(self) -> str:
        # Titles made before markers were left out of them still hold some.
        return without_markers(self.title) or "New conversation"

    def tree(self) -> Tree:
        # Prompts show their images (one query for all of them).
        return Tree(self.messages.order_by("id").prefetch_related("attachments"))

    def steps(self) -> list[Step]:
        """The turns the page shows: the path to the current leaf, with each batch."""
        return self.tree().steps(self.current_leaf_id)

    def path(self, leaf_pk: int | None = None) -> list[Message]:
        return self.tree().path(leaf_pk or self.current_leaf_id)

    def page_version(self) -> str:
        """Changes whenever what the conversation's page shows may have: a page that
        reconnects with the version it was rendered at is re-rendered only if stale.
        Every write of a message or the conversation moves its updated_at."""
        seen = self.messages.aggregate(newest=models.Max("updated_at"), count=models.Count("id"))
        newest = max(filter(None, [self.updated_at, seen["newest"]]))
        return f"{newest.timestamp():.6f}-{seen['count']}"


def title_from_prompt(prompt: str) -> str:
    """The first line of a prompt, whitespace folded, cut at a word near TITLE_LENGTH;
    simulator markers are instructions, not what the conversation is about."""
    words = " ".join(without_markers(prompt).split())
    if len(words) <= TITLE_LENGTH:
        return words
    cut = words[:TITLE_LENGTH].rsplit(" ", 1)[0] or words[:TITLE_LENGTH]
    return cut + "…"


class Message(models.Model):
    class Role(models.TextChoices):
        SYSTEM = "system"
        USER = "user"
        ASSISTANT = "assistant"
        TOOL = "tool"

    class Status(models.TextChoices):
        STREAMING = "streaming"
        # A comparison's run waiting for a free slot under the per-user cap.
        QUEUED = "queued"
        COMPLETE = "complete"
        STOPPED = "stopped"
        ERROR = "error"
        INTERRUPTED = "interrupted"

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="messages"
    )
    # The message this one answers or follows; siblings share a parent.
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="children"
    )
    role = models.CharField(max_length=10, choices=Role.choices)
    content = models.TextField(blank=True)
    reasoning = models.TextField(blank=True)
    tool_calls = models.JSONField(null=True, blank=True)
    # A tool message (role "tool") answers the tool calls of its parent, one result per
    # call in the calls' order: [{"tool_call_id", "name", "content", "failed"}]. Sent as
    # one API `tool` message per result (chat.conversations.tree.api_messages).
    tool_results = models.JSONField(null=True, blank=True)
    # OpenAI's `refusal` text: the model declined, and `content` stayed empty.
    refusal = models.TextField(blank=True)
    choice_index = models.PositiveSmallIntegerField(default=0)
    # The answers of one request share a batch; a regeneration is a new batch.
    batch = models.UUIDField(default=uuid.uuid4, db_index=True)
    model = models.CharField(max_length=200, blank=True)
    # The exact request body sent upstream (without messages), for display and re-runs.
    request_params = models.JSONField(default=dict, blank=True)
    usage = models.JSONField(null=True, blank=True)
    finish_reason = models.CharField(max_length=40, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.COMPLETE)
    error = models.TextField(blank=True)
    upstream = models.CharField(max_length=300, blank=True)
    # The server process running its generation ("host:pid:token", recovery.owner()),
    # so another process can tell a stream whose owner died from a live one.
    owner = models.CharField(max_length=120, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    first_reasoning_at = models.DateTimeField(null=True, blank=True)
    first_content_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Counts the writes a generation made to this row: the streaming path must
    # write in batches, never per token, and this keeps it honest.
    revision = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["conversation", "id"], name="msg_conversation_order"),
            models.Index(fields=["status", "updated_at"], name="msg_status_updated"),
        ]

    def __str__(self) -> str:
        return f"{self.role} #{self.pk}"

    @property
    def is_stale(self) -> bool:
        return (
            self.status in (self.Status.STREAMING, self.Status.QUEUED)
            and self.updated_at is not None
            and timezone.now() - self.updated_at > stale_after()
        )
