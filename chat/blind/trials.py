"""Blind trials in the database: starting one, voting, and tallying a person's pairs.

A trial runs as an ordinary two-column, one-repeat comparison (chat/compare/runs.py),
so it streams through the same per-person queue and cap; the trial only adds which
column is shown as A and the vote. Its comparison is neither listed nor openable
until the vote (ComparisonQuerySet.owned_by), so its pages cannot give it away.

Tallies are per person, across their sessions: a pair's votes are the person's own
trials on those two settings, never anyone else's.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Count, Max, Q
from django.utils import timezone

from chat.blind import pairs, tally
from chat.compare import form, grid, results, runs
from chat.compare.results import RunView
from chat.models import BlindTrial, Comparison, Message

PAGE = "blind/trial.html"
_FAILED = (Message.Status.ERROR, Message.Status.INTERRUPTED, Message.Status.STOPPED)
# Shown in a failed answer's place before the vote: the error itself may name the
# model or the upstream.
HIDDEN_ERROR = "This answer failed."


@transaction.atomic
def create(user: User, builder: form.Builder) -> BlindTrial:
    """A trial of the builder's two columns on its prompt, A drawn at random (not started)."""
    first, second = builder.columns[0].settings, builder.columns[1].settings
    pair = pairs.pair_of(first, second)
    a_is_first = random.SystemRandom().random() < 0.5
    shown = [pair.first, pair.second] if a_is_first else [pair.second, pair.first]
    # Column 0 is A: the order answers are created in (their ids) then says nothing.
    blind = form.Builder(
        system_prompt=builder.system_prompt,
        messages=builder.prompt_messages,
        columns=[form.Column(dict(settings), {}) for settings in shown],
    )
    # Named from the prompt, never from its settings; the prompt's images kept by key.
    comparison = runs.create(user, blind)
    return BlindTrial.objects.create(
        owner=user,
        comparison=comparison,
        pair_key=pair.key,
        a_is_first=a_is_first,
        first_settings=pair.first,
        second_settings=pair.second,
        first_label=pair.first_label,
        second_label=pair.second_label,
    )


def builder_for(comparison: Comparison, first: int, second: int) -> form.Builder:
    """Two of a comparison's columns (from 0) on its prompt."""
    return form.Builder(
        system_prompt=comparison.system_prompt,
        messages=[dict(m) for m in comparison.messages],
        columns=[form.Column(dict(comparison.columns[i]), {}) for i in (first, second)],
    )


def builder_again(trial: BlindTrial) -> form.Builder:
    """The same two settings on the same prompt, for another blind round."""
    comparison = trial.comparison
    return form.Builder(
        system_prompt=comparison.system_prompt,
        messages=[dict(m) for m in comparison.messages],
        columns=[
            form.Column(dict(trial.first_settings), {}),
            form.Column(dict(trial.second_settings), {}),
        ],
    )


# -- a trial's page ------------------------------------------------------------------------


@dataclass
class Side:
    letter: str
    run: RunView | None
    # What the answer panes show: the message, or before the vote, when it failed,
    # the same without its error text.
    answer: object = None

    @property
    def active(self) -> bool:
        return self.run is None or self.run.active

    @property
    def failed(self) -> bool:
        return self.run is not None and self.run.message.status in _FAILED


@dataclass
class TrialView:
    trial: BlindTrial
    sides: list[Side]
    shown: results.Results

    @property
    def finished(self) -> bool:
        return not any(side.active for side in self.sides)

    @property
    def failed(self) -> bool:
        return any(side.failed for side in self.sides)

    @property
    def votes(self) -> list[tuple[str, str]]:
        """The votes a person may cast now: none while an answer runs, and only a tie
        or a skip when one failed (a failed answer cannot be judged on its merits)."""
        if self.trial.voted or not self.finished:
            return []
        choices = [("tie", "A tie"), ("skip", "Skip")]
        if not self.failed:
            choices = [("a", "A is better"), ("b", "B is better"), *choices]
        return choices


