"""Evaluation runs in the database: starting one, stopping it, grading its answers,
and opening one answer as a conversation.

A run copies what it runs with (the prompt or the saved prompt's latest version, the
test cases, the checks, the columns), then makes one comparison per test case, its
prompt filled with the case's values, queues every answer through compare mode
(chat/compare/runs.py: the same per-person slots, streaming and Stop) and drains the
test cases from one background task, at most the compare cap of them at a time
(_pump). Answers are graded once they end (grade), the results kept on their row;
model-graded checks ask a judge (chat/evals/judges.py) the same way.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Callable

from asgiref.sync import async_to_sync
from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone

from chat.compare import runs as compare_runs
from chat.compare.metrics import run_metrics
from chat.conversations import generation
from chat.evals import graders, judges, plan
from chat.models import (
    Comparison,
    ComparisonRun,
    Conversation,
    Evaluation,
    EvaluationRow,
    EvaluationRun,
    Message,
)
from chat.providers.upstreams import Provider

ACTIVE = compare_runs.ACTIVE
NO_ANSWER: dict[str, str] = {
    Message.Status.ERROR: "The request failed, so there is no answer to check.",
    Message.Status.STOPPED: "Stopped before the answer finished.",
    Message.Status.INTERRUPTED: "The server stopped before the answer finished.",
}


def current_prompt(evaluation: Evaluation) -> tuple[int | None, str, list[dict]]:
    """The prompt a run would send now: the saved prompt's latest version (its number),
    or the evaluation's own prompt."""
    if evaluation.prompt_id is not None:
        version = evaluation.prompt.versions.order_by("-number").first()  # type: ignore[union-attr]
        if version is not None:
            return version.number, version.system_prompt, list(version.messages)
    return None, evaluation.system_prompt, list(evaluation.messages)


def problems(evaluation: Evaluation) -> dict[str, str]:
    """Why the evaluation cannot run as it stands (nothing starts), by section."""
    errors: dict[str, str] = {}
    _, system_prompt, messages = current_prompt(evaluation)
    if not any(str(m.get("content") or "").strip() for m in messages if m.get("role") == "user"):
        errors["prompt"] = "The prompt has no user message to send."
    if not evaluation.cases:
        errors["cases"] = "Add at least one test case before running."
    else:
        names = plan.prompt_variables(system_prompt, messages)
        for number, case in enumerate(evaluation.cases, start=1):
            missing = [name for name in names if name not in (case.get("values") or {})]
            if missing:
                listed = ", ".join("{{" + name + "}}" for name in missing)
                errors["cases"] = f"Test case {number} has no value for {listed}."
                break
    _, column_errors = plan.columns(evaluation.base_settings, evaluation.sweep)
    if column_errors:
        errors["settings"] = " ".join(dict.fromkeys(column_errors.values()))
    return errors


@transaction.atomic
def create(evaluation: Evaluation) -> EvaluationRun:
    """A new run holding a copy of what the evaluation runs with, and its rows."""
    # Two Runs at once must not both take the next number: the evaluation's row is
    # locked until this one is made (PostgreSQL; SQLite writes one at a time anyway).
    Evaluation.objects.select_for_update().filter(pk=evaluation.pk).first()
    version, system_prompt, messages = current_prompt(evaluation)
    columns, _ = plan.columns(evaluation.base_settings, evaluation.sweep)
    last = evaluation.runs.aggregate(last=Max("number"))["last"] or 0
    run = EvaluationRun.objects.create(
        evaluation=evaluation,
        number=last + 1,
        prompt_version=version,
        system_prompt=system_prompt,
        messages=messages,
        cases=evaluation.cases,
        checks=evaluation.checks,
        columns=columns,
        repeats=evaluation.repeats,
    )
    for index, case in enumerate(evaluation.cases):
        case_system, case_messages = plan.filled(system_prompt, messages, case["values"])
        comparison = Comparison.objects.create(
            owner_id=evaluation.owner_id,
            title=f"{evaluation.display_title} · run {run.number} · case {index + 1}"[:200],
            system_prompt=case_system,
            messages=case_messages,
            columns=columns,
            repeats=evaluation.repeats,
        )
        EvaluationRow.objects.create(run=run, case=index, comparison=comparison)
    evaluation.save(update_fields=["updated_at"])
    return run


def start(run: EvaluationRun, provider_for: Callable[[dict[str, object]], Provider]) -> None:
    """Queue every answer of the run (the matrix shows them at once) and let at most the
    person's cap of test cases wait for a slot at a time (launch)."""
    queued = [
        compare_runs.queue(row.comparison, provider_for)
        for row in run.rows.select_related("comparison")
    ]
    launch(queued)


def launch(queued: list[compare_runs.Queued]) -> None:
    """Drain the queued comparisons (a run's test cases, or judges) in the background."""
    if queued:
        async_to_sync(_launch)(queued)


async def _launch(queued: list[compare_runs.Queued]) -> None:
    # A fresh context, as compare mode's start: this is called from a sync view.
    task = asyncio.get_running_loop().create_task(_pump(queued), context=contextvars.Context())
    compare_runs.keep(task)


