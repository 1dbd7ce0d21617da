"""Evaluations: a prompt over test cases under several settings, graded, run again and again.

An evaluation keeps what a person edits (the prompt or the saved prompt it follows, the
test cases, the checks, the settings); each run keeps a copy of what it ran with, so
two runs can be compared after any of those changed. A run is one comparison per test
case (chat/compare/runs.py runs it: the queue, the cap, streaming and Stop are compare
mode's); an EvaluationRow names which comparison is which test case, and keeps the
grades of its answers.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from chat.models.compare import Comparison
from chat.models.conversations import Message
from chat.models.prompts import SavedPrompt
from chat.models.sharing import AbstractShareLink


class EvaluationQuerySet(models.QuerySet):
    def owned_by(self, user) -> EvaluationQuerySet:
        return self.filter(owner_id=user.pk)


class Evaluation(models.Model):
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="evaluations"
    )
    title = models.CharField(max_length=200, blank=True)
    # Follows a saved prompt (each run takes its latest version), or holds its own prompt.
    prompt = models.ForeignKey(
        SavedPrompt, null=True, blank=True, on_delete=models.SET_NULL, related_name="evaluations"
    )
    system_prompt = models.TextField(blank=True)
    # The prompt path with {{variables}}: [{"role", "content"}], the last the user's.
    messages = models.JSONField(default=list, blank=True)
    # [{"values": {name: text}, "expected": "...", "note": "..."}] (chat.evals.cases)
    cases = models.JSONField(default=list, blank=True)
    # Stored checks (chat.evals.graders.parse_check), applied to every answer.
    checks = models.JSONField(default=list, blank=True)
    # The base setting and the sweep that make the columns (chat.compare.grid).
    base_settings = models.JSONField(default=dict, blank=True)
    sweep = models.JSONField(default=list, blank=True)  # [{"name": ..., "values": "..."}]
    repeats = models.PositiveSmallIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = EvaluationQuerySet.as_manager()

    class Meta:
        ordering = ["-updated_at", "-id"]
        indexes = [models.Index(fields=["owner", "-updated_at"], name="evaluation_owner_recent")]

    def __str__(self) -> str:
        return self.display_title

    @property
    def display_title(self) -> str:
        return self.title or "Untitled evaluation"


class EvaluationRun(models.Model):
    """One run of an evaluation, with a copy of everything it ran with."""

    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="runs")
    number = models.PositiveIntegerField()
    # The saved prompt's version it ran (None for a prompt of the evaluation's own).
    prompt_version = models.PositiveIntegerField(null=True, blank=True)
    system_prompt = models.TextField(blank=True)
    messages = models.JSONField(default=list, blank=True)
    cases = models.JSONField(default=list, blank=True)
    checks = models.JSONField(default=list, blank=True)
    columns = models.JSONField(default=list, blank=True)
    repeats = models.PositiveSmallIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["evaluation", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["evaluation", "number"], name="evaluation_run_number")
        ]

    def __str__(self) -> str:
        return f"{self.evaluation} run {self.number}"


class EvaluationRow(models.Model):
    """One test case of a run: its comparison, and the grades of its answers."""

    run = models.ForeignKey(EvaluationRun, on_delete=models.CASCADE, related_name="rows")
    case = models.PositiveIntegerField()  # from 0, an index into EvaluationRun.cases
    comparison = models.OneToOneField(
        Comparison, on_delete=models.CASCADE, related_name="evaluation_row"
    )
    # {message id: [{"passed": bool, "reason": str} | None per check]}, once it ended.
    grades = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["run", "case"]
        constraints = [models.UniqueConstraint(fields=["run", "case"], name="evaluation_row_case")]

    def __str__(self) -> str:
        return f"{self.run} case {self.case + 1}"


class EvaluationJudgement(models.Model):
    """A model-graded check of one answer: the judge's request, run as a one-column
    comparison (so it queues, streams and shows its code like any other), and which
    answer and check it grades."""

    row = models.ForeignKey(EvaluationRow, on_delete=models.CASCADE, related_name="judgements")
    answer = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="+")
    check_index = models.PositiveSmallIntegerField()  # from 0, into EvaluationRun.checks
    comparison = models.OneToOneField(
        Comparison, on_delete=models.CASCADE, related_name="evaluation_judgement"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["answer", "check_index"], name="evaluation_judgement_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.row} judge of check {self.check_index + 1}"


class EvaluationShareLink(AbstractShareLink):
    """A read-only link to an evaluation's runs, like a comparison's."""

    SUBJECT = "evaluation"
    PUBLIC_URL = "chat-eval-shared"

    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="share_links")
    include_reasoning = models.BooleanField(default=True)

    def __str__(self) -> str:
        return f"Share of {self.evaluation}"
