"""A run's pages: its matrix, Stop all, one answer, opening it as a conversation, what
changed between two runs, and the downloads.

A run page polls its matrix while answers stream or wait for a judge (htmx
`every 2s`); each row's comparison page streams its answers live over compare mode's
socket.
"""

from __future__ import annotations

import csv
import io
import json

from django.conf import settings
from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from chat.evals import lookup, results, runs
from chat.models import Message
from chat.web import AuthedRequest

RUN_PAGE = "evals/run.html"


# -- a run ---------------------------------------------------------------------------------


@login_required
@require_GET
def run_page(request: AuthedRequest, pk: int, number: int) -> HttpResponse:
    evaluation = lookup.owned(request, pk)
    run = lookup.run_of(evaluation, number)
    runs.mark_interrupted(run)
    runs.grade(run, lookup.provider_for(request))
    sort = request.GET.get("sort", "case")
    sort = sort if results.is_sort(sort, len(run.columns)) else "case"
    view = results.run_view(run, sort)
    context = {
        "evaluation": evaluation,
        "view": view,
        "sort": sort,
        "cap": settings.PLAYGROUND_COMPARE_CONCURRENCY,
        "previous": evaluation.runs.filter(number__lt=run.number).order_by("-number").first(),
    }
    template = f"{RUN_PAGE}#matrix" if request.GET.get("fragment") == "matrix" else RUN_PAGE
    return render(request, template, context)


@login_required
@require_POST
def stop_run(request: AuthedRequest, pk: int, number: int) -> HttpResponse:
    run = lookup.run_of(lookup.owned(request, pk), number)
    runs.stop(run)
    flash.success(request, "Stopped: queued answers will not start.")
    return redirect("chat-eval-run", pk=pk, number=number)


@login_required
@require_GET
def cell_page(request: AuthedRequest, pk: int, number: int, message_pk: int) -> HttpResponse:
    """One answer in full: its reasoning beside it, and every check's result."""
    evaluation = lookup.owned(request, pk)
    run = lookup.run_of(evaluation, number)
    runs.grade(run, lookup.provider_for(request))
    view = results.run_view(run)
    for row in view.rows:
        for index, column in enumerate(row.cells):
            for cell in column:
                if cell.message.pk == message_pk:
                    context = {
                        "evaluation": evaluation,
                        "view": view,
                        "row": row,
                        "column": view.columns[index],
                        "cell": cell,
                    }
                    return render(request, "evals/cell.html", context)
    raise Http404("No such answer in this run.")


@login_required
@require_POST
def open_cell(request: AuthedRequest, pk: int, number: int, message_pk: int) -> HttpResponse:
    """An ordinary conversation holding this test case's prompt and this answer."""
    run = lookup.run_of(lookup.owned(request, pk), number)
    row = run.rows.filter(comparison__runs__message_id=message_pk).first()
    if row is None:
        raise Http404("No such answer in this run.")
    message = get_object_or_404(Message, pk=message_pk)
    if message.status in runs.ACTIVE:
        flash.error(request, "This answer is still streaming: open it once it ends.")
        return redirect("chat-eval-run", pk=pk, number=number)
    conversation = runs.open_as_conversation(row, message, request.user)
    return redirect("chat-conversation", pk=conversation.pk)


@login_required
@require_GET
def changes_page(request: AuthedRequest, pk: int) -> HttpResponse:
    """What changed between two runs (`?a=1&b=2`): rows that went from pass to fail and
    back, each with a word diff of the two answers."""
    evaluation = lookup.owned(request, pk)
    numbers = list(evaluation.runs.order_by("-number").values_list("number", flat=True))
    a, b = lookup.whole(request.GET.get("a"), 0), lookup.whole(request.GET.get("b"), 0)
    if not a and not b and len(numbers) >= 2:
        b, a = numbers[0], numbers[1]
    context: dict[str, object] = {"evaluation": evaluation, "numbers": numbers, "a": a, "b": b}
    if a not in numbers or b not in numbers or a == b:
        context["error"] = "Pick two different runs of this evaluation to compare."
        return render(request, "evals/changes.html", context, status=400 if a or b else 200)
    old, new = lookup.run_of(evaluation, a), lookup.run_of(evaluation, b)
    runs.grade(old, lookup.provider_for(request))
    runs.grade(new, lookup.provider_for(request))
    old_view, new_view = results.run_view(old), results.run_view(new)
    found = results.compare_runs(old_view, new_view)
    context.update(
        {
            "old": old_view,
            "new": new_view,
            "broke": [c for c in found if not c.fixed],
            "fixed": [c for c in found if c.fixed],
        }
    )
    return render(request, "evals/changes.html", context)


@login_required
@require_GET
def export_run_json(request: AuthedRequest, pk: int, number: int) -> HttpResponse:
    evaluation = lookup.owned(request, pk)
    run = lookup.run_of(evaluation, number)
    runs.grade(run)
    body = json.dumps(results.run_export(results.run_view(run)), indent=2, ensure_ascii=False)
    return lookup.download(body, "application/json", f"{lookup.slug(evaluation)}-run-{number}.json")


@login_required
@require_GET
def export_run_csv(request: AuthedRequest, pk: int, number: int) -> HttpResponse:
    evaluation = lookup.owned(request, pk)
    run = lookup.run_of(evaluation, number)
    runs.grade(run)
    out = io.StringIO()
    writer = csv.writer(out)
    for line in results.matrix_rows(results.run_view(run)):
        writer.writerow(line)
    return lookup.download(
        out.getvalue(), "text/csv; charset=utf-8", f"{lookup.slug(evaluation)}-run-{number}.csv"
    )