async def _pump(queued: list[compare_runs.Queued]) -> None:
    """Drain the comparisons in order, at most the compare cap of them at a time: each
    waits for the person's slots on its own, so with hundreds waiting at once every
    freed slot would wake them all; this many are enough to keep every slot busy."""
    cap = settings.PLAYGROUND_COMPARE_CONCURRENCY
    fresh = asyncio.create_task(_keep_queued_fresh([q.conversation_id for q in queued]))
    running: set[asyncio.Task[None]] = set()
    try:
        for each in queued:
            while len(running) >= cap:
                _, running = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
            running.add(asyncio.create_task(compare_runs.drain(each)))
        await asyncio.gather(*running, return_exceptions=True)
    finally:
        fresh.cancel()


async def _keep_queued_fresh(conversation_ids: list[int]) -> None:
    """Answers waiting for their test case's turn are written as often as streaming
    ones, so none looks left behind by a dead server (see Message.is_stale)."""
    while True:
        await asyncio.sleep(generation.HEARTBEAT_INTERVAL)
        await Message.objects.filter(
            conversation_id__in=conversation_ids, status=Message.Status.QUEUED
        ).aupdate(updated_at=timezone.now())


def stop(run: EvaluationRun) -> None:
    """Stop all: streaming answers end keeping what arrived, queued ones never start;
    the judges' too."""
    judged = Comparison.objects.filter(evaluation_judgement__row__run=run)
    for comparison in [row.comparison for row in run.rows.select_related("comparison")]:
        async_to_sync(compare_runs.stop)(comparison)
    for comparison in judged:
        async_to_sync(compare_runs.stop)(comparison)


def delete(run: EvaluationRun) -> None:
    """Stop the run and delete its answers: each row's comparison and the hidden
    conversation holding its answers (copies opened as conversations stay)."""
    stop(run)
    comparisons = Comparison.objects.filter(
        Q(evaluation_row__run=run) | Q(evaluation_judgement__row__run=run)
    )
    hidden = list(comparisons.values_list("conversation_id", flat=True))
    comparisons.delete()
    Conversation.objects.filter(pk__in=[pk for pk in hidden if pk], hidden=True).delete()
    run.delete()


def is_active(run: EvaluationRun) -> bool:
    return Message.objects.filter(
        pk__in=ComparisonRun.objects.filter(comparison__evaluation_row__run=run).values(
            "message_id"
        ),
        status__in=ACTIVE,
    ).exists()


def mark_interrupted(run: EvaluationRun) -> None:
    """Answers left streaming or queued by a server that died show what was saved (as
    compare mode's mark_interrupted, for every test case in one query)."""
    hidden = Comparison.objects.filter(evaluation_row__run=run).values("conversation_id")
    active = Message.objects.filter(conversation_id__in=hidden, status__in=ACTIVE)
    stale = [message.pk for message in active if message.is_stale]
    if stale:
        Message.objects.filter(pk__in=stale).update(
            status=Message.Status.INTERRUPTED, error=compare_runs.INTERRUPTED_TEXT
        )


def grade(
    run: EvaluationRun, provider_for: Callable[[dict[str, object]], Provider] | None = None
) -> None:
    """Grade every answer that ended since the last look, and keep its results; with
    `provider_for` (the owner's pages) also ask a judge for each model-graded check,
    and take in the verdicts of judges that answered."""
    rows = list(run.rows.select_related("comparison"))
    slots = ComparisonRun.objects.filter(comparison__in=[row.comparison for row in rows])
    ended: dict[int, list[Message]] = {}
    for slot in slots.select_related("message").exclude(message__status__in=ACTIVE):
        ended.setdefault(slot.comparison_id, []).append(slot.message)
    judged = any(check.get("kind") == "judge" for check in run.checks)
    asked: list[compare_runs.Queued] = []
    for row in rows:
        grades = dict(row.grades)
        for message in ended.get(row.comparison_id, []):
            if str(message.pk) in grades:
                continue
            grades[str(message.pk)] = grade_answer(run.checks, run.cases[row.case], message)
            if judged and provider_for is not None and message.status == Message.Status.COMPLETE:
                asked += judges.ask(run, row, message, provider_for)
        if judged:
            for (answer, index), result in judges.replies(row).items():
                kept = grades.get(str(answer))
                if kept is not None and kept[index] is None:
                    grades[str(answer)] = [*kept[:index], result, *kept[index + 1 :]]
        if grades != row.grades:
            row.grades = grades
            row.save(update_fields=["grades"])
    launch(asked)


def grade_answer(checks: list[dict], case: dict, message: Message) -> list[dict | None]:
    """The results of an ended answer, one per check (None for a judge's, not graded
    here); an answer that did not complete fails every check, saying why."""
    if message.status != Message.Status.COMPLETE:
        reason = NO_ANSWER.get(str(message.status), "There is no complete answer to check.")
        return [{"passed": False, "reason": reason} for _ in checks]
    figures = run_metrics(message)
    cell = graders.Cell(
        answer=message.content,
        reasoning=message.reasoning,
        expected=str(case.get("expected") or ""),
        reasoning_tokens=figures["reasoning_tokens"],
        total_seconds=figures["total_s"],
        finish_reason=message.finish_reason or None,
    )
    return [
        None if result is None else {"passed": result.passed, "reason": result.reason}
        for result in graders.grade_all(checks, cell)
    ]


def open_as_conversation(row: EvaluationRow, message: Message, user: User) -> Conversation:
    return compare_runs.open_as_conversation(row.comparison, message, user)
