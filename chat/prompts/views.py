"""Saved prompts: keep a conversation's setup in versions, compare and restore them,
run one with its {{variables}} filled in, search the library, share one read-only.

A version is a conversation's setup at one moment: its system prompt, the messages of
the visible path and every parameter. Versions are never edited; saving again,
restoring and copying all add a version. Everything here is the owner's alone
(another person's prompt is a 404), except a live share link's public page.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from asgiref.sync import async_to_sync
from django import forms
from django.contrib import messages as flash
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.db.models import Max, OuterRef, QuerySet, Subquery
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from chat import textdiff, web
from chat.api import params
from chat.conversations import actions
from chat.models import (
    Conversation,
    Message,
    PromptShareLink,
    PromptVersion,
    SavedPrompt,
    title_from_prompt,
)
from chat.prompts import variables
from chat.providers import upstreams
from chat.web import PUBLIC_HEADERS

NAME_LENGTH = 200
TAGS_LENGTH = 300
NOTE_LENGTH = 300
MAX_QUERY_LENGTH = 200
MAX_QUERY_WORDS = 8
ROLE_LABELS = {"user": "User", "assistant": "Assistant"}
_MAX_INT = 2**53  # larger numbers are not a version (and overflow SQLite)
# Runs that outlive their request: asyncio keeps only weak references to tasks.


class SaveForm(forms.Form):
    """The "Save prompt" form: a new prompt (named), or a new version of one of yours."""

    target = forms.IntegerField(required=False, min_value=1, max_value=_MAX_INT)
    name = forms.CharField(max_length=NAME_LENGTH, required=False)
    tags = forms.CharField(max_length=TAGS_LENGTH, required=False)
    note = forms.CharField(max_length=NOTE_LENGTH, required=False)

    def clean_tags(self) -> str:
        tags = ", ".join(tag_list(self.cleaned_data["tags"]))
        if len(tags) > TAGS_LENGTH:
            raise forms.ValidationError(f"Tags are too long (at most {TAGS_LENGTH} characters).")
        return tags

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not data.get("target") and "name" in data and not data["name"]:
            self.add_error("name", "Give the new prompt a name.")
        return data


def tag_list(tags: str) -> list[str]:
    """Comma-separated tags, spaces folded, empty ones and repeats (any case) dropped.

    >>> tag_list(" Work,  code review ,,work, Fun ")
    ['Work', 'code review', 'Fun']
    """
    seen: dict[str, str] = {}
    for raw in tags.split(","):
        tag = " ".join(raw.split())
        if tag:
            seen.setdefault(tag.casefold(), tag)
    return list(seen.values())


# --- saving, versions, restoring --------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def save_prompt(request: HttpRequest, pk: int) -> HttpResponse:
    """Keep the conversation's setup as a new prompt, or as a new version of one."""
    conversation = get_object_or_404(Conversation.objects.owned_by(request.user), pk=pk)
    setup = _setup_of(conversation)
    form = SaveForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        data = form.cleaned_data
        with transaction.atomic():
            if data["target"]:
                prompt = get_object_or_404(_my_prompts(request.user), pk=data["target"])
            else:
                prompt = SavedPrompt.objects.create(
                    owner=request.user, name=data["name"], tags=data["tags"]
                )
            version = _add_version(prompt, note=data["note"], **setup)
        flash.success(request, f"Saved as version {version.number} of “{prompt.name}”.")
        return redirect("chat-prompt", pk=prompt.pk)
    context = {
        "conversation": conversation,
        "form": form,
        "setup": setup,
        "changed": _param_rows(params.changed_settings(setup["settings"])),
        "mine": _my_prompts(request.user).only("id", "name"),
    }
    return render(request, "prompts/save.html", context, status=400 if form.errors else 200)


