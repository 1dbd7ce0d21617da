"""Share links of evaluations: a read-only page of its runs (the matrix of one run, the
pass rate of every run) as they are when the page is opened; nothing of the owner's."""

from __future__ import annotations

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from chat import web
from chat.evals import results, runs
from chat.models import Evaluation, EvaluationShareLink
from chat.sharing import links
from chat.web import AuthedRequest


@login_required
@require_http_methods(["GET", "POST"])
def share_evaluation(request: AuthedRequest, pk: int) -> HttpResponse:
    evaluation = get_object_or_404(Evaluation.objects.owned_by(request.user), pk=pk)
    if request.method == "POST":
        limits, problem = links.read_limits(request)
        if problem:
            flash.error(request, problem)
            return redirect("chat-eval-share", pk=pk)
        EvaluationShareLink.objects.create(
            owner=request.user,
            evaluation=evaluation,
            include_reasoning=bool(request.POST.get("include_reasoning")),
            **links.limits_fields(limits, timezone.now()),
        )
        flash.success(request, "Share link created: copy it from the list below.")
        return redirect("chat-eval-share", pk=pk)
    mine = EvaluationShareLink.objects.owned_by(request.user).filter(evaluation=evaluation)
    context = {
        "evaluation": evaluation,
        "links": web.with_absolute_urls(request, mine.order_by("-created_at", "-id")),
        "revoked": links.just_revoked(request, EvaluationShareLink.objects.all()),
    }
    return render(request, "evals/share.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def revoke_share(request: AuthedRequest, token: str) -> HttpResponse:
    return links.revoke(request, EvaluationShareLink.objects.all(), token, _back)


@login_required
@require_POST
def restore_share(request: AuthedRequest, token: str) -> HttpResponse:
    return links.restore(request, EvaluationShareLink.objects.all(), token, _back)


@login_required
@require_POST
def share_limits(request: AuthedRequest, token: str) -> HttpResponse:
    return links.change_limits(request, EvaluationShareLink.objects.all(), token, _back)


def _back(link: EvaluationShareLink) -> str:
    return reverse("chat-eval-share", args=[link.evaluation_id])


@web.public_page
@require_GET
def shared_evaluation(request: HttpRequest, token: str) -> HttpResponse:
    """The public page of an open link, counted as a view: the runs' pass rates and
    one run's matrix (`?run=N`, the latest by default), read-only."""
    link = links.view_or_404(EvaluationShareLink.objects.select_related("evaluation"), token)
    evaluation = link.evaluation
    for each in evaluation.runs.all():
        runs.grade(each)
    all_runs = list(evaluation.runs.order_by("number").prefetch_related("rows"))
    chosen = next((r for r in all_runs if str(r.number) == request.GET.get("run")), None)
    run = chosen or (all_runs[-1] if all_runs else None)
    view = results.run_view(run) if run is not None else None
    context = {
        "evaluation": evaluation,
        "link": link,
        "view": view,
        "history": list(reversed(results.history(all_runs))),
        "include_reasoning": link.include_reasoning,
    }
    return render(request, "evals/shared.html", context)
