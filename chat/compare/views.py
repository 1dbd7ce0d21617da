"""Compare mode's pages: the builder, a comparison's results, its list, export and sharing.

The builder (`compare/`) keeps its whole state in the form: each button posts it back and
gets the builder again (htmx swaps it in place), until Run saves the comparison, starts
it and goes to its page, where the runs stream over one websocket (ComparisonConsumer).
"""

from __future__ import annotations

import csv

from asgiref.sync import async_to_sync
from django.conf import settings
from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from chat import web
from chat.api import params
from chat.compare import builders, exports, form, grid, results, runs, turns
from chat.conversations import attachments, cards
from chat.conversations import exports as conversation_exports
from chat.limits import starts
from chat.models import (
    Comparison,
    Conversation,
    Message,
    PromptVersion,
    SavedPrompt,
)
from chat.providers import upstreams
from chat.web import AuthedRequest

BUILDER = "compare/new.html"
PAGE = "compare/comparison.html"
COMPARISONS_PER_PAGE = 50
SWEEPABLE = [
    (name, param.label)
    for name, param in params.PARAMS.items()
    if param.kind in grid.SWEEPABLE_KINDS
]


# -- the builder ---------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def new_comparison(request: AuthedRequest) -> HttpResponse:
    """Build a comparison: from a blank prompt, `?conversation=`, `?prompt=` or `?from=`."""
    if request.method == "GET":
        start = _starting_point(request)
        builder = builders.builder_from(request.user, **start)
        return _builder_page(request, builder, source=start.get("conversation"))
    # Image keys repeat (one field per image); every other field is single.
    data = {key: values if len(values) > 1 else values[-1] for key, values in request.POST.lists()}
    builder = form.read(data)
    source = _source(request, data.get("source_conversation"))
    verb, _, arg = str(data.get("action") or "refresh").partition(":")
    if verb == "run":
        return _run(request, builder, source)
    errors = _edit(builder, verb, arg)
    if verb == "estimate" and web.is_htmx(request):
        return render(request, f"{BUILDER}#estimate-update", _builder_context(request, builder))
    return _builder_page(request, builder, errors, source, status=400 if errors else 200)


def _edit(builder: form.Builder, verb: str, arg: str) -> dict[str, str]:
    """What a builder button does to the form's state; messages when it cannot."""
    index = int(arg) if arg.isdigit() else -1
    if verb == "add-column":
        if len(builder.columns) >= grid.MAX_COLUMNS:
            return {"columns": f"At most {grid.MAX_COLUMNS} columns."}
        form.add_column(builder)
    elif verb == "remove-column":
        form.remove_column(builder, index)
    elif verb == "add-message":
        form.add_message(builder)
    elif verb == "remove-message":
        form.remove_message(builder, index)
    elif verb == "sweep":
        return form.apply_sweep(builder)
    return {}


def _run(
    request: AuthedRequest, builder: form.Builder, source: Conversation | None
) -> HttpResponse:
    """Save and start the comparison, or show why not (and start nothing)."""
    errors = form.check(builder, settings.PLAYGROUND_IMAGES_PER_MESSAGE)
    if not errors and (unavailable := builders.unavailable_images(request.user, builder)):
        errors["images"] = unavailable
    limit = settings.PLAYGROUND_COMPARE_CONFIRM_REQUESTS
    pending = None if errors else form.needs_confirmation(builder, limit)
    if pending:
        errors["confirm_requests"] = (
            f"This run makes {pending} requests, more than {limit}: "
            f"tick “Run {pending} requests” to confirm."
        )
    for number, column in enumerate(builder.columns, start=1):
        _, refused = upstreams.chosen(request.user, column.values.get("provider", ""))
        if refused:
            errors[f"column-{number - 1}-provider"] = f"Column {number}: {refused}"
    if not errors and (refused := _refusal(request, builder.settings)):
        errors["limits"] = refused
    if errors:
        return _builder_page(request, builder, errors, source, status=400)
    comparison = runs.create(request.user, builder, source)
    async_to_sync(runs.start)(comparison, _provider_for(request))
    return _go(request, reverse("chat-compare", args=[comparison.pk]))


def _builder_page(
    request: AuthedRequest,
    builder: form.Builder,
    errors: dict[str, str] | None = None,
    source: Conversation | None = None,
    status: int = 200,
) -> HttpResponse:
    context = _builder_context(request, builder, errors, source)
    template = f"{BUILDER}#builder" if web.is_htmx(request) else BUILDER
    return render(request, template, context, status=status)


