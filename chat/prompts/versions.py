"""A person's prompts and their versions: finding them, and adding a version.

A version is a conversation's setup at one moment: its system prompt, the messages of
the visible path and every parameter. Versions are never edited; saving again,
restoring and copying all add one. A person opens only their own prompts: anyone
else's is a 404.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypedDict

from django.db import transaction
from django.db.models import Max, QuerySet
from django.http import Http404
from django.utils import timezone

from chat.api import params
from chat.conversations import attachments
from chat.models import Attachment, Conversation, Message, PromptVersion, SavedPrompt
from chat.prompts.forms import MAX_INT, NAME_LENGTH, NOTE_LENGTH

if TYPE_CHECKING:
    from django.contrib.auth.models import User

ROLE_LABELS = {"user": "User", "assistant": "Assistant"}


class Setup(TypedDict):
    """What a version keeps, as PromptVersion's fields of the same names, and the images
    of its messages by their index."""

    system_prompt: str
    messages: list[dict[str, str]]
    settings: dict[str, Any]
    images: Mapping[int, Sequence[Attachment]]


def my_prompts(user: User) -> QuerySet[SavedPrompt]:
    """What a person may open: their own prompts. Anyone else's is a 404."""
    return SavedPrompt.objects.filter(owner_id=user.pk)


def version_or_404(prompt: SavedPrompt, number: str | None) -> PromptVersion:
    """The version numbered `number`, or the latest when it is not given."""
    versions = prompt.versions.order_by("-number")
    if not number:
        version = versions.first()
    else:
        version = versions.filter(number=positive_int(number) or 0).first()
    if version is None:
        raise Http404("No such version of this prompt.")
    return version


def positive_int(raw: str | None) -> int | None:
    try:
        value = int(raw or "")
    except ValueError:
        return None
    return value if 0 < value < MAX_INT else None


def setup_of(conversation: Conversation) -> Setup:
    """What a version keeps of a conversation: the visible path's text and images, every
    parameter.

    An answer with no text (an error, or only tool calls) has nothing to keep.
    """
    kept = [
        message
        for message in conversation.path()
        if message.role == Message.Role.USER
        or (message.role == Message.Role.ASSISTANT and message.content)
    ]
    found = attachments.of_messages(m.pk for m in kept if m.role == Message.Role.USER)
    return {
        "system_prompt": conversation.system_prompt,
        "messages": [{"role": m.role, "content": m.content} for m in kept],
        "settings": conversation.settings or params.default_settings(),
        "images": {index: found[m.pk] for index, m in enumerate(kept) if m.pk in found},
    }


def content_of(version: PromptVersion) -> Setup:
    return {
        "system_prompt": version.system_prompt,
        "messages": version.messages,
        "settings": version.settings,
        "images": attachments.of_version(version),
    }


@transaction.atomic
def add_version(
    prompt: SavedPrompt,
    *,
    note: str,
    system_prompt: str,
    messages: list[dict[str, str]],
    settings: dict[str, Any],
    images: Mapping[int, Sequence[Attachment]] | None = None,
) -> PromptVersion:
    """The prompt's next version; its images are copies (the files are shared), so the
    conversation or version they came from may go without taking them."""
    # The update comes first: it locks the prompt's row (the whole database on SQLite)
    # until the end of the transaction, so two saves at once never take one number.
    SavedPrompt.objects.filter(pk=prompt.pk).update(updated_at=timezone.now())
    last = prompt.versions.aggregate(last=Max("number"))["last"] or 0
    version = PromptVersion.objects.create(
        prompt=prompt,
        number=last + 1,
        note=note[:NOTE_LENGTH],
        system_prompt=system_prompt,
        messages=messages,
        settings=settings,
    )
    for index, found in (images or {}).items():
        for position, attachment in enumerate(found):
            attachments.copy_to_version(attachment, version, index, position)
    return version


@transaction.atomic
def new_prompt(
    owner: User, name: str, source: PromptVersion, note: str, **fields: Any
) -> SavedPrompt:
    """A new prompt of `owner` whose version 1 copies `source`."""
    prompt = SavedPrompt.objects.create(owner=owner, name=name[:NAME_LENGTH], **fields)
    add_version(prompt, note=note, **content_of(source))
    return prompt


def messages_of(version: PromptVersion) -> list[dict[str, str]]:
    """The version's messages as saved, leaving out anything that is not one."""
    return [message for _, message in indexed_messages(version)]


def indexed_messages(version: PromptVersion) -> list[tuple[int, dict[str, str]]]:
    """The version's messages, each with its index among those saved (its images')."""
    return [
        (index, {"role": m["role"], "content": str(m.get("content") or "")})
        for index, m in enumerate(version.messages or [])
        if isinstance(m, dict) and m.get("role") in ROLE_LABELS
    ]


def shown(
    messages: list[dict[str, str]], images: Mapping[int, Sequence[Attachment]]
) -> list[dict[str, Any]]:
    """Messages as pages show them: role, content and the images of each."""
    return [{**m, "images": list(images.get(index, ()))} for index, m in enumerate(messages)]


def shown_version(version: PromptVersion) -> list[dict[str, Any]]:
    images = attachments.of_version(version)
    return [{**m, "images": images.get(index, [])} for index, m in indexed_messages(version)]


def texts(version: PromptVersion) -> list[str]:
    """Every text of a version, where variables are looked for and searches look."""
    return [version.system_prompt, *(m["content"] for m in messages_of(version))]


def param_rows(settings: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, value) of every parameter that is set."""
    values = params.form_values(settings)
    return [
        (param.label, values[name])
        for name, param in params.PARAMS.items()
        if settings.get(name) is not None
    ]
