"""Blind A/B trials: two settings answer one prompt, shown as "A" and "B" until voted."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from chat.models.compare import Comparison


class BlindTrialQuerySet(models.QuerySet):
    def owned_by(self, user) -> BlindTrialQuerySet:
        return self.filter(owner_id=user.pk)


class BlindTrial(models.Model):
    """One blind vote between two settings, run as a two-column comparison.

    The pair's two settings have a fixed order (chat/blind/pairs.py: "first" and
    "second", by their canonical JSON), so votes from trials that chose them in either
    order add up. The comparison's column 0 is what the page shows as A, column 1 as B;
    `a_is_first` says which of the pair's settings that is (drawn at random).
    """

    class Vote(models.TextChoices):
        PENDING = "", "Not voted"
        A = "a", "A is better"
        B = "b", "B is better"
        TIE = "tie", "A tie"
        SKIP = "skip", "Skipped"

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="blind_trials"
    )
    comparison = models.OneToOneField(
        Comparison, on_delete=models.CASCADE, related_name="blind_trial"
    )
    # sha256 of the pair's canonical settings, unordered (chat/blind/pairs.py).
    pair_key = models.CharField(max_length=64)
    a_is_first = models.BooleanField()
    first_settings = models.JSONField(default=dict)
    second_settings = models.JSONField(default=dict)
    # What tells the two apart (chat/compare/grid.column_labels): "Temperature 0.2".
    first_label = models.CharField(max_length=200)
    second_label = models.CharField(max_length=200)
    vote = models.CharField(max_length=4, choices=Vote.choices, default=Vote.PENDING, blank=True)
    voted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = BlindTrialQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["owner", "pair_key"], name="blind_trial_owner_pair")]

    def __str__(self) -> str:
        return f"Blind A/B {self.first_label} vs {self.second_label}"

    @property
    def voted(self) -> bool:
        return self.vote != self.Vote.PENDING

    @property
    def a_label(self) -> str:
        return self.first_label if self.a_is_first else self.second_label

    @property
    def b_label(self) -> str:
        return self.second_label if self.a_is_first else self.first_label
