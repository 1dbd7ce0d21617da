"""Pages: accounts, the conversation view and the conversation list."""

from __future__ import annotations

from asgiref.sync import async_to_sync
from django.conf import settings
from django.contrib import messages as flash
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import UserCreationForm
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from chat import actions, branches, cards, composer, history_views, params, providers
from chat.models import Conversation, Message


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    if not settings.PLAYGROUND_SIGNUP_ENABLED:
        raise Http404("Sign-up is closed on this server.")
    if request.user.is_authenticated:
        return redirect("chat-home")
    form = UserCreationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        return redirect("chat-home")
    return render(request, "registration/signup.html", {"form": form})


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """Open a new conversation, reusing an untouched one rather than piling them up."""
    conversation = (
        Conversation.objects.owned_by(request.user)
        .filter(started_at__isnull=True, hidden=False)
        .order_by("-created_at")
        .first()
    )
    if conversation is None:
        latest = (
            Conversation.objects.owned_by(request.user)
            .filter(hidden=False)
            .order_by("-updated_at")
            .first()
        )
        conversation = Conversation.objects.create(
            owner=request.user,
            settings=latest.settings if latest else params.default_settings(),
            system_prompt=latest.system_prompt if latest else "",
            provider_id=latest.provider_id if latest else None,
        )
    return redirect("chat-conversation", pk=conversation.pk)


@login_required
@require_POST
def new_conversation(request: HttpRequest) -> HttpResponse:
    conversation = Conversation.objects.create(
        owner=request.user, settings=params.default_settings()
    )
    return redirect("chat-conversation", pk=conversation.pk)


@login_required
@require_GET
def conversation_page(request: HttpRequest, pk: int) -> HttpResponse:
    conversation = get_object_or_404(Conversation.objects.owned_by(request.user), pk=pk)
    _mark_interrupted(conversation)
    provider = providers.for_conversation(conversation, _server(request))
    models = async_to_sync(providers.available_models)(provider)
    context = {
        "conversation": conversation,
        "turns": cards.turns(branches.steps(conversation)),
        "provider": provider,
        "provider_options": providers.options(request.user, _server(request)),
        "provider_choice": providers.choice_of(conversation),
        "panel": cards.panel(conversation.settings or params.default_settings(), models),
        "advice": params.advice(conversation.settings or params.default_settings()),
        "recent": history_views.listing(request.user, current=conversation.pk),
        "streaming": conversation.messages.filter(status=Message.Status.STREAMING).exists(),
    }
    return render(request, "chat/conversation.html", context)


@login_required
@require_POST
def rename_conversation(request: HttpRequest, pk: int) -> HttpResponse:
    conversation = get_object_or_404(Conversation.objects.owned_by(request.user), pk=pk)
    title = " ".join(request.POST.get("title", "").split())[:200]
    conversation.title = title
    conversation.save(update_fields=["title", "updated_at"])
    if request.headers.get("HX-Request"):
        return render(request, "chat/conversation.html#title", {"conversation": conversation})
    flash.success(request, "Renamed.")
    return redirect("chat-conversation", pk=pk)


def _server(request: HttpRequest) -> tuple[str, int | None]:
    try:
        port = int(request.META.get("SERVER_PORT") or 0) or None
    except ValueError:
        port = None
    return (request.META.get("SERVER_NAME", "127.0.0.1"), port)


def _mark_interrupted(conversation: Conversation) -> None:
    """Messages left streaming by a server that died show what was saved, as interrupted."""
    stale = [
        m.pk for m in conversation.messages.filter(status=Message.Status.STREAMING) if m.is_stale
    ]
    if stale:
        Message.objects.filter(pk__in=stale).update(
            status=Message.Status.INTERRUPTED,
            error="The server stopped while this answer was streaming; what arrived is kept.",
        )


@login_required
@require_POST
def send_prompt(request: HttpRequest, pk: int) -> HttpResponse:
    """The composer without websockets: start the generation, then show the page."""
    conversation = get_object_or_404(Conversation.objects.owned_by(request.user), pk=pk)
    data = {key: values[-1] for key, values in request.POST.lists()}
    submission = composer.read_submission(data)
    if (
        not submission.errors
        and conversation.messages.filter(status=Message.Status.STREAMING).exists()
    ):
        submission.errors["prompt"] = "An answer is still streaming: wait for it or press Stop."
    own, refused = providers.chosen(request.user, submission.provider)
    if refused:
        submission.errors["provider"] = refused
    if submission.errors:
        for message in submission.errors.values():
            flash.error(request, message)
        return redirect("chat-conversation", pk=pk)
    conversation.system_prompt = submission.system_prompt
    conversation.provider = own
    provider = providers.for_conversation(conversation, _server(request))
    async_to_sync(actions.send_prompt)(
        conversation, submission.prompt, submission.settings, provider, conversation.current_leaf
    )
    return redirect("chat-conversation", pk=pk)


@require_GET
def websocket_only(request: HttpRequest, pk: int) -> HttpResponse:
    return HttpResponse("This address takes a websocket connection.", status=426)


@login_required
@require_POST
def check_params(request: HttpRequest) -> HttpResponse:
    """The panel's values checked as they change: advice, plus a message per bad field."""
    data = {key: values[-1] for key, values in request.POST.lists()}
    submission = composer.read_submission({**data, "prompt": data.get("prompt") or "-"})
    errors = {k: v for k, v in submission.errors.items() if k in params.PARAMS}
    context = {
        "advice": params.advice(submission.settings),
        "errors": errors,
        "cleared": [name for name in params.PARAMS if name not in errors],
    }
    return render(request, "chat/check_params.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def fork_conversation(request: HttpRequest, pk: int, message_pk: int) -> HttpResponse:
    """Copy the conversation up to a message into a new conversation of the same user."""
    conversation = get_object_or_404(Conversation.objects.owned_by(request.user), pk=pk)
    message = get_object_or_404(conversation.messages, pk=message_pk)
    if request.method == "GET":
        return render(
            request, "chat/fork_confirm.html", {"conversation": conversation, "message": message}
        )
    copy = branches.fork(conversation, message, request.user)
    flash.success(request, "Forked: this is a copy up to the chosen message.")
    return redirect("chat-conversation", pk=copy.pk)
