"""Export a conversation as a JSON or Markdown download, and import one from a file."""

from __future__ import annotations

import base64
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.text import slugify
from django.views.decorators.http import require_GET, require_http_methods

from chat.conversations import attachments, copies, exports, images, imports
from chat.models import Conversation, Message
from chat.web import AuthedRequest

FILENAME_LENGTH = 80


@login_required
@require_GET
def export_json(request: AuthedRequest, pk: int) -> HttpResponse:
    conversation = get_object_or_404(Conversation.objects.owned_by(request.user), pk=pk)
    text = exports.dumps(_export(conversation))
    return _download(text, "application/json", _filename(conversation, "json"))


@login_required
@require_GET
def export_markdown(request: AuthedRequest, pk: int) -> HttpResponse:
    conversation = get_object_or_404(Conversation.objects.owned_by(request.user), pk=pk)
    text = exports.export_markdown(_export(conversation))
    return _download(text, "text/markdown", _filename(conversation, "md"))


@login_required
@require_http_methods(["GET", "POST"])
def import_conversation(request: AuthedRequest) -> HttpResponse:
    if request.method == "GET":
        return render(request, "conversations/import.html")
    try:
        imported = imports.parse_import(_read_upload(request), image_limits())
    except imports.ImportProblem as problem:
        return render(request, "conversations/import.html", {"error": str(problem)}, status=400)
    try:
        conversation = copies.save_imported(request.user, imported)
    except images.ImageProblem as problem:  # an image over this server's own limit
        return render(request, "conversations/import.html", {"error": str(problem)}, status=400)
    count = len(imported.messages)
    flash.success(request, f"Imported {count} message{'s' if count != 1 else ''}.")
    return redirect("chat-conversation", pk=conversation.pk)


def image_limits() -> imports.ImageLimits:
    """This server's limits on an image, for the images an import brings."""
    return imports.ImageLimits(
        max_bytes=settings.PLAYGROUND_IMAGE_MAX_BYTES,
        per_message=settings.PLAYGROUND_IMAGES_PER_MESSAGE,
    )


def _read_upload(request: HttpRequest) -> bytes:
    upload = request.FILES.get("file")
    if upload is None:
        raise imports.ImportProblem("Choose a conversation file to import.")
    if upload.size is not None and upload.size > imports.MAX_IMPORT_BYTES:
        raise imports.ImportProblem(imports.TOO_LARGE)
    return upload.read(imports.MAX_IMPORT_BYTES + 1)


def _export(conversation: Conversation) -> dict:
    tree = conversation.tree()
    messages = sorted(tree.nodes.values(), key=lambda m: m.pk)
    path = tree.path(conversation.current_leaf_id)
    return exports.export_data(
        title=conversation.display_title,
        system_prompt=conversation.system_prompt,
        settings=conversation.settings or {},
        records=[_record(m) for m in messages],
        leaf_id=path[-1].pk if path else None,
        redact=_server_secrets(messages),
    )


def _record(message: Message) -> dict:
    record = {name: getattr(message, name) for name in copies.IMPORTED_FIELDS}
    record.update(id=message.pk, parent=message.parent_id, batch=message.batch)
    record["timings"] = {name: getattr(message, name) for name in exports.TIMINGS}
    record["images"] = [
        {
            "name": image.filename,
            "content_type": image.content_type,
            "size": image.size,
            "width": image.width,
            "height": image.height,
            "data": base64.b64encode(attachments.read(image)).decode("ascii"),
        }
        for image in message.attachments.all()
    ]
    return record


def _server_secrets(messages: list[Message]) -> set[str]:
    """What an error text may say about the server's upstream: its key, URL and host."""
    base = settings.PLAYGROUND_API_BASE
    secrets = {settings.PLAYGROUND_API_KEY, base, *(m.upstream for m in messages)}
    if base:
        parts = urlsplit(base)
        secrets |= {parts.netloc, parts.hostname or ""}
    return {s for s in secrets if s}


def _filename(conversation: Conversation, extension: str) -> str:
    slug = slugify(conversation.display_title)[:FILENAME_LENGTH].strip("-_")
    return f"{slug or 'conversation'}.{extension}"


def _download(text: str, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(text, content_type=f"{content_type}; charset=utf-8")
    # The slug is [a-z0-9_-] only, so it needs no quoting beyond the quotes.
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
