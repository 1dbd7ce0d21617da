"""Conversations and their messages, saved as they happen."""

from __future__ import annotations

import secrets
import uuid
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

# A generation writes at least this often while it runs (see generation.py), so
# a streaming message not written for longer belongs to a server that died.
STALE_AFTER = timedelta(seconds=45)
TITLE_LENGTH = 80


class ConversationQuerySet(models.QuerySet):
    def owned_by(self, user) -> ConversationQuerySet:
        """What a person may open: their own, not deleted. Everything else is a 404."""
        return self.filter(owner_id=user.pk, deleted_at__isnull=True)


class Conversation(models.Model):
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="conversations"
    )
    title = models.CharField(max_length=200, blank=True)
    system_prompt = models.TextField(blank=True)
    # The parameter panel's typed values (chat.params.parse_form), restored on open.
    settings = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # When the first prompt was sent; untouched conversations stay out of lists.
    started_at = models.DateTimeField(null=True, blank=True)
    pinned = models.BooleanField(default=False)
    # Holds a comparison's runs (chat.comparisons): never listed, searched or reused.
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
        return self.title or "New conversation"


def title_from_prompt(prompt: str) -> str:
    """The first line of a prompt, whitespace folded, cut at a word near TITLE_LENGTH."""
    words = " ".join(prompt.split())
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
            and timezone.now() - self.updated_at > STALE_AFTER
        )


def new_share_token() -> str:
    return secrets.token_urlsafe(32)  # 256 bits, unguessable, not the database id


class ShareLink(models.Model):
    """A read-only snapshot of a conversation's visible path, behind a random token."""

    token = models.CharField(max_length=64, unique=True, default=new_share_token)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="share_links"
    )
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="share_links"
    )
    include_reasoning = models.BooleanField(default=True)
    title = models.CharField(max_length=200, blank=True)
    # What the page shows: taken at share time, refreshed by "Update".
    snapshot = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.title or "Shared conversation"


class SavedPrompt(models.Model):
    """A named setup (system prompt, messages, parameters) kept in versions."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_prompts"
    )
    name = models.CharField(max_length=200)
    tags = models.CharField(max_length=300, blank=True)  # comma-separated, as typed
    # The variable values used last time, prefilled in the run form.
    last_values = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at", "-id"]
        indexes = [models.Index(fields=["owner", "-updated_at"], name="prompt_owner_recent")]

    def __str__(self) -> str:
        return self.name


class PromptVersion(models.Model):
    prompt = models.ForeignKey(SavedPrompt, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    note = models.CharField(max_length=300, blank=True)
    system_prompt = models.TextField(blank=True)
    # [{"role": "user" | "assistant", "content": "..."}], in order; the last is usually the user's.
    messages = models.JSONField(default=list, blank=True)
    # The parameter panel's typed values (chat.params.parse_form), tools and format included.
    settings = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["prompt", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["prompt", "number"], name="prompt_version_number")
        ]

    def __str__(self) -> str:
        return f"{self.prompt} v{self.number}"


class PromptShareLink(models.Model):
    """A read-only link to one version of a saved prompt, like a conversation's."""

    token = models.CharField(max_length=64, unique=True, default=new_share_token)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="prompt_share_links"
    )
    prompt = models.ForeignKey(SavedPrompt, on_delete=models.CASCADE, related_name="share_links")
    version = models.ForeignKey(PromptVersion, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Share of {self.prompt}"


class Provider(models.Model):
    """A person's own OpenAI-compatible upstream. The key is encrypted at rest."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="providers"
    )
    name = models.CharField(max_length=100)
    base_url = models.CharField(max_length=500)
    # MultiFernet token of the API key (chat.secrets); never the key itself.
    api_key_encrypted = models.TextField(blank=True)
    # The last four characters, for the masked display ("••••abcd").
    api_key_last4 = models.CharField(max_length=4, blank=True)
    model_ids = models.JSONField(default=list, blank=True)  # from /models, editable
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class ComparisonQuerySet(models.QuerySet):
    def owned_by(self, user) -> ComparisonQuerySet:
        return self.filter(owner_id=user.pk)


class Comparison(models.Model):
    """One prompt run under several settings (columns), each setting `repeats` times."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="comparisons"
    )
    title = models.CharField(max_length=200, blank=True)
    system_prompt = models.TextField(blank=True)
    # The prompt path: [{"role": "user" | "assistant", "content": "..."}], the last the user's.
    messages = models.JSONField(default=list, blank=True)
    # Typed settings per column (chat.params.parse_form), in order.
    columns = models.JSONField(default=list, blank=True)
    # What built the grid, for "Edit as new": {"params": [{"name", "values"}]}.
    sweep = models.JSONField(default=dict, blank=True)
    repeats = models.PositiveSmallIntegerField(default=1)
    # The hidden conversation holding the prompt path and every run's answer.
    conversation = models.ForeignKey(
        Conversation, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    source_conversation = models.ForeignKey(
        Conversation, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ComparisonQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["owner", "-created_at"], name="comparison_owner_recent")]

    def __str__(self) -> str:
        return self.display_title

    @property
    def display_title(self) -> str:
        return self.title or "Untitled comparison"


class ComparisonRun(models.Model):
    """Which answer belongs to which column, repeat and choice of a comparison."""

    comparison = models.ForeignKey(Comparison, on_delete=models.CASCADE, related_name="runs")
    column = models.PositiveSmallIntegerField()  # from 0, an index into Comparison.columns
    repeat = models.PositiveSmallIntegerField()  # from 0
    choice = models.PositiveSmallIntegerField(default=0)
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="+")

    class Meta:
        ordering = ["column", "repeat", "choice"]
        constraints = [
            models.UniqueConstraint(
                fields=["comparison", "column", "repeat", "choice"], name="comparison_run_slot"
            )
        ]

    def __str__(self) -> str:
        return f"{self.comparison} column {self.column + 1} run {self.repeat + 1}"


class ComparisonShareLink(models.Model):
    """A read-only snapshot of a comparison behind a random token, like a conversation's."""

    token = models.CharField(max_length=64, unique=True, default=new_share_token)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="comparison_share_links"
    )
    comparison = models.ForeignKey(Comparison, on_delete=models.CASCADE, related_name="share_links")
    include_reasoning = models.BooleanField(default=True)
    snapshot = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Share of {self.comparison}"
