"""Saved prompts, kept in versions."""

from __future__ import annotations

from django.conf import settings
from django.db import models


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
    # The parameter panel's typed values (chat.api.params.parse_form), tools and format included.
    settings = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["prompt", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["prompt", "number"], name="prompt_version_number")
        ]

    def __str__(self) -> str:
        return f"{self.prompt} v{self.number}"
