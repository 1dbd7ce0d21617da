"""Share links of conversations: a read-only snapshot behind an unguessable URL, and
the list of all of a person's links.

The owner creates, updates and revokes links; anyone holding one reads the snapshot
taken at the last update (chat.sharing.snapshot), never the live conversation, and a
signed-in reader may copy it into their own account. No share view writes to the
owner's conversation. Prompts' and comparisons' links are in prompt_views and
comparison_views, built from the same model base and the same list of links.
"""

from __future__ import annotations

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from chat import web
from chat.conversations import attachments, copies
from chat.models import Attachment, Conversation, ShareLink
from chat.models.sharing import ConversationShareLinkQuerySet
from chat.sharing import links, snapshot
from chat.sharing.conversations import take_snapshot
from chat.web import AuthedRequest


@login_required
@require_http_methods(["GET", "POST"])
def share_conversation(request: AuthedRequest, pk: int) -> HttpResponse:
    """The links of one conversation, and the form that creates one."""
    conversation = get_object_or_404(Conversation.objects.owned_by(request.user), pk=pk)
    if request.method == "POST":
        include_reasoning = bool(request.POST.get("include_reasoning"))
        shared = take_snapshot(conversation, include_reasoning)
        ShareLink.objects.create(
            owner=request.user,
            conversation=conversation,
            include_reasoning=include_reasoning,
            title=shared["title"],
            snapshot=shared,
        )
        flash.success(request, "Share link created: copy it from the list below.")
        return redirect("chat-share", pk=pk)
    shown = web.with_absolute_urls(request, _mine(request).filter(conversation=conversation))
    return render(request, "sharing/share.html", {"conversation": conversation, "links": shown})


@login_required
@require_GET
def share_list(request: AuthedRequest) -> HttpResponse:
    shown = web.with_absolute_urls(request, _mine(request))
    return render(request, "sharing/list.html", {"links": shown})


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
def revoke_share(request: AuthedRequest, token: str) -> HttpResponse:
    links.revoke(request, ShareLink.objects.all(), token)
    return links.back(request, "chat-shares")


@web.public_page
@require_GET
def shared_conversation(request: HttpRequest, token: str) -> HttpResponse:
    """The public, read-only page of a live link. No login needed."""
    link = get_object_or_404(ShareLink.objects.live(token))
    context = {"shared": link.snapshot, "token": link.token, "shared_at": link.updated_at}
    return render(request, "sharing/shared.html", context)


@require_GET
def shared_image(request: HttpRequest, token: str, key: str) -> HttpResponseBase:
    """An image the snapshot of a live link shows, to anyone holding the link; any other
    key (another prompt's, another conversation's) is a 404 here."""
    link = get_object_or_404(ShareLink.objects.live(token))
    if key not in snapshot.image_keys(link.snapshot):
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
    link = get_object_or_404(ShareLink.objects.live(token))
    if request.method == "GET":
        return render(request, "sharing/continue_shared.html", {"link": link, "token": token})
    conversation = copies.save_imported(
        request.user, snapshot.to_import(link.snapshot), images_from=link.conversation
    )
    flash.success(request, "This is your own copy of the shared conversation: carry on here.")
    return redirect("chat-conversation", pk=conversation.pk)


def _mine(request: AuthedRequest) -> ConversationShareLinkQuerySet:
    """The person's links, newest first, each with its conversation (the list shows it)."""
    return (
        ShareLink.objects.owned_by(request.user)
        .select_related("conversation")
        .order_by("-created_at", "-id")
    )