def _builder_context(
    request: AuthedRequest,
    builder: form.Builder,
    errors: dict[str, str] | None = None,
    source: Conversation | None = None,
) -> dict:
    errors = errors or {}
    provider = _provider(request)
    models = upstreams.models_at_once(provider)
    columns = builder.settings
    estimate = grid.estimate(columns, builder.repeats or 1)
    limit = settings.PLAYGROUND_COMPARE_CONFIRM_REQUESTS
    diffs = grid.differences(columns)
    # The Provider is not a request parameter, so grid.differences does not see it.
    options = dict(upstreams.options(request.user, web.server_address(request)))
    choices = [column.values.get("provider", "") for column in builder.columns]
    for index, choice in enumerate(choices[1:], start=1):
        if choice != choices[0]:
            diffs[index] = [("Provider", options.get(choice, choice)), *diffs[index]]
    editors = [
        {
            "index": index,
            "number": index + 1,
            "prefix": f"column-{index}-",
            "differences": diffs[index],
            "fields": cards.panel(column.settings, models, column.errors, raw=column.values),
            "provider_choice": column.values.get("provider", ""),
            "provider_error": errors.get(f"column-{index}-provider", ""),
            "open": index == 0 or bool(column.errors),
        }
        for index, column in enumerate(builder.columns)
    ]
    return {
        "builder": builder,
        "editors": editors,
        "message_rows": [
            _message_row(index, message, errors) for index, message in enumerate(builder.messages)
        ],
        "attached": [{"key": key} for key in builder.attached],
        "image_limits": attachments.limits(),
        "sweep_rows": [
            {**row, "error": errors.get(f"sweep-{number}-values", "")}
            for number, row in zip(form.SWEEP_ROWS, builder.sweep, strict=True)
        ],
        "errors": errors,
        "error_list": list(dict.fromkeys(errors.values())),
        "source": source,
        "provider": provider,
        "provider_options": list(options.items()),
        "sweepable": SWEEPABLE,
        "max_columns": grid.MAX_COLUMNS,
        "max_repeats": grid.MAX_REPEATS,
        "estimate": estimate,
        "unbounded": [i + 1 for i in estimate.unbounded_columns],
        "confirm_limit": limit,
        "needs_confirm": estimate.requests > limit,
    }


def _message_row(index: int, message: dict, errors: dict[str, str]) -> dict:
    """A prompt message as the builder shows it: its text to edit, its images and tool
    turn read-only (carried in hidden fields)."""
    return {
        **message,
        "index": index,
        "error": errors.get(f"message-{index}-content", ""),
        "images": [{"key": key} for key in message.get("images") or []],
        "hidden": turns.hidden_fields(message),
        "turn": turns.is_turn(message),
    }


def _starting_point(request: AuthedRequest) -> dict:
    user = request.user
    if "conversation" in request.GET:
        pk = _pk(request.GET["conversation"])
        owned = Conversation.objects.owned_by(user).filter(hidden=False)
        return {"conversation": get_object_or_404(owned, pk=pk)}
    if "prompt" in request.GET:
        prompt = get_object_or_404(SavedPrompt, owner_id=user.pk, pk=_pk(request.GET["prompt"]))
        version = PromptVersion.objects.filter(prompt=prompt).order_by("-number").first()
        if version is None:
            raise Http404("This prompt has no version yet.")
        return {"version": version}
    if "from" in request.GET:
        pk = _pk(request.GET["from"])
        return {"comparison": get_object_or_404(Comparison.objects.owned_by(user), pk=pk)}
    return {}


def _source(request: AuthedRequest, raw: object) -> Conversation | None:
    pk = _pk(raw, missing=None)
    if pk is None:
        return None
    owned = Conversation.objects.owned_by(request.user).filter(hidden=False)
    return owned.filter(pk=pk).first()


# -- a comparison ----------------------------------------------------------------------------


@login_required
@require_GET
def comparison_page(request: HttpRequest, pk: int) -> HttpResponse:
    comparison = _owned(request, pk)
    runs.mark_interrupted(comparison)
    view = results.results(comparison)
    context = {
        **results.page_context(comparison, view),
        "provider": _provider(request),
        **_diff_form(view),
    }
    return render(request, PAGE, context)


@login_required
@require_GET
def comparison_list(request: HttpRequest) -> HttpResponse:
    rows = Comparison.objects.owned_by(request.user).listed().order_by("-created_at", "-id")
    page = Paginator(rows, COMPARISONS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "compare/list.html", {"page": page})


@login_required
@require_POST
def rename_comparison(request: HttpRequest, pk: int) -> HttpResponse:
    """Save the comparison under a title (it is kept either way)."""
    comparison = _owned(request, pk)
    comparison.title = " ".join(request.POST.get("title", "").split())[:200]
    comparison.save(update_fields=["title", "updated_at"])
    if web.is_htmx(request):
        return render(request, f"{PAGE}#title", {"comparison": comparison, "saved": True})
    flash.success(request, "Saved.")
    return redirect("chat-compare", pk=pk)


@login_required
@require_POST
def stop_comparison(request: HttpRequest, pk: int) -> HttpResponse:
    """Stop all, or one column (`action=stop:<index>`): the page's socket does the same."""
    comparison = _owned(request, pk)
    _, _, column = request.POST.get("action", "stop").partition(":")
    async_to_sync(runs.stop)(comparison, int(column) if column.isdigit() else None)
    return redirect("chat-compare", pk=pk)


