"""Saved prompts' pages: save a conversation's setup, a prompt and its versions, run one
with its {{variables}} filled in, the library, duplicate and delete.

Everything here is the owner's alone (another person's prompt is a 404). Sharing a
prompt, and its public page, are chat.sharing's.
"""

from __future__ import annotations

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from chat import web
from chat.api import params
from chat.limits import starts
from chat.models import Conversation, PromptShareLink, PromptVersion, SavedPrompt
from chat.prompts import library, running, version_diff, versions
from chat.prompts.forms import SaveForm, tag_list
from chat.web import AuthedRequest


@login_required
@require_http_methods(["GET", "POST"])
def save_prompt(request: AuthedRequest, pk: int) -> HttpResponse:
    """Keep the conversation's setup as a new prompt, or as a new version of one."""
    conversation = get_object_or_404(Conversation.objects.owned_by(request.user), pk=pk)
    setup = versions.setup_of(conversation)
    form = SaveForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        data = form.cleaned_data
        with transaction.atomic():
            if data["target"]:
                prompt = get_object_or_404(versions.my_prompts(request.user), pk=data["target"])
            else:
                prompt = SavedPrompt.objects.create(
                    owner=request.user, name=data["name"], tags=data["tags"]
                )
            version = versions.add_version(prompt, note=data["note"], **setup)
        flash.success(request, f"Saved as version {version.number} of “{prompt.name}”.")
        return redirect("chat-prompt", pk=prompt.pk)
    context = {
        "conversation": conversation,
        "form": form,
        "setup": setup,
        "messages": versions.shown(setup["messages"], setup["images"]),
        "changed": versions.param_rows(params.changed_settings(setup["settings"])),
        "mine": versions.my_prompts(request.user).only("id", "name"),
    }
    return render(request, "prompts/save.html", context, status=400 if form.errors else 200)


@login_required
@require_GET
def prompt_page(request: AuthedRequest, pk: int) -> HttpResponse:
    """A prompt: its latest version, every version, a comparison of two, its share links."""
    prompt = get_object_or_404(versions.my_prompts(request.user), pk=pk)
    every = list(prompt.versions.order_by("-number"))
    latest = every[0] if every else None
    links = prompt.share_links.select_related("version").order_by("-created_at", "-id")
    context = {
        "prompt": prompt,
        "tags": tag_list(prompt.tags),
        "versions": every,
        "latest": latest,
        "latest_params": versions.param_rows(latest.settings) if latest else [],
        "latest_messages": versions.shown_version(latest) if latest else [],
        "variables": running.names(latest) if latest else [],
        "comparison": version_diff.compare(every, request.GET),
        "links": web.with_absolute_urls(request, links),
        # Back from revoking a link: its Undo, while it can still be brought back.
        "revoked": PromptShareLink.objects.restorable(request.user)
        .filter(token=request.GET.get("revoked") or "")
        .first(),
    }
    return render(request, "prompts/prompt.html", context)


@login_required
@require_POST
def restore_version(request: AuthedRequest, pk: int) -> HttpResponse:
    """A new version copying an earlier one; the versions in between stay."""
    prompt = get_object_or_404(versions.my_prompts(request.user), pk=pk)
    source = versions.version_or_404(prompt, request.POST.get("version"))
    note = f"Restored from version {source.number}"
    version = versions.add_version(prompt, note=note, **versions.content_of(source))
    flash.success(request, f"Version {source.number} restored as version {version.number}.")
    return redirect("chat-prompt", pk=prompt.pk)


@login_required
@require_http_methods(["GET", "POST"])
def run_prompt(request: AuthedRequest, pk: int) -> HttpResponse:
    """Ask for the variables' values, then open a new conversation with them filled in."""
    prompt = get_object_or_404(versions.my_prompts(request.user), pk=pk)
    number = request.POST.get("version") or request.GET.get("version")
    version = versions.version_or_404(prompt, number)
    if request.method == "GET":
        return _run_form(request, prompt, version, running.prefilled(prompt, version))
    values = running.posted(version, request.POST)
    if blank := running.blank(values):
        error = "Give a value for " + ", ".join(blank) + ". Nothing was sent."
        return _run_form(request, prompt, version, values, error=error, blank=blank)
    server = web.server_address(request)
    if running.ends_with_prompt(version):
        # A prompt's run opens a conversation on the server's default upstream.
        refused = starts.refusal(request.user.pk, spends_server_key=True)
        if refused:
            return _run_form(request, prompt, version, values, error=refused)
    conversation = running.start(request.user, prompt, version, values, server)
    return redirect("chat-conversation", pk=conversation.pk)


def _run_form(
    request: AuthedRequest,
    prompt: SavedPrompt,
    version: PromptVersion,
    values: dict[str, str],
    error: str = "",
    blank: list[str] | None = None,
) -> HttpResponse:
    context = {
        "prompt": prompt,
        "version": version,
        "fields": [(name, value, name in (blank or [])) for name, value in values.items()],
        "error": error,
        "last_is_user": running.ends_with_prompt(version),
    }
    return render(request, "prompts/run.html", context, status=400 if error else 200)


@login_required
@require_GET
def prompt_library(request: AuthedRequest) -> HttpResponse:
    """The person's prompts, newest first; searched with ?q=, filtered with ?tag=."""
    q = library.query_of(request.GET.get("q", ""))
    tag = " ".join(request.GET.get("tag", "").split())
    everything = library.entries(request.user)
    rows = library.tagged(everything, tag)
    if q:
        rows = library.matching(rows, q)
    context = {
        "rows": rows,
        "q": q,
        "tag": tag,
        "all_tags": library.all_tags(everything),
        "has_prompts": bool(everything),
    }
    return render(request, "prompts/library.html", context)


@login_required
@require_POST
def duplicate_prompt(request: AuthedRequest, pk: int) -> HttpResponse:
    prompt = get_object_or_404(versions.my_prompts(request.user), pk=pk)
    source = versions.version_or_404(prompt, None)
    copy = versions.new_prompt(
        request.user,
        f"Copy of {prompt.name}",
        source,
        note=f"Duplicated from version {source.number} of “{prompt.name}”",
        tags=prompt.tags,
        last_values=prompt.last_values,
    )
    flash.success(request, f"Duplicated: this is “{copy.name}”, with version 1.")
    return redirect("chat-prompt", pk=copy.pk)


@login_required
@require_http_methods(["GET", "POST"])
def delete_prompt(request: AuthedRequest, pk: int) -> HttpResponse:
    """Ask first; then the prompt goes for good, with its versions and share links."""
    prompt = get_object_or_404(versions.my_prompts(request.user), pk=pk)
    if request.method == "GET":
        return render(request, "prompts/delete_confirm.html", {"prompt": prompt})
    prompt.delete()
    flash.success(request, f"Deleted “{prompt.name}”.")
    return redirect("chat-prompts")
