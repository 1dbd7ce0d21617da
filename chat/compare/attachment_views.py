"""Images attached in the comparison builder: uploaded one by one as they are chosen,
dropped or pasted (static/js/attachments.js, as in the composer), each a pending
attachment of its uploader's until Run puts it on the comparison's prompt."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_POST

from chat import web
from chat.conversations import attachments, images
from chat.web import AuthedRequest

PENDING = "conversations/_pending_attachment.html"
REFUSED = "conversations/conversation.html#refused-attachment"


@login_required
@require_POST
def upload_image(request: AuthedRequest) -> HttpResponse:
    """One image for the builder's prompt: its thumbnail (with the hidden `image` field
    Run reads), or what is wrong with the file, and nothing stored."""
    upload = request.FILES.get("image")
    if upload is None:
        return _refused(request, "Choose an image to attach.")
    try:
        attachment = attachments.store(request.user, upload)
    except images.ImageProblem as problem:
        return _refused(request, str(problem))
    name = " ".join((upload.name or "").split())[:80]
    return render(request, PENDING, {"attachment": attachment, "name": name, "field": "image"})


def _refused(request: AuthedRequest, message: str) -> HttpResponse:
    """A 400 in words; to the page's script (which asks as htmx does) a fragment it shows
    beside the control, as the composer's upload answers."""
    if web.is_htmx(request):
        return render(request, REFUSED, {"message": message})
    return HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")
