"""Blind A/B pages: a new trial (two settings and a prompt, or two columns of a
comparison), the trial with its answers as "A" and "B", the vote and what it reveals,
and the tally of the person's pairs.

Nothing on a trial's page before the vote says which settings answered which side:
no model, no parameters, no meta line, no link to the comparison behind it.
"""

from __future__ import annotations

from collections.abc import Callable

from asgiref.sync import async_to_sync
from django.conf import settings
from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from chat import web
from chat.blind import trials
from chat.compare import builders, form, runs
from chat.conversations import cards
from chat.limits import starts
from chat.models import BlindTrial, Comparison
from chat.providers import upstreams
from chat.web import AuthedRequest

NEW = "blind/new.html"
TRIAL = trials.PAGE
VOTES = {"a", "b", "tie", "skip"}


@login_required
@require_GET
def blind_tally(request: AuthedRequest) -> HttpResponse:
    """The person's pairs: votes, wins, ties, and the win rate with its 95% interval."""
    return render(request, "blind/tally.html", {"pairs": trials.pair_tallies(request.user)})


@login_required
@require_http_methods(["GET", "POST"])
def new_blind(request: AuthedRequest) -> HttpResponse:
    """Two settings (the compare builder's column fields) and a prompt, then Start."""
    if request.method == "GET":
        builder = builders.builder_from(request.user)
        # Both start as the latest settings: the person changes what they want to test.
        latest = builder.columns[0]
        builder.columns = [form.Column(dict(latest.settings), dict(latest.values)) for _ in "AB"]
        return _new_page(request, builder)
    data = {key: values[-1] for key, values in request.POST.lists()}
    data["message-0-role"] = "user"  # one prompt, always the person's
    builder = form.read(data)
    errors = form.check(builder, settings.PLAYGROUND_IMAGES_PER_MESSAGE)
    if len(builder.columns) != 2:
        errors["columns"] = "A blind test compares exactly two settings."
    errors.update(_start_problems(request, builder))
    if errors:
        return _new_page(request, builder, errors, status=400)
    return _start(request, builder)


@login_required
@require_POST
def blind_from_comparison(request: AuthedRequest, pk: int) -> HttpResponse:
    """Two columns of a comparison (`first`, `second`: their numbers) on its prompt."""
    comparison = get_object_or_404(Comparison.objects.owned_by(request.user), pk=pk)
    count = len(comparison.columns)
    first, second = (
        _column(request.POST.get("first"), count),
        _column(request.POST.get("second"), count),
    )
    if first is None or second is None or first == second:
        flash.error(request, "Pick two different columns for a blind A/B test.")
        return redirect("chat-compare", pk=pk)
    builder = trials.builder_for(comparison, first, second)
    if problems := _start_problems(request, builder):
        flash.error(request, " ".join(dict.fromkeys(problems.values())))
        return redirect("chat-compare", pk=pk)
    return _start(request, builder)


@login_required
@require_POST
def blind_again(request: AuthedRequest, pk: int) -> HttpResponse:
    """Another round on the same two settings and prompt, A drawn afresh."""
    trial = _owned(request, pk)
    builder = trials.builder_again(trial)
    if problems := _start_problems(request, builder):
        flash.error(request, " ".join(dict.fromkeys(problems.values())))
        return redirect("chat-blind", pk=pk)
    return _start(request, builder)


@login_required
@require_GET
def trial_page(request: HttpRequest, pk: int) -> HttpResponse:
    trial = _owned(request, pk)
    runs.mark_interrupted(trial.comparison)
    return render(request, TRIAL, trials.page_context(trial))