@login_required
@require_GET
def prompt_page(request: HttpRequest, pk: int) -> HttpResponse:
    """A prompt: its latest version, every version, a comparison of two, its share links."""
    prompt = get_object_or_404(_my_prompts(request.user), pk=pk)
    versions = list(prompt.versions.order_by("-number"))
    latest = versions[0] if versions else None
    links = list(prompt.share_links.select_related("version").order_by("-created_at", "-id"))
    for link in links:
        link.url = request.build_absolute_uri(reverse("chat-prompt-shared", args=[link.token]))
    context = {
        "prompt": prompt,
        "tags": tag_list(prompt.tags),
        "versions": versions,
        "latest": latest,
        "latest_params": _param_rows(latest.settings) if latest else [],
        "variables": variables.find_all(_texts(latest)) if latest else [],
        "comparison": _comparison(versions, request.GET),
        "links": links,
    }
    return render(request, "prompts/prompt.html", context)


@login_required
@require_POST
def restore_version(request: HttpRequest, pk: int) -> HttpResponse:
    """A new version copying an earlier one; the versions in between stay."""
    prompt = get_object_or_404(_my_prompts(request.user), pk=pk)
    source = _version_or_404(prompt, request.POST.get("version"))
    version = _add_version(
        prompt, note=f"Restored from version {source.number}", **_content_of(source)
    )
    flash.success(request, f"Version {source.number} restored as version {version.number}.")
    return redirect("chat-prompt", pk=prompt.pk)


def _setup_of(conversation: Conversation) -> dict[str, Any]:
    """What a version keeps of a conversation: the visible path's text, every parameter.

    An answer with no text (an error, or only tool calls) has nothing to keep.
    """
    messages = [
        {"role": message.role, "content": message.content}
        for message in conversation.path()
        if message.role == Message.Role.USER
        or (message.role == Message.Role.ASSISTANT and message.content)
    ]
    return {
        "system_prompt": conversation.system_prompt,
        "messages": messages,
        "settings": conversation.settings or params.default_settings(),
    }


def _content_of(version: PromptVersion) -> dict[str, Any]:
    return {
        "system_prompt": version.system_prompt,
        "messages": version.messages,
        "settings": version.settings,
    }


@transaction.atomic
def _add_version(
    prompt: SavedPrompt, *, note: str, system_prompt: str, messages: list, settings: dict
) -> PromptVersion:
    # The update comes first: it locks the prompt's row (the whole database on SQLite)
    # until the end of the transaction, so two saves at once never take one number.
    SavedPrompt.objects.filter(pk=prompt.pk).update(updated_at=timezone.now())
    last = prompt.versions.aggregate(last=Max("number"))["last"] or 0
    return PromptVersion.objects.create(
        prompt=prompt,
        number=last + 1,
        note=note[:NOTE_LENGTH],
        system_prompt=system_prompt,
        messages=messages,
        settings=settings,
    )


@transaction.atomic
def _new_prompt(
    owner: AbstractBaseUser, name: str, source: PromptVersion, note: str, **fields: Any
) -> SavedPrompt:
    """A new prompt of `owner` whose version 1 copies `source`."""
    prompt = SavedPrompt.objects.create(owner=owner, name=name[:NAME_LENGTH], **fields)
    _add_version(prompt, note=note, **_content_of(source))
    return prompt


# --- comparing two versions (the diff helpers are pure) ----------------------------------


@dataclass(frozen=True)
class Comparison:
    old: PromptVersion
    new: PromptVersion
    rows: list[textdiff.DiffRow]
    params: list[tuple[str, str, str]]  # (label, old value, new value) of those that differ

    @property
    def text_changed(self) -> bool:
        return any(row.kind != "equal" for row in self.rows)


def _comparison(versions: list[PromptVersion], query: Mapping[str, str]) -> Comparison | None:
    """The two versions chosen with ?from=&to= (by default the last two), compared."""
    if len(versions) < 2:
        return None
    by_number = {version.number: version for version in versions}
    old = by_number.get(_positive_int(query.get("from")), versions[1])
    new = by_number.get(_positive_int(query.get("to")), versions[0])
    return Comparison(
        old,
        new,
        textdiff.diff_rows(_lines(old), _lines(new)),
        param_changes(old.settings, new.settings),
    )


