"""Share links of conversations: a read-only snapshot behind an unguessable URL, and
the list of all of a person's links.

The owner creates, updates and revokes links, each with an expiry and an optional view
limit (chat.sharing.access); anyone holding an open one reads the snapshot taken at the
last update (chat.sharing.snapshot), or with "Live" the conversation's path as it is
now, its answers streaming in (chat.sharing.consumer), and a signed-in reader may copy
it into their own account. No share view writes to the owner's conversation. Prompts'
and comparisons' links are in prompt_views and comparison_views, built from the same
model base and the same list of links.
"""

from __future__ import annotations

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from chat import web
from chat.conversations import attachments, copies
from chat.models import Attachment, Conversation, ShareLink
from chat.models.sharing import ConversationShareLinkQuerySet
from chat.sharing import links, notices, snapshot
from chat.sharing.conversations import live_snapshot, shown_snapshot, take_snapshot
from chat.web import AuthedRequest


@login_required
@require_http_methods(["GET", "POST"])
def share_conversation(request: AuthedRequest, pk: int) -> HttpResponse:
    """The links of one conversation, and the form that creates one."""
    conversation = get_object_or_404(Conversation.objects.owned_by(request.user), pk=pk)
    if request.method == "POST":
        limits, problem = links.read_limits(request)
        if problem:
            flash.error(request, problem)
            return redirect("chat-share", pk=pk)
        include_reasoning = bool(request.POST.get("include_reasoning"))
        shared = take_snapshot(conversation, include_reasoning)
        ShareLink.objects.create(
            owner=request.user,
            conversation=conversation,
            include_reasoning=include_reasoning,
            live=bool(request.POST.get("live")),
            title=shared["title"],
            snapshot=shared,
            **links.limits_fields(limits, timezone.now()),
        )
        flash.success(request, "Share link created: copy it from the list below.")
        return redirect("chat-share", pk=pk)
    context = {
        "conversation": conversation,
        "links": web.with_absolute_urls(request, _mine(request).filter(conversation=conversation)),
        "revoked": links.just_revoked(request, ShareLink.objects.all()),
    }
    return render(request, "sharing/share.html", context)


@login_required
@require_GET
def share_list(request: AuthedRequest) -> HttpResponse:
    context = {
        "links": web.with_absolute_urls(request, _mine(request)),
        "revoked": links.just_revoked(request, ShareLink.objects.all()),
    }
    return render(request, "sharing/list.html", context)


@login_required
@require_POST
def update_share(request: AuthedRequest, token: str) -> HttpResponse:
    """Snapshot the conversation as it is now; the URL stays the same."""
    link = get_object_or_404(_mine(request).live(token))
    conversation = link.conversation
    link.snapshot = take_snapshot(conversation, link.include_reasoning)
    link.title = link.snapshot["title"]
    link.save(update_fields=["snapshot", "title", "updated_at"])
    flash.success(request, "Updated: the link now shows the conversation as it is.")
    return links.back(request, "chat-shares")


@login_required
@require_POST
def share_limits(request: AuthedRequest, token: str) -> HttpResponse:
    """A link's expiry, view limit and "Live"; a live page open on it is told at once."""
    response = links.change_limits(
        request, ShareLink.objects.all(), token, _back, live=bool(request.POST.get("live"))
    )
    notices.changed(token)
    return response


@login_required
@require_http_methods(["GET", "POST"])
def revoke_share(request: AuthedRequest, token: str) -> HttpResponse:
    response = links.revoke(request, ShareLink.objects.all(), token, _back)
    if request.method == "POST":
        notices.changed(token)  # a live page open on the link closes its socket
    return response


@login_required
@require_POST
def restore_share(request: AuthedRequest, token: str) -> HttpResponse:
    return links.restore(request, ShareLink.objects.all(), token, _back)


@web.public_page
@require_GET
def shared_conversation(request: HttpRequest, token: str) -> HttpResponse:
    """The public, read-only page of an open link, counted as a view. No login needed."""
    link = links.view_or_404(ShareLink.objects.select_related("conversation"), token)
    ticket = links.ticket(link.token)
    if link.live:
        shared = live_snapshot(link.conversation, link.include_reasoning, {})[0]
        shared_at = timezone.now()
    else:
        shared, shared_at = link.snapshot, link.updated_at
    context = {
        "shared": shared,
        "token": link.token,
        "shared_at": shared_at,
        "ticket": ticket,
        "live": link.live,
        "socket_url": f"{reverse('ws-shared', args=[link.token])}?view={ticket}",
    }
    return render(request, "sharing/shared.html", context)


@require_GET
def shared_image(request: HttpRequest, token: str, key: str) -> HttpResponseBase:
    """An image the page of an open link shows, to anyone holding the link; any other
    key (another prompt's, another conversation's) is a 404 here."""
    link = links.within_view_or_404(ShareLink.objects.all(), token, links.ticket_of(request))
    if key not in snapshot.image_keys(shown_snapshot(link)):
        raise Http404("No such image in this share.")
    image = get_object_or_404(Attachment, key=key, message__conversation=link.conversation)
    response = attachments.file_response(image)
    for name, value in web.PUBLIC_HEADERS.items():
        response.headers[name] = value
    return response


@login_required
@require_http_methods(["GET", "POST"])
def continue_shared(request: AuthedRequest, token: str) -> HttpResponse:
    """Copy the snapshot into the reader's own account as a new conversation.

    The shared page links here rather than posting: it sends no referrer, so browsers
    send `Origin: null` with its forms, which the CSRF check rightly refuses.
    """
    ticket = links.ticket_of(request)
    link = links.within_view_or_404(ShareLink.objects.all(), token, ticket)
    if request.method == "GET":
        context = {"link": link, "token": token, "ticket": ticket}
        return render(request, "sharing/continue_shared.html", context)
    conversation = copies.save_imported(
        request.user, snapshot.to_import(shown_snapshot(link)), images_from=link.conversation
    )
    flash.success(request, "This is your own copy of the shared conversation: carry on here.")
    return redirect("chat-conversation", pk=conversation.pk)


@require_GET
def websocket_only(request: HttpRequest, token: str) -> HttpResponse:
    return HttpResponse("This address takes a websocket connection.", status=426)


def _back(link: ShareLink) -> str:
    return reverse("chat-shares")


def _mine(request: AuthedRequest) -> ConversationShareLinkQuerySet:
    """The person's links, newest first, each with its conversation (the list shows it)."""
    return (
        ShareLink.objects.owned_by(request.user)
        .select_related("conversation")
        .order_by("-created_at", "-id")
    )