@login_required
@require_POST
def vote(request: HttpRequest, pk: int) -> HttpResponse:
    """Vote once, when both answers are done; then the page says which was which."""
    trial = _owned(request, pk)
    choice = request.POST.get("vote", "")
    shown = trials.view(trial)
    if trial.voted:
        flash.error(request, "This blind test was voted on already: a vote is final.")
        return redirect("chat-blind", pk=pk)
    if choice not in VOTES or choice not in dict(shown.votes):
        message = "Wait for both answers to finish, then vote."
        if shown.finished:
            message = "With an answer that failed, the vote is a tie or a skip."
        context = {**trials.page_context(trial), "vote_error": message}
        return render(request, TRIAL, context, status=400)
    if not trials.cast(trial, choice):
        flash.error(request, "This blind test was voted on already: a vote is final.")
    return redirect("chat-blind", pk=pk)


@login_required
@require_POST
def stop_trial(request: HttpRequest, pk: int) -> HttpResponse:
    """Stop both answers: what arrived is kept; the round is then a tie or a skip."""
    trial = _owned(request, pk)
    if not trial.voted:
        async_to_sync(runs.stop)(trial.comparison)
    return redirect("chat-blind", pk=pk)


@login_required
@require_GET
def websocket_only(request: HttpRequest, pk: int) -> HttpResponse:
    _owned(request, pk)
    return HttpResponse("This address takes a websocket connection.", status=426)


# -- helpers ---------------------------------------------------------------------------------


def _new_page(
    request: AuthedRequest,
    builder: form.Builder,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> HttpResponse:
    errors = errors or {}
    server = upstreams.configured(web.server_address(request))
    models = upstreams.models_at_once(server)
    editors = [
        {
            "index": index,
            "number": index + 1,
            "prefix": f"column-{index}-",
            "fields": cards.panel(column.settings, models, column.errors, raw=column.values),
            "provider_choice": column.values.get("provider", ""),
            "provider_error": errors.get(f"column-{index}-provider", ""),
        }
        for index, column in enumerate(builder.columns)
    ]
    message = builder.messages[-1] if builder.messages else {"content": ""}
    context = {
        "builder": builder,
        "message": message,
        "editors": editors,
        "errors": errors,
        "error_list": list(dict.fromkeys(errors.values())),
        "provider_options": upstreams.options(request.user, web.server_address(request)),
    }
    return render(request, NEW, context, status=status)


def _start_problems(request: AuthedRequest, builder: form.Builder) -> dict[str, str]:
    """What stops a trial from starting: a provider not the person's, their limits."""
    problems: dict[str, str] = {}
    for number, column in enumerate(builder.columns, start=1):
        choice = str(column.settings.get("provider") or "")
        _, refused = upstreams.chosen(request.user, choice)
        if refused:
            problems[f"column-{number - 1}-provider"] = f"Setting {number}: {refused}"
    if not problems and (unavailable := builders.unavailable_images(request.user, builder)):
        problems["images"] = unavailable
    if not problems:
        provider_for = _provider_for(request)
        server_key = any(not provider_for(c).is_personal for c in builder.settings)
        if refused := starts.refusal(request.user.pk, spends_server_key=server_key):
            problems["limits"] = refused
    return problems


def _start(request: AuthedRequest, builder: form.Builder) -> HttpResponse:
    trial = trials.create(request.user, builder)
    async_to_sync(runs.start)(trial.comparison, _provider_for(request))
    return redirect("chat-blind", pk=trial.pk)


def _provider_for(request: AuthedRequest) -> Callable[[dict[str, object]], upstreams.Provider]:
    """Each setting's upstream, from its Provider select (checked to be the person's)."""
    server = web.server_address(request)
    return lambda column: upstreams.for_choice(
        request.user, str(column.get("provider") or ""), server
    )


def _column(raw: object, count: int) -> int | None:
    """A column number as the form sends it (from 1), as an index, or None."""
    text = str(raw or "").strip()
    if text.isdigit() and 1 <= int(text) <= count:
        return int(text) - 1
    return None


def _owned(request: HttpRequest, pk: int) -> BlindTrial:
    owned = BlindTrial.objects.owned_by(request.user).select_related("comparison")
    return get_object_or_404(owned, pk=pk)