def _lines(version: PromptVersion) -> list[tuple[str, str]]:
    """A version as (kind, text) lines: a heading per part, then its text line by line."""
    parts = [("System prompt", version.system_prompt)] if version.system_prompt else []
    parts += [(ROLE_LABELS.get(m["role"], m["role"]), m["content"]) for m in _messages_of(version)]
    lines = []
    for heading, text in parts:
        lines.append(("heading", heading))
        lines += [("text", line) for line in (text.splitlines() or [""])]
    return lines


def param_changes(old: dict, new: dict) -> list[tuple[str, str, str]]:
    """(label, old, new) of each parameter that differs, as the panel would show it.

    >>> param_changes({"temperature": 1.0}, {"temperature": 0.2, "top_p": None})
    [('Temperature', '1', '0.2')]
    """
    old_values, new_values = params.form_values(old), params.form_values(new)
    return [
        (param.label, old_values[name] or "unset", new_values[name] or "unset")
        for name, param in params.PARAMS.items()
        if old.get(name) != new.get(name)
    ]


def _param_rows(settings: dict) -> list[tuple[str, str]]:
    """(label, value) of every parameter that is set."""
    values = params.form_values(settings)
    return [
        (param.label, values[name])
        for name, param in params.PARAMS.items()
        if settings.get(name) is not None
    ]


# --- running with variables ----------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def run_prompt(request: HttpRequest, pk: int) -> HttpResponse:
    """Ask for the variables' values, then open a new conversation with them filled in.

    The last message, when it is the user's, is sent at once (the page opens streaming);
    earlier messages become the conversation's path as they are.
    """
    prompt = get_object_or_404(_my_prompts(request.user), pk=pk)
    version = _version_or_404(prompt, request.POST.get("version") or request.GET.get("version"))
    names = variables.find_all(_texts(version))
    if request.method == "GET":
        last = _last_values(prompt)
        values = {name: str(last.get(name, "")) for name in names}
        return _run_form(request, prompt, version, values)
    values = {name: request.POST.get(f"var-{name}", "").replace("\r\n", "\n") for name in names}
    blank = [name for name in names if not values[name].strip()]
    if blank:
        error = "Give a value for " + ", ".join(blank) + ". Nothing was sent."
        return _run_form(request, prompt, version, values, error=error, blank=blank)
    conversation = _start_run(request, prompt, version, values)
    return redirect("chat-conversation", pk=conversation.pk)


def _run_form(
    request: HttpRequest,
    prompt: SavedPrompt,
    version: PromptVersion,
    values: dict[str, str],
    error: str = "",
    blank: list[str] | None = None,
) -> HttpResponse:
    messages = _messages_of(version)
    context = {
        "prompt": prompt,
        "version": version,
        "fields": [(name, value, name in (blank or [])) for name, value in values.items()],
        "error": error,
        "last_is_user": bool(messages) and messages[-1]["role"] == "user",
    }
    return render(request, "prompts/run.html", context, status=400 if error else 200)


def _start_run(
    request: HttpRequest, prompt: SavedPrompt, version: PromptVersion, values: dict[str, str]
) -> Conversation:
    messages = [
        {"role": m["role"], "content": variables.substitute(m["content"], values)}
        for m in _messages_of(version)
    ]
    settings = {**params.default_settings(), **(version.settings or {})}
    first_prompt = next((m["content"] for m in messages if m["role"] == "user"), "")
    with transaction.atomic():
        prompt.last_values = {**_last_values(prompt), **values}
        prompt.save(update_fields=["last_values"])
        conversation = Conversation.objects.create(
            owner=request.user,
            title=title_from_prompt(first_prompt)[:200] or prompt.name,
            system_prompt=variables.substitute(version.system_prompt, values),
            settings=settings,
        )
        to_send = messages.pop() if messages and messages[-1]["role"] == "user" else None
        leaf = _save_path(conversation, messages)
    if to_send is not None:
        provider = upstreams.for_conversation(conversation, web.server_address(request))
        # generation.start cuts the generation loose from this request's context.
        async_to_sync(actions.send_prompt)(
            conversation, to_send["content"], settings, provider, leaf
        )
    return conversation


