"""What every evaluation page needs: the person's evaluation or run behind a URL, each
column's upstream, and downloads."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404

from chat import web
from chat.evals import plan, runs
from chat.models import Evaluation, EvaluationRun
from chat.providers import upstreams
from chat.web import AuthedRequest


def owned(request: HttpRequest, pk: int) -> Evaluation:
    return get_object_or_404(Evaluation.objects.owned_by(request.user), pk=pk)


def run_of(evaluation: Evaluation, number: int) -> EvaluationRun:
    return get_object_or_404(EvaluationRun, evaluation=evaluation, number=number)


def variables(evaluation: Evaluation) -> list[str]:
    _, system_prompt, messages = runs.current_prompt(evaluation)
    return plan.prompt_variables(system_prompt, messages)


def provider_for(request: AuthedRequest):
    server = web.server_address(request)
    return lambda column: upstreams.for_choice(
        request.user, str(column.get("provider") or ""), server
    )


def download(body: str, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def slug(evaluation: Evaluation) -> str:
    text = "".join(c if c.isalnum() else "-" for c in evaluation.display_title.lower())
    return "-".join(part for part in text.split("-") if part)[:60] or "evaluation"


def whole(raw: object, default: int) -> int:
    text = str(raw or "").strip()
    return int(text) if text.isdigit() and len(text) < 10 else default


def pk_of(raw: object) -> int:
    value = whole(raw, 0)
    if not value:
        raise Http404("No such item.")
    return value
