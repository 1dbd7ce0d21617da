"""Model-graded checks: the judge's request for one answer, and its verdict.

Each judgement is a one-column comparison of its own (hidden from the comparisons
list): the rubric and the answer sent to the check's provider and model through
compare mode's queue and cap, so it streams, stops and shows its code ("view code" of
its column) like any run. Its answer is read as PASS or FAIL with a reason
(verdicts.parse_verdict) into the graded answer's results.
"""

from __future__ import annotations

from collections.abc import Callable

from chat.api import params
from chat.compare import runs as compare_runs
from chat.evals import graders, verdicts
from chat.models import (
    Comparison,
    ComparisonRun,
    EvaluationJudgement,
    EvaluationRow,
    EvaluationRun,
    Message,
)
from chat.providers.upstreams import Provider

FAILED = "The judge's request did not complete ({status}), so there is no verdict."


def judge_settings(check: dict) -> dict[str, object]:
    """The judge's column: the API defaults, its model, its provider choice."""
    settings, _ = params.parse_form({**params.form_values({}), "model": str(check["model"])})
    return {**settings, "provider": str(check.get("provider") or "")}


def ask(
    run: EvaluationRun,
    row: EvaluationRow,
    message: Message,
    provider_for: Callable[[dict[str, object]], Provider],
) -> list[compare_runs.Queued]:
    """A judge's request, queued, for every model-graded check of an ended answer (once
    each); the caller starts them (chat.evals.runs.launch)."""
    queued = []
    case = run.cases[row.case]
    cell = graders.Cell(answer=message.content, expected=str(case.get("expected") or ""))
    for index, check in enumerate(run.checks):
        if check.get("kind") != "judge":
            continue
        if EvaluationJudgement.objects.filter(answer=message, check_index=index).exists():
            continue
        system, user = verdicts.judge_messages(str(check["rubric"]), cell)
        comparison = Comparison.objects.create(
            owner_id=run.evaluation.owner_id,
            title=f"Judge · {run.evaluation.display_title} · run {run.number}"[:200],
            system_prompt=system["content"],
            messages=[user],
            columns=[judge_settings(check)],
            repeats=1,
        )
        EvaluationJudgement.objects.create(
            row=row, answer=message, check_index=index, comparison=comparison
        )
        queued.append(compare_runs.queue(comparison, provider_for))
    return queued


def replies(row: EvaluationRow) -> dict[tuple[int, int], dict[str, object]]:
    """(answer id, check index) -> the result of each judgement of the row that ended."""
    found = {}
    judgements = list(EvaluationJudgement.objects.filter(row=row))
    slots = ComparisonRun.objects.filter(
        comparison_id__in=[j.comparison_id for j in judgements], choice=0
    ).select_related("message")
    answers = {slot.comparison_id: slot.message for slot in slots}
    for judgement in judgements:
        reply = answers.get(judgement.comparison_id)
        if reply is None or reply.status in compare_runs.ACTIVE:
            continue
        if reply.status == Message.Status.COMPLETE:
            result = verdicts.parse_verdict(reply.content)
            outcome = {"passed": result.passed, "reason": result.reason}
        else:
            outcome = {"passed": False, "reason": FAILED.format(status=reply.status)}
        found[(judgement.answer_id, judgement.check_index)] = {
            **outcome,
            "judge": judgement.comparison_id,
        }
    return found