def _save_path(conversation: Conversation, messages: list[dict]) -> Message | None:
    """The messages as the conversation's path, each the child of the one before."""
    leaf = None
    for message in messages:
        leaf = Message.objects.create(
            conversation=conversation,
            parent=leaf,
            role=message["role"],
            content=message["content"],
            status=Message.Status.COMPLETE,
        )
    if leaf is not None:
        conversation.current_leaf = leaf
        conversation.started_at = timezone.now()
        conversation.save(update_fields=["current_leaf", "started_at", "updated_at"])
    return leaf


def _messages_of(version: PromptVersion) -> list[dict[str, str]]:
    return [
        {"role": m["role"], "content": str(m.get("content") or "")}
        for m in (version.messages or [])
        if isinstance(m, dict) and m.get("role") in ROLE_LABELS
    ]


def _last_values(prompt: SavedPrompt) -> dict[str, str]:
    return prompt.last_values if isinstance(prompt.last_values, dict) else {}


def _texts(version: PromptVersion) -> list[str]:
    return [version.system_prompt, *(m["content"] for m in _messages_of(version))]


# --- the library -------------------------------------------------------------------------


@login_required
@require_GET
def prompt_library(request: HttpRequest) -> HttpResponse:
    """The person's prompts, newest first; searched with ?q=, filtered with ?tag=."""
    q = " ".join(request.GET.get("q", "").split())[:MAX_QUERY_LENGTH]
    tag = " ".join(request.GET.get("tag", "").split())
    everything = list(
        _my_prompts(request.user)
        .annotate(
            latest_at=Max("versions__created_at"),
            latest_id=Subquery(
                PromptVersion.objects.filter(prompt=OuterRef("pk"))
                .order_by("-number")
                .values("id")[:1]
            ),
        )
        .order_by("-updated_at", "-id")
    )
    for prompt in everything:
        prompt.tag_list = tag_list(prompt.tags)
    rows = [p for p in everything if not tag or tag.casefold() in _folded(p.tag_list)]
    if q:
        rows = _matching(rows, q)
    context = {
        "rows": rows,
        "q": q,
        "tag": tag,
        "all_tags": sorted({t for p in everything for t in p.tag_list}, key=str.casefold),
        "has_prompts": bool(everything),
    }
    return render(request, "prompts/library.html", context)


def _matching(rows: list[SavedPrompt], q: str) -> list[SavedPrompt]:
    """The prompts whose name, tags or latest version hold every word of q (any case).

    Matched here rather than in SQL: a library is one person's, and the messages are
    JSON, whose text in the database also holds keys and escaped characters.
    """
    words = list(dict.fromkeys(word.casefold() for word in q.split()))[:MAX_QUERY_WORDS]
    latest = PromptVersion.objects.in_bulk([row.latest_id for row in rows if row.latest_id])
    found = []
    for row in rows:
        texts = [row.name, row.tags]
        if version := latest.get(row.latest_id):
            texts += _texts(version)
        haystack = "\n".join(texts).casefold()
        if all(word in haystack for word in words):
            found.append(row)
    return found


def _folded(tags: list[str]) -> set[str]:
    return {tag.casefold() for tag in tags}


