"""Share links of saved prompts: a read-only link to one version, and its copy.

A link shows the version that was the latest when it was made; later versions do not
change what it shows. Its public page shows that version and the prompt's name,
nothing else of the owner's (not the tags, notes or other versions).
"""

from __future__ import annotations

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from chat import web
from chat.conversations import attachments
from chat.models import Attachment, PromptShareLink
from chat.models.sharing import ShareLinkQuerySet
from chat.prompts import versions
from chat.sharing import links
from chat.web import AuthedRequest

SECTION = "#share-links"  # where the prompt's page lists its links


@login_required
@require_POST
def share_prompt(request: AuthedRequest, pk: int) -> HttpResponse:
    """A read-only link to the latest version; later versions do not change what it shows."""
    prompt = get_object_or_404(versions.my_prompts(request.user), pk=pk)
    version = versions.version_or_404(prompt, None)
    limits, problem = links.read_limits(request)
    if problem:
        flash.error(request, problem)
        return redirect(reverse("chat-prompt", args=[prompt.pk]) + SECTION)
    PromptShareLink.objects.create(
        owner=request.user,
        prompt=prompt,
        version=version,
        **links.limits_fields(limits, timezone.now()),
    )
    flash.success(request, f"Share link created for version {version.number}: copy it below.")
    return redirect(reverse("chat-prompt", args=[prompt.pk]) + SECTION)


@login_required
@require_http_methods(["GET", "POST"])
def revoke_prompt_share(request: AuthedRequest, token: str) -> HttpResponse:
    return links.revoke(request, PromptShareLink.objects.all(), token, _back)


@login_required
@require_POST
def restore_prompt_share(request: AuthedRequest, token: str) -> HttpResponse:
    return links.restore(request, PromptShareLink.objects.all(), token, _back)


@login_required
@require_POST
def prompt_share_limits(request: AuthedRequest, token: str) -> HttpResponse:
    return links.change_limits(request, PromptShareLink.objects.all(), token, _back)


@web.public_page
@require_GET
def shared_prompt(request: HttpRequest, token: str) -> HttpResponse:
    """The public, read-only page of an open link, counted as a view: the version,
    nothing else of the owner."""
    link = links.view_or_404(_shown(), token)
    context = {
        "token": token,
        "ticket": links.ticket(token),
        "name": link.prompt.name,
        "version": link.version,
        "messages": versions.shown_version(link.version),
        "image_url_name": "chat-prompt-shared-image",
        "parameters": versions.param_rows(link.version.settings),
    }
    return render(request, "prompts/shared.html", context)


@require_GET
def shared_prompt_image(request: HttpRequest, token: str, key: str) -> HttpResponseBase:
    """An image of the shared version, to anyone holding the link; any other image
    (another version's, a conversation's) is a 404 here."""
    link = links.within_view_or_404(_shown(), token, links.ticket_of(request))
    image = get_object_or_404(Attachment, key=key, version_id=link.version_id)
    response = attachments.file_response(image)
    for name, value in web.PUBLIC_HEADERS.items():
        response.headers[name] = value
    return response


@login_required
@require_http_methods(["GET", "POST"])
def copy_shared_prompt(request: AuthedRequest, token: str) -> HttpResponse:
    """Copy a shared version into the reader's library as a new prompt.

    The shared page links here rather than posting: it sends no referrer, so browsers
    send `Origin: null` with its forms, which the CSRF check rightly refuses.
    """
    ticket = links.ticket_of(request)
    link = links.within_view_or_404(_shown(), token, ticket)
    if request.method == "GET":
        context = {"token": token, "name": link.prompt.name, "ticket": ticket}
        return render(request, "prompts/copy_shared.html", context)
    copy = versions.new_prompt(
        request.user, link.prompt.name, link.version, note="Copied from a share link"
    )
    flash.success(request, "This prompt is now in your library.")
    return redirect("chat-prompt", pk=copy.pk)


def _shown() -> ShareLinkQuerySet[PromptShareLink]:
    return PromptShareLink.objects.select_related("prompt", "version")


def _back(link: PromptShareLink) -> str:
    return reverse("chat-prompt", args=[link.prompt_id]) + SECTION
