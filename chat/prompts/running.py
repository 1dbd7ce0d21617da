"""Running a version: its {{variables}} filled in, opened as a new conversation.

Earlier messages become the conversation's path as they are; the last, when it is the
user's, is sent at once, so the page opens streaming.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from asgiref.sync import async_to_sync
from django.db import transaction
from django.http import QueryDict
from django.utils import timezone

from chat.api import params
from chat.conversations import actions, attachments
from chat.models import (
    Attachment,
    Conversation,
    Message,
    PromptVersion,
    SavedPrompt,
    title_from_prompt,
)
from chat.prompts import variables
from chat.prompts.versions import indexed_messages, messages_of, texts
from chat.providers import upstreams

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def names(version: PromptVersion) -> list[str]:
    """The version's variables, each once, in order."""
    return variables.find_all(texts(version))


def last_values(prompt: SavedPrompt) -> dict[str, str]:
    """The values given last time, to prefill the form with."""
    return prompt.last_values if isinstance(prompt.last_values, dict) else {}


def prefilled(prompt: SavedPrompt, version: PromptVersion) -> dict[str, str]:
    last = last_values(prompt)
    return {name: str(last.get(name, "")) for name in names(version)}


def posted(version: PromptVersion, data: QueryDict) -> dict[str, str]:
    """The values typed in the form (`var-<name>`), with the browser's line ends undone."""
    return {name: data.get(f"var-{name}", "").replace("\r\n", "\n") for name in names(version)}


def blank(values: dict[str, str]) -> list[str]:
    return [name for name, value in values.items() if not value.strip()]


def ends_with_prompt(version: PromptVersion) -> bool:
    """Whether running it sends a prompt at once (its last message is the user's)."""
    messages = messages_of(version)
    return bool(messages) and messages[-1]["role"] == "user"


def start(
    owner: User,
    prompt: SavedPrompt,
    version: PromptVersion,
    values: dict[str, str],
    server: tuple[str, int | None],
) -> Conversation:
    """A new conversation of `owner` with the values filled in and the version's images,
    its last prompt sent."""
    images = attachments.of_version(version)
    messages = [
        Saved(m["role"], variables.substitute(m["content"], values), images.get(index, []))
        for index, m in indexed_messages(version)
    ]
    settings = {**params.default_settings(), **(version.settings or {})}
    first_prompt = next((m.content for m in messages if m.role == "user"), "")
    with transaction.atomic():
        prompt.last_values = {**last_values(prompt), **values}
        prompt.save(update_fields=["last_values"])
        conversation = Conversation.objects.create(
            owner=owner,
            title=title_from_prompt(first_prompt)[:200] or prompt.name,
            system_prompt=variables.substitute(version.system_prompt, values),
            settings=settings,
        )
        to_send = messages.pop() if messages and messages[-1].role == "user" else None
        leaf = _save_path(conversation, messages)
    if to_send is not None:
        provider = upstreams.for_conversation(conversation, server)
        # generation.start cuts the generation loose from this request's context.
        async_to_sync(actions.send_prompt)(
            conversation, to_send.content, settings, provider, leaf, to_send.images
        )
    return conversation


class Saved(NamedTuple):
    """One of the version's messages, its variables filled in."""

    role: str
    content: str
    images: list[Attachment]


def _save_path(conversation: Conversation, messages: list[Saved]) -> Message | None:
    """The messages as the conversation's path, each the child of the one before, each
    with copies of its images."""
    leaf = None
    for message in messages:
        leaf = Message.objects.create(
            conversation=conversation,
            parent=leaf,
            role=message.role,
            content=message.content,
            status=Message.Status.COMPLETE,
        )
        if message.images and message.role == Message.Role.USER:
            attachments.attach(leaf, message.images)
    if leaf is not None:
        conversation.current_leaf = leaf
        conversation.started_at = timezone.now()
        conversation.save(update_fields=["current_leaf", "started_at", "updated_at"])
    return leaf