@login_required
@require_POST
def run_again(request: AuthedRequest, pk: int) -> HttpResponse:
    """A new comparison with the same prompt and settings, started at once."""
    original = _owned(request, pk)
    if refused := _refusal(request, original.columns):
        flash.error(request, refused)
        return _go(request, reverse("chat-compare", args=[original.pk]))
    comparison = runs.copy(original)
    async_to_sync(runs.start)(comparison, _provider_for(request))
    return _go(request, reverse("chat-compare", args=[comparison.pk]))


@login_required
@require_GET
def diff_runs(request: HttpRequest, pk: int) -> HttpResponse:
    """A word diff of two runs' answers and of their reasoning (`?a=1-1-1&b=2-1-1`)."""
    comparison = _owned(request, pk)
    view = results.results(comparison)
    a = results.find_run(view, request.GET.get("a", ""))
    b = results.find_run(view, request.GET.get("b", ""))
    context: dict[str, object] = {"comparison": comparison, **_diff_form(view)}
    status = 200
    if a is None or b is None:
        context["diff_error"] = "Pick two runs of this comparison to compare."
        status = 400
    else:
        keys = {"a_key": request.GET["a"], "b_key": request.GET["b"]}
        context["diff"] = {**results.diff(comparison, view, a, b), **keys}
    template = "compare/diff.html#diff" if web.is_htmx(request) else "compare/diff.html"
    return render(request, template, context, status=status)


def _diff_form(view: results.Results) -> dict[str, object]:
    """The diff form's runs, grouped by column, and the two it picks before anyone does."""
    keys = [key for key, _ in results.run_options(view)]
    return {
        "run_groups": results.run_option_groups(view),
        "default_a": keys[0] if keys else "",
        "default_b": keys[1] if len(keys) > 1 else "",
    }


@login_required
@require_http_methods(["GET", "POST"])
def open_run(request: AuthedRequest, pk: int, message_pk: int) -> HttpResponse:
    """Open one run as an ordinary conversation (a copy): confirm, then copy."""
    comparison = _owned(request, pk)
    if comparison.conversation_id is None:
        raise Http404("This comparison has no runs.")
    message = get_object_or_404(
        Message.objects.filter(conversation_id=comparison.conversation_id)
        .exclude(status__in=runs.ACTIVE)
        .filter(role=Message.Role.ASSISTANT),
        pk=message_pk,
    )
    if request.method == "GET":
        context = {"comparison": comparison, "message": message}
        return render(request, "compare/open_confirm.html", context)
    conversation = runs.open_as_conversation(comparison, message, request.user)
    flash.success(request, "This is a copy of the run as a conversation: carry on here.")
    return redirect("chat-conversation", pk=conversation.pk)


@login_required
@require_GET
def export_json(request: HttpRequest, pk: int) -> HttpResponse:
    comparison = _owned(request, pk)
    response = HttpResponse(
        conversation_exports.dumps(exports.export_data(comparison)),
        content_type="application/json",
    )
    response["Content-Disposition"] = f'attachment; filename="comparison-{pk}.json"'
    return response


@login_required
@require_GET
def export_markdown(request: HttpRequest, pk: int) -> HttpResponse:
    comparison = _owned(request, pk)
    response = HttpResponse(
        exports.markdown(comparison), content_type="text/markdown; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="comparison-{pk}.md"'
    return response


@login_required
@require_GET
def export_csv(request: HttpRequest, pk: int) -> HttpResponse:
    comparison = _owned(request, pk)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="comparison-{pk}.csv"'
    csv.writer(response).writerows(exports.csv_rows(comparison))
    return response


@login_required
@require_GET
def websocket_only(request: HttpRequest, pk: int) -> HttpResponse:
    _owned(request, pk)
    return HttpResponse("This address takes a websocket connection.", status=426)


# -- helpers -----------------------------------------------------------------------------------


def _owned(request: HttpRequest, pk: int) -> Comparison:
    return get_object_or_404(Comparison.objects.owned_by(request.user), pk=pk)


def _provider(request: HttpRequest) -> upstreams.Provider:
    """The server's upstream: what a column without a Provider choice talks to."""
    return upstreams.configured(web.server_address(request))


def _provider_for(request: AuthedRequest):
    """Each column's upstream, from its Provider select (checked to be the person's)."""
    server = web.server_address(request)
    return lambda column: upstreams.for_choice(
        request.user, str(column.get("provider") or ""), server
    )


def _refusal(request: AuthedRequest, columns: list[dict]) -> str | None:
    """The person's limits (chat/limits/): a comparison's run counts as one start, and
    spends the server's key unless every column is one of their own providers."""
    provider_for = _provider_for(request)
    server_key = any(not provider_for(column).is_personal for column in columns)
    return starts.refusal(request.user.pk, spends_server_key=server_key)


def _go(request: HttpRequest, url: str) -> HttpResponse:
    """A redirect; for htmx, one it follows with a full page load."""
    if web.is_htmx(request):
        return HttpResponse(headers={"HX-Redirect": url})
    return redirect(url)


def _pk(raw: object, missing: object = Http404) -> int | None:
    text = str(raw or "").strip()
    if text.isdigit() and 0 < int(text) < 2**53:
        return int(text)
    if missing is Http404:
        raise Http404("No such item.")
    return None