def view(trial: BlindTrial) -> TrialView:
    comparison = trial.comparison
    shown = results.results(comparison)
    sides = []
    for letter, column in zip("AB", shown.columns, strict=False):
        run = column.runs[0] if column.runs else None
        sides.append(Side(letter, run, _answer(run, trial.voted)))
    return TrialView(trial, sides, shown)


def _answer(run: RunView | None, voted: bool) -> object:
    if run is None:
        return None
    message = run.message
    if voted or not message.error:
        return message
    return {
        "status": message.status,
        "error": HIDDEN_ERROR,
        "content": message.content,
        "reasoning": message.reasoning,
        "refusal": message.refusal,
        "tool_calls": message.tool_calls,
    }


def cast(trial: BlindTrial, vote: str) -> bool:
    """Record the vote, once: False when the trial was voted already (by any request)."""
    now = timezone.now()
    done = BlindTrial.objects.filter(pk=trial.pk, vote=BlindTrial.Vote.PENDING).update(
        vote=vote, voted_at=now
    )
    trial.refresh_from_db()
    return bool(done)


def reveal(trial: BlindTrial) -> dict[str, object]:
    """Which was which, once voted: each letter's label and what sets the two apart."""
    a, b = trial.comparison.columns[0], trial.comparison.columns[1]
    return {
        "a_label": trial.a_label,
        "b_label": trial.b_label,
        "changes": grid.setting_changes(a, b),
        "winner": {"a": trial.a_label, "b": trial.b_label}.get(trial.vote, ""),
    }


def page_context(trial: BlindTrial) -> dict[str, object]:
    """What the trial page's partials need; its socket renders the same partials."""
    context: dict[str, object] = {
        "trial": trial,
        "view": view(trial),
        "prompt": results.prompt_shown(trial.comparison.messages),
        "cap": settings.PLAYGROUND_COMPARE_CONCURRENCY,
    }
    if trial.voted:
        context["reveal"] = reveal(trial)
        context["pair"] = pair_tally(trial.owner, trial.pair_key)
    return context


# -- tallies -------------------------------------------------------------------------------


@dataclass
class PairTally:
    key: str
    first_label: str
    second_label: str
    summary: tally.Tally
    skipped: int
    latest: int  # the newest trial's id, to run another round from

    @property
    def text(self) -> str:
        return tally.describe(self.summary)


def _counts() -> dict[str, Count]:
    first = Q(vote="a", a_is_first=True) | Q(vote="b", a_is_first=False)
    second = Q(vote="a", a_is_first=False) | Q(vote="b", a_is_first=True)
    return {
        "first_wins": Count("pk", filter=first),
        "second_wins": Count("pk", filter=second),
        "ties": Count("pk", filter=Q(vote="tie")),
        "skipped": Count("pk", filter=Q(vote="skip")),
    }


def pair_tally(user: User, key: str) -> PairTally | None:
    rows = pair_tallies(user, key)
    return rows[0] if rows else None


def pair_tallies(user: User, key: str | None = None) -> list[PairTally]:
    """The person's pairs with at least one vote cast, the most recently tried first."""
    voted = BlindTrial.objects.owned_by(user).exclude(vote=BlindTrial.Vote.PENDING)
    if key is not None:
        voted = voted.filter(pair_key=key)
    grouped = voted.values("pair_key").annotate(**_counts(), latest=Max("pk")).order_by("-latest")
    labels = {
        trial.pk: trial
        for trial in BlindTrial.objects.filter(pk__in=[row["latest"] for row in grouped])
    }
    return [
        PairTally(
            key=row["pair_key"],
            first_label=labels[row["latest"]].first_label,
            second_label=labels[row["latest"]].second_label,
            summary=tally.tally(row["first_wins"], row["second_wins"], row["ties"]),
            skipped=row["skipped"],
            latest=row["latest"],
        )
        for row in grouped
    ]
