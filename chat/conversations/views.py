"""Pages: accounts, the conversation view and the conversation list."""

from __future__ import annotations

from asgiref.sync import async_to_sync
from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from chat import sessions, web
from chat.api import guidance, params, tools
from chat.conversations import (
    actions,
    attachments,
    cards,
    composer,
    copies,
    frames,
    listing,
    recovery,
    starting,
)
from chat.models import Conversation, Message
from chat.pricing import prices
from chat.providers import upstreams
from chat.web import AuthedRequest

# The event that redraws the sidebar's list of conversations.
LISTED = "conversations-changed"


@login_required
@require_GET
def home(request: AuthedRequest) -> HttpResponse:
    """The untouched conversation, or a page to start one: a GET never creates one."""
    conversation = starting.untouched(request.user)
    if conversation is not None:
        return redirect("chat-conversation", pk=conversation.pk)
    return render(request, "conversations/start.html")


@login_required
@require_POST
def new_conversation(request: AuthedRequest) -> HttpResponse:
    """A new conversation: with default settings, or carrying on from the last ones
    (the start page's button) and then reusing an untouched one."""
    if request.POST.get("carry_on"):
        conversation = starting.untouched_or_new(request.user)
    else:
        conversation = Conversation.objects.create(
            owner=request.user, settings=params.default_settings()
        )
    return redirect("chat-conversation", pk=conversation.pk)


@login_required
@require_GET
def conversation_page(request: AuthedRequest, pk: int) -> HttpResponse:
    conversation = get_object_or_404(Conversation.objects.owned_by(request.user), pk=pk)
    _mark_interrupted(conversation)
    provider = upstreams.for_conversation(conversation, web.server_address(request))
    models = upstreams.models_at_once(provider)
    table = prices.table()
    context = {
        "conversation": conversation,
        "turns": cards.turns(conversation.steps(), table),
        "conversation_cost": prices.conversation_total_text(conversation.pk, table),
        "staff": request.user.is_staff,
        "provider": provider,
        "provider_options": upstreams.options(request.user, web.server_address(request)),
        "provider_choice": upstreams.choice_of(conversation),
        "panel": cards.panel(conversation.settings or params.default_settings(), models),
        "advice": guidance.advice(conversation.settings or params.default_settings()),
        "recent": listing.listing(request.user, current=conversation.pk),
        "streaming": conversation.messages.filter(status=Message.Status.STREAMING).exists(),
        "max_frame_bytes": frames.MAX_FRAME_BYTES,
        "image_limits": attachments.limits(),
        "page_version": conversation.page_version(),
        "tool_examples": tools.EXAMPLES,
    }
    return render(request, "conversations/conversation.html", context)


@login_required
@require_POST
def rename_conversation(request: AuthedRequest, pk: int) -> HttpResponse:
    conversation = get_object_or_404(Conversation.objects.owned_by(request.user), pk=pk)
    title = " ".join(request.POST.get("title", "").split())[:200]
    conversation.title = title
    conversation.save(update_fields=["title", "updated_at"])
    sessions.tell_lists(request.user.pk)  # every sidebar of theirs, this tab's included
    if web.is_htmx(request):
        response = render(
            request, "conversations/conversation.html#title", {"conversation": conversation}
        )
        response["HX-Trigger"] = LISTED  # the sidebar shows the new name
        return response
    flash.success(request, "Renamed.")
    return redirect("chat-conversation", pk=pk)


def _mark_interrupted(conversation: Conversation) -> None:
    """Messages left streaming by a server that died show what was saved, as interrupted."""
    async_to_sync(recovery.sweep)(conversation.pk)