@login_required
@require_POST
def duplicate_prompt(request: HttpRequest, pk: int) -> HttpResponse:
    prompt = get_object_or_404(_my_prompts(request.user), pk=pk)
    source = _version_or_404(prompt, None)
    copy = _new_prompt(
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
def delete_prompt(request: HttpRequest, pk: int) -> HttpResponse:
    """Ask first; then the prompt goes for good, with its versions and share links."""
    prompt = get_object_or_404(_my_prompts(request.user), pk=pk)
    if request.method == "GET":
        return render(request, "prompts/delete_confirm.html", {"prompt": prompt})
    prompt.delete()
    flash.success(request, f"Deleted “{prompt.name}”.")
    return redirect("chat-prompts")


# --- sharing ---------------------------------------------------------------------------


@login_required
@require_POST
def share_prompt(request: HttpRequest, pk: int) -> HttpResponse:
    """A read-only link to the latest version; later versions do not change what it shows."""
    prompt = get_object_or_404(_my_prompts(request.user), pk=pk)
    version = _version_or_404(prompt, None)
    PromptShareLink.objects.create(owner=request.user, prompt=prompt, version=version)
    flash.success(request, f"Share link created for version {version.number}: copy it below.")
    return redirect(reverse("chat-prompt", args=[prompt.pk]) + "#share-links")


@login_required
@require_POST
def revoke_prompt_share(request: HttpRequest, token: str) -> HttpResponse:
    links = PromptShareLink.objects.filter(
        owner_id=request.user.pk, prompt__owner_id=request.user.pk
    )
    link = get_object_or_404(links, token=token)
    if link.revoked_at is None:
        link.revoked_at = timezone.now()
        link.save(update_fields=["revoked_at"])
    flash.success(request, "Revoked: the link no longer opens.")
    return redirect(reverse("chat-prompt", args=[link.prompt_id]) + "#share-links")


@require_GET
def shared_prompt(request: HttpRequest, token: str) -> HttpResponse:
    """The public, read-only page of a live link: the version, nothing else of the owner."""
    link = _live_link(token)
    context = {
        "token": token,
        "name": link.prompt.name,
        "version": link.version,
        "parameters": _param_rows(link.version.settings),
    }
    response = render(request, "prompts/shared.html", context)
    for name, value in PUBLIC_HEADERS.items():
        response.headers[name] = value
    return response


@login_required
@require_http_methods(["GET", "POST"])
def copy_shared_prompt(request: HttpRequest, token: str) -> HttpResponse:
    """Copy a shared version into the reader's library as a new prompt.

    The shared page links here rather than posting: it sends no referrer, so browsers
    send `Origin: null` with its forms, which the CSRF check rightly refuses.
    """
    link = _live_link(token)
    if request.method == "GET":
        context = {"token": token, "name": link.prompt.name}
        return render(request, "prompts/copy_shared.html", context)
    copy = _new_prompt(
        request.user, link.prompt.name, link.version, note="Copied from a share link"
    )
    flash.success(request, "This prompt is now in your library.")
    return redirect("chat-prompt", pk=copy.pk)


def _live_link(token: str) -> PromptShareLink:
    return get_object_or_404(
        PromptShareLink.objects.select_related("prompt", "version"),
        token=token,
        revoked_at__isnull=True,
    )


# --- shared helpers -----------------------------------------------------------------------


def _my_prompts(user: AbstractBaseUser) -> QuerySet[SavedPrompt]:
    """What a person may open: their own prompts. Anyone else's is a 404."""
    return SavedPrompt.objects.filter(owner_id=user.pk)


def _version_or_404(prompt: SavedPrompt, number: str | None) -> PromptVersion:
    """The version numbered `number`, or the latest when it is not given."""
    versions = prompt.versions.order_by("-number")
    if not number:
        version = versions.first()
    else:
        version = versions.filter(number=_positive_int(number) or 0).first()
    if version is None:
        raise Http404("No such version of this prompt.")
    return version


def _positive_int(raw: str | None) -> int | None:
    try:
        value = int(raw or "")
    except ValueError:
        return None
    return value if 0 < value < _MAX_INT else None
