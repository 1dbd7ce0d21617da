"""View code: a request written out as curl, Python and JavaScript, to run elsewhere.

Two requests can be shown: the one the next Send would make (from the panel's values as
posted), and the one that produced a past answer (exactly what was sent).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET, require_POST

from chat import web
from chat.api import params
from chat.conversations import actions, attachments, code_blocks, composer
from chat.conversations.tree import api_messages
from chat.models import Conversation, Message
from chat.providers import upstreams
from chat.web import AuthedRequest

PAGE = "conversations/code.html"
# Stands in for the message while the box is empty, so the code shows where it goes.
PLACEHOLDER_PROMPT = "Your message"


@login_required
@require_POST
def next_send_code(request: AuthedRequest, pk: int) -> HttpResponse:
    """The request Send would make now: the visible path, the message and the panel."""
    conversation = get_object_or_404(Conversation.objects.owned_by(request.user), pk=pk)
    data = {key: values[-1] for key, values in request.POST.lists()}
    placeholder = not str(data.get("prompt") or "").strip()
    if placeholder:
        data["prompt"] = PLACEHOLDER_PROMPT
    submission = composer.read_submission(data)
    context = {"conversation": conversation, "answer": None, "placeholder": placeholder}
    # The provider chosen in the panel, as the send would use it (nothing is saved here).
    own, refused = upstreams.chosen(request.user, submission.provider)
    if refused:
        submission.errors["provider"] = refused
    conversation.provider = own
    conversation.settings = submission.settings
    # The images waiting in the composer, as the send would take them.
    pending, refused = attachments.claim(request.user, request.POST.getlist("attachment"))
    if refused:
        submission.errors["attachments"] = refused
    if submission.errors:
        return _render(request, {**context, "errors": list(submission.errors.values())}, status=400)
    # As the socket's send: after the current leaf, or from the start when there is none.
    earlier = conversation.path() if conversation.current_leaf_id else []
    urls = attachments.data_urls(m.pk for m in earlier if m.role == Message.Role.USER)
    prompt_urls = [attachments.data_url(image) for image in pending]
    messages = api_messages(submission.system_prompt, earlier, submission.prompt, urls, prompt_urls)
    body = params.build_body(submission.settings, messages)
    return _render(request, {**context, **_code(request, conversation, body)})


@login_required
@require_GET
def message_code(request: AuthedRequest, pk: int, message_pk: int) -> HttpResponse:
    """The request that produced an answer, exactly as "Run again" would send it."""
    conversation = get_object_or_404(Conversation.objects.owned_by(request.user), pk=pk)
    answer = get_object_or_404(conversation.messages, pk=message_pk, role=Message.Role.ASSISTANT)
    if not answer.request_params:  # imported answers carry no request
        raise Http404("No request was recorded for this answer.")
    tree = conversation.tree()
    urls = attachments.data_urls(actions.prompt_ids(tree, answer))
    body = actions.exact_body(conversation, tree, answer, urls)
    context = {"conversation": conversation, "answer": answer}
    return _render(request, {**context, **_code(request, conversation, body)})


def _code(request: HttpRequest, conversation: Conversation, body: dict[str, Any]) -> dict[str, Any]:
    provider = upstreams.for_conversation(conversation, web.server_address(request))
    return code_blocks.context(provider, body)


def _render(request: HttpRequest, context: dict[str, Any], status: int = 200) -> HttpResponse:
    template = f"{PAGE}#code" if web.is_htmx(request) else PAGE
    return render(request, template, context, status=status)