@login_required
@require_POST
def send_prompt(request: AuthedRequest, pk: int) -> HttpResponse:
    """The composer without websockets: start the generation, then show the page."""
    conversation = get_object_or_404(Conversation.objects.owned_by(request.user), pk=pk)
    _mark_interrupted(conversation)
    data = {key: values[-1] for key, values in request.POST.lists()}
    submission = composer.read_submission(data)
    if (
        not submission.errors
        and conversation.messages.filter(status=Message.Status.STREAMING).exists()
    ):
        submission.errors["prompt"] = "An answer is still streaming: wait for it or press Stop."
    own, refused = upstreams.chosen(request.user, submission.provider)
    if refused:
        submission.errors["provider"] = refused
    images, refused = attachments.claim(request.user, request.POST.getlist("attachment"))
    if refused:
        submission.errors["attachments"] = refused
    if submission.errors:
        for message in submission.errors.values():
            flash.error(request, message)
        return redirect("chat-conversation", pk=pk)
    conversation.system_prompt = submission.system_prompt
    conversation.provider = own
    provider = upstreams.for_conversation(conversation, web.server_address(request))
    refused = async_to_sync(actions.refusal)(conversation, provider)
    if refused:
        flash.error(request, refused)
        return redirect("chat-conversation", pk=pk)
    with actions.claimed_sync(conversation.pk) as mine:
        if not mine or conversation.messages.filter(status=Message.Status.STREAMING).exists():
            flash.error(request, actions.STARTING)
            return redirect("chat-conversation", pk=pk)
        async_to_sync(actions.send_prompt)(
            conversation,
            submission.prompt,
            submission.settings,
            provider,
            conversation.current_leaf,
            images,
        )
    return redirect("chat-conversation", pk=pk)


@require_GET
def websocket_only(request: HttpRequest, pk: int) -> HttpResponse:
    return HttpResponse("This address takes a websocket connection.", status=426)


@login_required
@require_POST
def check_params(request: AuthedRequest) -> HttpResponse:
    """The panel's values checked as they change: advice, plus a message per bad field."""
    data = {key: values[-1] for key, values in request.POST.lists()}
    example, change = data.pop("tool_example", ""), data.pop("tool_edit", "")
    added = None
    if example:  # the "Tool examples" picker: the example goes into Tools, then the check
        data["tools"], added = tools.with_example(data.get("tools", ""), example)
    elif change:  # a button of the list of tools: move one up or down, or remove it
        data["tools"], added = tools.edited(data.get("tools", ""), change)
    submission = composer.read_submission({**data, "prompt": data.get("prompt") or "-"})
    errors = {k: v for k, v in submission.errors.items() if k in params.PARAMS}
    if added:
        errors["tools"] = added
    # What Send would send, so JSON mode can say when nothing in it asks for JSON: the
    # composer's system prompt and prompt, and the turns before it in the conversation.
    typed: list[dict[str, object]] = [
        {"content": data.get(name) or ""} for name in ("system_prompt", "prompt")
    ]
    typed += _earlier_turns(request, data.get("conversation", ""))
    context = {
        "advice": guidance.advice(submission.settings, typed),
        "errors": errors,
        "cleared": [name for name in params.PARAMS if name not in errors],
        "summary": cards.param_summary(errors if not added else {}),
        "tools_field": cards.PanelField(
            params.PARAMS["tools"], data["tools"], errors.get("tools", "")
        )
        if example or change
        else None,
        "tool_examples": tools.EXAMPLES,
    }
    return render(request, "conversations/check_params.html", context)


def _earlier_turns(request: AuthedRequest, pk: str) -> list[dict[str, object]]:
    """The texts of the person's own conversation's current path (none for another's)."""
    conversation = (
        Conversation.objects.owned_by(request.user).filter(pk=pk).first() if pk.isdigit() else None
    )
    if conversation is None or conversation.current_leaf_id is None:
        return []
    path = conversation.tree().path(conversation.current_leaf_id)
    return [{"content": m.content} for m in path]


@login_required
@require_http_methods(["GET", "POST"])
def fork_conversation(request: AuthedRequest, pk: int, message_pk: int) -> HttpResponse:
    """Copy the conversation up to a message into a new conversation of the same user."""
    conversation = get_object_or_404(Conversation.objects.owned_by(request.user), pk=pk)
    message = get_object_or_404(conversation.messages, pk=message_pk)
    if request.method == "GET":
        return render(
            request,
            "conversations/fork_confirm.html",
            {"conversation": conversation, "message": message},
        )
    copy = copies.fork(conversation, message, request.user)
    flash.success(request, "Forked: this is a copy up to the chosen message.")
    return redirect("chat-conversation", pk=copy.pk)
