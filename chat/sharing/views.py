"""Share links: a read-only snapshot of a conversation behind an unguessable URL.

The owner creates, updates and revokes links; anyone holding one reads the
snapshot taken at the last update (chat/snapshot.py), never the live conversation,
and a signed-in reader may copy it into their own account. No share view writes
to the owner's conversation.
"""

from __future__ import annotations

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from chat.conversations import cards, copies
from chat.models import Conversation, Message, ShareLink
from chat.sharing import snapshot
from chat.web import PUBLIC_HEADERS

# The public page is for whoever holds the link: not for search engines or caches,
# and its URL (the token is the only secret) is never sent on as a Referer.


@login_required
@require_http_methods(["GET", "POST"])
def share_conversation(request: HttpRequest, pk: int) -> HttpResponse:
    """The links of one conversation, and the form that creates one."""
    conversation = get_object_or_404(Conversation.objects.owned_by(request.user), pk=pk)
    if request.method == "POST":
        include_reasoning = bool(request.POST.get("include_reasoning"))
        ShareLink.objects.create(
            owner=request.user,
            conversation=conversation,
            include_reasoning=include_reasoning,
            title=conversation.display_title,
            snapshot=_take_snapshot(conversation, include_reasoning),
        )
        flash.success(request, "Share link created: copy it from the list below.")
        return redirect("chat-share", pk=pk)
    links = _my_links(request.user).filter(conversation=conversation).select_related("conversation")
    links = _with_urls(request, links)
    return render(request, "sharing/share.html", {"conversation": conversation, "links": links})


@login_required
@require_GET
def share_list(request: HttpRequest) -> HttpResponse:
    links = _with_urls(request, _my_links(request.user).select_related("conversation"))
    return render(request, "sharing/list.html", {"links": links})


@login_required
@require_POST
def update_share(request: HttpRequest, token: str) -> HttpResponse:
    """Snapshot the conversation as it is now; the URL stays the same."""
    link = get_object_or_404(_my_links(request.user), token=token, revoked_at__isnull=True)
    conversation = get_object_or_404(
        Conversation.objects.owned_by(request.user), pk=link.conversation_id
    )
    link.snapshot = _take_snapshot(conversation, link.include_reasoning)
    link.title = conversation.display_title
    link.save(update_fields=["snapshot", "title", "updated_at"])
    flash.success(request, "Updated: the link now shows the conversation as it is.")
    return _back(request)


@login_required
@require_POST
def revoke_share(request: HttpRequest, token: str) -> HttpResponse:
    link = get_object_or_404(_my_links(request.user), token=token)
    if link.revoked_at is None:
        link.revoked_at = timezone.now()
        link.save(update_fields=["revoked_at", "updated_at"])
    flash.success(request, "Revoked: the link no longer opens.")
    return _back(request)


@require_GET
def shared_conversation(request: HttpRequest, token: str) -> HttpResponse:
    """The public, read-only page of a live link. No login needed."""
    link = _live_link(token)
    context = {"shared": link.snapshot, "token": link.token, "shared_at": link.updated_at}
    response = render(request, "sharing/shared.html", context)
    for name, value in PUBLIC_HEADERS.items():
        response.headers[name] = value
    return response


@login_required
@require_http_methods(["GET", "POST"])
def continue_shared(request: HttpRequest, token: str) -> HttpResponse:
    """Copy the snapshot into the reader's own account as a new conversation.

    The shared page links here rather than posting: it sends no referrer, so browsers
    send `Origin: null` with its forms, which the CSRF check rightly refuses.
    """
    link = _live_link(token)
    if request.method == "GET":
        return render(request, "sharing/continue_shared.html", {"link": link, "token": token})
    conversation = copies.save_imported(request.user, snapshot.to_import(link.snapshot))
    flash.success(request, "This is your own copy of the shared conversation: carry on here.")
    return redirect("chat-conversation", pk=conversation.pk)


def _my_links(user) -> QuerySet[ShareLink]:
    return ShareLink.objects.filter(owner_id=user.pk, conversation__owner_id=user.pk)


def _live_link(token: str) -> ShareLink:
    # A deleted conversation takes its links down with it (and back, if restored).
    return get_object_or_404(
        ShareLink, token=token, revoked_at__isnull=True, conversation__deleted_at__isnull=True
    )


def _with_urls(request: HttpRequest, links: QuerySet[ShareLink]) -> list[ShareLink]:
    result = list(links.order_by("-created_at", "-id"))
    for link in result:
        link.url = request.build_absolute_uri(reverse("chat-shared", args=[link.token]))
    return result


def _back(request: HttpRequest) -> HttpResponse:
    """To the page the form was on (one of ours), else the list of links."""
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect("chat-shares")


def _take_snapshot(conversation: Conversation, include_reasoning: bool) -> dict:
    steps = [
        {
            "user": _plain(step.user) if step.user else None,
            "choices": [_plain(m) for m in step.choices],
            "chosen": next(
                (i for i, m in enumerate(step.choices) if step.chosen and m.pk == step.chosen.pk),
                0,
            ),
        }
        for step in conversation.steps()
    ]
    return snapshot.build(
        title=conversation.display_title,
        system_prompt=conversation.system_prompt,
        settings=conversation.settings or {},
        steps=steps,
        include_reasoning=include_reasoning,
    )


def _plain(message: Message) -> dict:
    data = {name: getattr(message, name) for name in (*snapshot.ANSWER_FIELDS, "reasoning")}
    data["timings"] = {name: getattr(message, name) for name in snapshot.TIMINGS}
    if message.role == Message.Role.ASSISTANT:
        data["sent"] = cards.sent_settings(message)
        data["metrics"] = cards.metrics(message)
    return data
