"""Evaluations' pages: the list, and one evaluation (its prompt, test cases, checks and
settings, each section saved on its own), running, renaming and deleting it. A run's
pages are run_views.py."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from chat import web
from chat.api import params
from chat.compare import grid
from chat.evals import cases as case_files
from chat.evals import graders, lookup, matrix, plan, results, runs
from chat.limits import starts
from chat.models import Evaluation, PromptVersion, SavedPrompt
from chat.pricing import cost, prices
from chat.providers import upstreams
from chat.web import AuthedRequest

PAGE = "evals/evaluation.html"
# The base settings the page edits; the others come from the saved prompt, or a sweep of
# one value sets them.
BASE_FIELDS = ("model", "temperature", "max_tokens", params.EXTRA)
RUN_PAGE = "evals/run.html"
MAX_UPLOAD_BYTES = 2 * 1024 * 1024
SWEEPABLE = [
    (name, param.label)
    for name, param in params.PARAMS.items()
    if param.kind in grid.SWEEPABLE_KINDS
]


# -- the list and a new evaluation ---------------------------------------------------------


@login_required
@require_GET
def evaluation_list(request: AuthedRequest) -> HttpResponse:
    evaluations = Evaluation.objects.owned_by(request.user).select_related("prompt")
    rows = []
    for evaluation in evaluations[:200]:
        last = evaluation.runs.order_by("-number").first()
        rate = results.history([last])[0][1] if last else None
        rows.append((evaluation, last, rate))
    prompts = SavedPrompt.objects.filter(owner=request.user).order_by("name")
    return render(request, "evals/list.html", {"rows": rows, "prompts": prompts})


@login_required
@require_POST
def new_evaluation(request: AuthedRequest) -> HttpResponse:
    """A new evaluation of a saved prompt (its latest settings as the base) or of a
    plain prompt written on its page."""
    title = " ".join(request.POST.get("title", "").split())[:200]
    prompt = None
    choice = request.POST.get("prompt", "").strip()
    if choice:
        prompt = SavedPrompt.objects.filter(owner=request.user, pk=lookup.pk_of(choice)).first()
        if prompt is None:
            raise Http404("No such saved prompt.")
    version = prompt.versions.order_by("-number").first() if prompt else None
    base = dict(version.settings) if version else params.default_settings()
    evaluation = Evaluation.objects.create(
        owner=request.user,
        title=title or (f"Evaluation of {prompt.name}"[:200] if prompt else ""),
        prompt=prompt,
        messages=[{"role": "user", "content": ""}],
        base_settings={k: v for k, v in base.items() if k in params.PARAMS},
        sweep=[{"name": "", "values": ""} for _ in plan.SWEEP_ROWS],
    )
    return redirect("chat-eval", pk=evaluation.pk)


# -- one evaluation ------------------------------------------------------------------------


@login_required
@require_GET
def evaluation_page(request: AuthedRequest, pk: int) -> HttpResponse:
    evaluation = lookup.owned(request, pk)
    return render(request, PAGE, _page_context(request, evaluation))


def _page_context(
    request: AuthedRequest, evaluation: Evaluation, errors: dict[str, str] | None = None, **extra
) -> dict[str, object]:
    version, system_prompt, messages = runs.current_prompt(evaluation)
    names = plan.prompt_variables(system_prompt, messages)
    columns, column_errors = plan.columns(evaluation.base_settings, evaluation.sweep)
    estimate = plan.estimate(len(evaluation.cases), columns, evaluation.repeats)
    for run in evaluation.runs.all():
        runs.grade(run, lookup.provider_for(request))  # answers that ended since anyone looked
    all_runs = list(evaluation.runs.order_by("number").prefetch_related("rows"))
    history = results.history(all_runs)
    points = matrix.chart_points([(run.number, rate.percent) for run, rate in history])
    user_message = next((m for m in reversed(messages) if m.get("role") == "user"), {})
    sweep = list(evaluation.sweep) + [{"name": "", "values": ""}] * len(plan.SWEEP_ROWS)
    return {
        "evaluation": evaluation,
        "version": version,
        "system_prompt": system_prompt,
        "user_message": user_message.get("content") or "",
        "variables": names,
        "cases": evaluation.cases,
        "case_rows": [
            (i, [(name, (case.get("values") or {}).get(name, "")) for name in names], case)
            for i, case in enumerate(evaluation.cases)
        ],
        "checks": [(graders.label(check), check) for check in evaluation.checks],
        "kinds": [(kind, graders.KIND_LABELS[kind]) for kind in graders.KINDS],
        "provider_options": upstreams.options(request.user, web.server_address(request)),
        "columns": grid.column_labels(columns) if columns else [],
        "column_errors": column_errors,
        "sweep": sweep[: len(plan.SWEEP_ROWS)],
        "sweepable": SWEEPABLE,
        "base": params.form_values(evaluation.base_settings),
        "also_sent": [
            (params.PARAMS[name].label, params.form_values(evaluation.base_settings)[name])
            for name in params.changed_settings(evaluation.base_settings)
            if name in params.PARAMS and name not in BASE_FIELDS
        ],
        "estimate": estimate,
        "cost_estimate": _cost_estimate(evaluation, system_prompt, messages, columns),
        "confirm_limit": settings.PLAYGROUND_COMPARE_CONFIRM_REQUESTS,
        "history": list(reversed(history)),
        "points": points,
        "polyline": " ".join(f"{p.x},{p.y}" for p in points),
        "chart": {"w": matrix.CHART_WIDTH, "h": matrix.CHART_HEIGHT, "pad": matrix.CHART_PAD},
        "errors": errors or {},
        "problems": runs.problems(evaluation),
        **extra,
    }


def _section_error(
    request: AuthedRequest, evaluation: Evaluation, errors: dict[str, str], **extra
) -> HttpResponse:
    return render(request, PAGE, _page_context(request, evaluation, errors, **extra), status=400)


@login_required
@require_POST
def save_prompt(request: AuthedRequest, pk: int) -> HttpResponse:
    """The system prompt and user message: the evaluation's own, or for a saved prompt
    a new version of it (its other messages and settings kept), which the next run
    takes."""
    evaluation = lookup.owned(request, pk)
    system_prompt = request.POST.get("system_prompt", "")
    user_message = request.POST.get("user_message", "")
    if evaluation.prompt is None:
        evaluation.system_prompt = system_prompt
        evaluation.messages = [{"role": "user", "content": user_message}]
        evaluation.save(update_fields=["system_prompt", "messages", "updated_at"])
        flash.success(request, "Prompt saved.")
        return redirect(reverse("chat-eval", args=[pk]) + "#prompt")
    latest = evaluation.prompt.versions.order_by("-number").first()
    messages = [dict(m) for m in (latest.messages if latest else [])] or [
        {"role": "user", "content": ""}
    ]
    users = [i for i, m in enumerate(messages) if m.get("role") == "user"]
    if not users:
        messages.append({"role": "user", "content": ""})
        users = [len(messages) - 1]
    messages[users[-1]]["content"] = user_message
    if latest and latest.system_prompt == system_prompt and latest.messages == messages:
        flash.success(request, "Nothing changed: the prompt stays at its version.")
        return redirect(reverse("chat-eval", args=[pk]) + "#prompt")
    version = PromptVersion.objects.create(
        prompt=evaluation.prompt,
        number=(latest.number if latest else 0) + 1,
        note=f"Edited in the evaluation “{evaluation.display_title}”"[:300],
        system_prompt=system_prompt,
        messages=messages,
        settings=latest.settings if latest else {},
    )
    evaluation.prompt.save(update_fields=["updated_at"])
    flash.success(request, f"Saved as version {version.number} of {evaluation.prompt.name}.")
    return redirect(reverse("chat-eval", args=[pk]) + "#prompt")


@login_required
@require_POST
def save_cases(request: AuthedRequest, pk: int) -> HttpResponse:
    """The edited grid: every row's values, expected output and note; rows ticked
    "Remove" go, and "Add a row" adds an empty one."""
    evaluation = lookup.owned(request, pk)
    names = lookup.variables(evaluation)
    count = min(lookup.whole(request.POST.get("rows"), 0), case_files.MAX_CASES + 1)
    rows = []
    for index in range(count):
        if request.POST.get(f"case-{index}-remove"):
            continue
        row = {name: request.POST.get(f"case-{index}-{name}", "") for name in names}
        row[case_files.EXPECTED] = request.POST.get(f"case-{index}-expected", "")
        row[case_files.NOTE] = request.POST.get(f"case-{index}-note", "")
        rows.append(row)
    found, errors = case_files.from_rows(rows, names)
    if errors:
        return _section_error(request, evaluation, {"cases": " ".join(errors)})
    # Rows left blank are dropped on save (from_rows); "Add a row" adds one to fill in.
    if request.POST.get("action") == "add":
        found.append(case_files.Case(values={name: "" for name in names}))
    evaluation.cases = [case_files.case_to_dict(case) for case in found]
    evaluation.save(update_fields=["cases", "updated_at"])
    flash.success(request, f"{len(found)} test case{'s' if len(found) != 1 else ''} saved.")
    return redirect(reverse("chat-eval", args=[pk]) + "#cases")


@login_required
@require_POST
def import_cases(request: AuthedRequest, pk: int) -> HttpResponse:
    """Test cases from a CSV or JSONL file, or pasted from a spreadsheet: they replace
    the current ones, or are added after them; a bad file changes nothing."""
    evaluation = lookup.owned(request, pk)
    names = lookup.variables(evaluation)
    upload = request.FILES.get("file")
    pasted = request.POST.get("pasted", "")
    if upload is not None:
        if upload.size is not None and upload.size > MAX_UPLOAD_BYTES:
            limit = MAX_UPLOAD_BYTES // (1024 * 1024)
            return _section_error(request, evaluation, {"import": f"The file is over {limit} MB."})
        found, errors = case_files.parse_upload(upload.name or "", upload.read(), names)
    elif pasted.strip():
        found, errors = case_files.parse_pasted(pasted, names)
    else:
        errors = ["Choose a CSV or JSONL file, or paste rows from a spreadsheet."]
        found = []
    kept = [] if request.POST.get("mode") != "append" else evaluation.cases
    if not errors and len(kept) + len(found) > case_files.MAX_CASES:
        errors = [
            f"That makes {len(kept) + len(found)} test cases; an evaluation takes at most "
            f"{case_files.MAX_CASES}."
        ]
    if errors:
        return _section_error(request, evaluation, {"import": " ".join(errors)}, pasted=pasted)
    evaluation.cases = [*kept, *(case_files.case_to_dict(case) for case in found)]
    evaluation.save(update_fields=["cases", "updated_at"])
    flash.success(request, f"Imported {len(found)} test case{'s' if len(found) != 1 else ''}.")
    return redirect(reverse("chat-eval", args=[pk]) + "#cases")


@login_required
@require_GET
def export_cases(request: AuthedRequest, pk: int, kind: str) -> HttpResponse:
    evaluation = lookup.owned(request, pk)
    if kind not in ("csv", "jsonl"):
        raise Http404("Test cases download as .csv or .jsonl.")
    names = lookup.variables(evaluation)
    found = [case_files.case_from_dict(case) for case in evaluation.cases]
    if kind == "csv":
        body, content_type = case_files.to_csv(found, names), "text/csv; charset=utf-8"
    else:
        body, content_type = case_files.to_jsonl(found, names), "application/x-ndjson"
    return lookup.download(body, content_type, f"{lookup.slug(evaluation)}-cases.{kind}")


@login_required
@require_POST
def add_check(request: AuthedRequest, pk: int) -> HttpResponse:
    evaluation = lookup.owned(request, pk)
    fields = {key: str(value) for key, value in request.POST.items()}
    check, error = graders.parse_check(fields)
    if check is not None and check.get("kind") == "judge":
        _, refused = upstreams.chosen(request.user, str(check.get("provider") or ""))
        error = error or refused
    if error or check is None:
        return _section_error(request, evaluation, {"checks": error or ""}, check_form=fields)
    evaluation.checks = [*evaluation.checks, check]
    evaluation.save(update_fields=["checks", "updated_at"])
    flash.success(request, f"Check added: {graders.label(check)}.")
    return redirect(reverse("chat-eval", args=[pk]) + "#checks")


@login_required
@require_POST
def remove_check(request: AuthedRequest, pk: int, index: int) -> HttpResponse:
    evaluation = lookup.owned(request, pk)
    if not 0 <= index < len(evaluation.checks):
        raise Http404("No such check.")
    evaluation.checks = [c for i, c in enumerate(evaluation.checks) if i != index]
    evaluation.save(update_fields=["checks", "updated_at"])
    return redirect(reverse("chat-eval", args=[pk]) + "#checks")


@login_required
@require_POST
def save_settings(request: AuthedRequest, pk: int) -> HttpResponse:
    """The base model, temperature, max tokens and extra request fields, the sweep (up
    to two parameters, values by commas) and the repeats; the columns they make are
    shown before any run."""
    evaluation = lookup.owned(request, pk)
    form = {**params.form_values(evaluation.base_settings)}
    for name in BASE_FIELDS:
        if name in request.POST:
            form[name] = request.POST.get(name, "")
    base, base_errors = params.parse_form(form)
    sweep = [
        {
            "name": request.POST.get(f"sweep-{i}-name", "").strip(),
            "values": request.POST.get(f"sweep-{i}-values", "").strip(),
        }
        for i in plan.SWEEP_ROWS
    ]
    repeats, repeats_error = plan.repeats_error(request.POST.get("repeats", "1"))
    errors = {f"base-{k}": v for k, v in base_errors.items()}
    if not base_errors:
        _, column_errors = plan.columns(base, sweep)
        errors.update({f"sweep-{k}": v for k, v in column_errors.items()})
    if repeats_error:
        errors["repeats"] = repeats_error
    if errors:
        return _section_error(request, evaluation, {"settings": " ".join(errors.values())})
    evaluation.base_settings = base
    evaluation.sweep = sweep
    evaluation.repeats = repeats
    evaluation.save(update_fields=["base_settings", "sweep", "repeats", "updated_at"])
    flash.success(request, "Settings saved.")
    return redirect(reverse("chat-eval", args=[pk]) + "#settings")


@login_required
@require_POST
def run_evaluation(request: AuthedRequest, pk: int) -> HttpResponse:
    """Start a run, or say why not (and start nothing)."""
    evaluation = lookup.owned(request, pk)
    errors = runs.problems(evaluation)
    columns, _ = plan.columns(evaluation.base_settings, evaluation.sweep)
    estimate = plan.estimate(len(evaluation.cases), columns, evaluation.repeats)
    limit = settings.PLAYGROUND_COMPARE_CONFIRM_REQUESTS
    if not errors and estimate.requests > plan.MAX_REQUESTS:
        errors["run"] = (
            f"This run would make {estimate.requests} requests; a run makes at most "
            f"{plan.MAX_REQUESTS}. Use fewer test cases, columns or repeats."
        )
    confirmed = lookup.whole(request.POST.get("confirm"), 0) == estimate.requests
    if not errors and estimate.requests > limit and not confirmed:
        errors["run"] = (
            f"This run makes {estimate.requests} requests, more than {limit}: "
            f"tick “Run {estimate.requests} requests” to confirm."
        )
    if not errors:
        provider_for = lookup.provider_for(request)
        server_key = any(not provider_for(column).is_personal for column in columns)
        if refused := starts.refusal(request.user.pk, spends_server_key=server_key):
            errors["run"] = refused
    if errors:
        return _section_error(request, evaluation, errors)
    run = runs.create(evaluation)
    runs.start(run, lookup.provider_for(request))
    return redirect("chat-eval-run", pk=pk, number=run.number)


@login_required
@require_POST
def rename_evaluation(request: AuthedRequest, pk: int) -> HttpResponse:
    evaluation = lookup.owned(request, pk)
    evaluation.title = " ".join(request.POST.get("title", "").split())[:200]
    evaluation.save(update_fields=["title", "updated_at"])
    flash.success(request, "Renamed.")
    return redirect("chat-eval", pk=pk)


@login_required
@require_http_methods(["GET", "POST"])
def delete_evaluation(request: AuthedRequest, pk: int) -> HttpResponse:
    evaluation = lookup.owned(request, pk)
    if request.method == "POST":
        for run in evaluation.runs.all():
            runs.delete(run)
        title = evaluation.display_title
        evaluation.delete()
        flash.success(request, f"Deleted “{title}”.")
        return redirect("chat-evals")
    return render(request, "evals/delete_confirm.html", {"evaluation": evaluation})


# -- helpers -------------------------------------------------------------------------------


def _cost_estimate(
    evaluation: Evaluation, system_prompt: str, messages: list[dict], columns: list[dict]
) -> str:
    """ "At most $0.42 at your prices.", from each request's guessed prompt tokens and
    its Max tokens; why there is no figure otherwise."""
    if not evaluation.cases or not columns:
        return ""
    if any(column.get("max_tokens") is None for column in columns):
        return "No cost bound without Max tokens."
    table = prices.table()
    estimates = []
    for case in evaluation.cases:
        filled_system, filled_messages = plan.filled(system_prompt, messages, case["values"])
        tokens = plan.prompt_tokens(filled_system, filled_messages)
        for column in columns:
            n = column.get("n") if isinstance(column.get("n"), int) else 1
            price = table.get(str(column.get("model") or ""))
            one = cost.estimate(price, tokens, int(column["max_tokens"]) * int(n or 1))
            estimates.extend([one] * evaluation.repeats)
    summed = cost.total(estimates)
    if summed.exact is None:
        return "Cost unknown: a model has no confirmed price."
    return f"At most {cost.money(summed.exact, prices.currency())} at your prices."
