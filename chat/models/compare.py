"""Comparisons: one prompt under several settings, and which answer is which run."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from chat.models.conversations import Conversation, Message


class ComparisonQuerySet(models.QuerySet):
    def owned_by(self, user) -> ComparisonQuerySet:
        """What a person may open. A blind A/B trial's comparison is not theirs to open
        until they voted: its page, exports and socket would say which side is which."""
        return self.filter(owner_id=user.pk).exclude(blind_trial__vote="")

    def listed(self) -> ComparisonQuerySet:
        """The comparisons list: a blind trial's comparison is listed with the trials,
        an evaluation's (one per test case, one per judge's verdict) by its evaluation."""
        return self.filter(
            blind_trial__isnull=True,
            evaluation_row__isnull=True,
            evaluation_judgement__isnull=True,
        )


class Comparison(models.Model):
    """One prompt run under several settings (columns), each setting `repeats` times."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="comparisons"
    )
    title = models.CharField(max_length=200, blank=True)
    system_prompt = models.TextField(blank=True)
    # The prompt path: [{"role": "user" | "assistant", "content": "..."}], the last the user's.
    messages = models.JSONField(default=list, blank=True)
    # Typed settings per column (chat.api.params.parse_form), in order.
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
