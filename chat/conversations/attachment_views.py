"""Images attached to prompts: the composer's upload, and the image itself for who may
see it (its owner; share pages serve theirs through the link, chat.sharing.views)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET, require_POST

from chat import web
from chat.conversations import attachments, images
from chat.models import Attachment, Conversation
from chat.web import AuthedRequest

PAGE = "conversations/conversation.html"


@login_required
@require_POST
def upload_image(request: AuthedRequest, pk: int) -> HttpResponse:
    """One image from the composer (picked, dropped or pasted): stored as the person's
    pending attachment, answered with its thumbnail for the composer; or a 400 saying
    what is wrong with the file, and nothing stored."""
    get_object_or_404(Conversation.objects.owned_by(request.user), pk=pk)
    upload = request.FILES.get("image")
    if upload is None:
        return _refused(request, "Choose an image to attach.")
    try:
        attachment = attachments.store(request.user, upload)
    except images.ImageProblem as problem:
        return _refused(request, str(problem))
    # The uploaded name is shown while the image waits in the composer, never stored.
    context = {"attachment": attachment, "name": " ".join((upload.name or "").split())[:80]}
    return render(request, f"{PAGE}#pending-attachment", context)


@login_required
@require_POST
def remove_pending_image(request: AuthedRequest, key: str) -> HttpResponse:
    """The composer's remove button: the person's own upload, not yet sent, is deleted
    with its file (204); anyone else's, or one already sent, is a 404."""
    if not attachments.discard_pending(request.user, key):
        raise Http404("No such pending image.")
    return HttpResponse(status=204)


@login_required
@require_GET
def image_file(request: AuthedRequest, key: str) -> HttpResponseBase:
    """An image of the person's own conversation (or their own pending upload); a 404
    for anyone else, as if there were none."""
    attachment = get_object_or_404(Attachment.objects.visible_to(request.user), key=key)
    return attachments.file_response(attachment)


def _refused(request: AuthedRequest, message: str) -> HttpResponse:
    """The refusal as text: a 400; to the page's script (which asks as htmx does) a
    fragment to show beside the composer, as every form of the page shows its messages,
    so a refused file is not an error of the page."""
    if web.is_htmx(request):
        return render(request, f"{PAGE}#refused-attachment", {"message": message})
    return HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")
