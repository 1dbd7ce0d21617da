"""View code of a comparison's column: the very request its runs sent, as curl, Python
and JavaScript, with the prompt's images (shortened) and tool turns."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from chat import web
from chat.conversations import actions, attachments, code_blocks
from chat.models import Comparison, ComparisonRun
from chat.providers import upstreams


@login_required
@require_GET
def column_code(request: HttpRequest, pk: int, column: int) -> HttpResponse:
    """Column `column` (from 1): every run of a column sends the same request."""
    comparison = get_object_or_404(Comparison.objects.owned_by(request.user), pk=pk)
    run = (
        ComparisonRun.objects.filter(comparison=comparison, column=column - 1)
        .select_related("message__conversation")
        .first()
    )
    if run is None or not run.message.request_params:
        raise Http404("This column has not been run.")
    answer = run.message
    hidden = answer.conversation
    tree = hidden.tree()
    urls = attachments.data_urls(actions.prompt_ids(tree, answer))
    body = actions.exact_body(hidden, tree, answer, urls)
    choice = str(comparison.columns[column - 1].get("provider") or "")
    provider = upstreams.for_choice(request.user, choice, web.server_address(request))
    context = {
        "comparison": comparison,
        "column": column,
        "answer": answer,
        **code_blocks.context(provider, body),
    }
    return render(request, "compare/code.html", context)
