"""Read-only links to a conversation, a saved prompt or a comparison."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models

from chat.models.compare import Comparison
from chat.models.conversations import Conversation
from chat.models.prompts import PromptVersion, SavedPrompt


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
