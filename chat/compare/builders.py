"""A new comparison's builder, prefilled from where a person starts: a conversation's
visible path, a saved prompt's version, an earlier comparison ("Edit as new"), or blank
with the latest settings; and whether the builder's images are the person's to send."""

from __future__ import annotations

from django.contrib.auth.models import User

from chat.api import params
from chat.compare import form, turns
from chat.conversations import attachments
from chat.models import Attachment, Comparison, Conversation, Message, PromptVersion


def builder_from(
    user: User,
    *,
    conversation: Conversation | None = None,
    version: PromptVersion | None = None,
    comparison: Comparison | None = None,
) -> form.Builder:
    """A new comparison's builder: from a conversation's visible path, a saved prompt's
    version, an earlier comparison ("Edit as new"), or blank with the latest settings."""
    builder = form.Builder()
    if comparison is not None:
        builder.title = comparison.title
        builder.system_prompt = comparison.system_prompt
        builder.messages = [dict(m) for m in comparison.messages] or builder.messages
        builder.columns = [form.Column.from_settings(c) for c in comparison.columns]
        rows = list((comparison.sweep or {}).get("params") or [])[: len(form.SWEEP_ROWS)]
        for slot, row in zip(builder.sweep, rows, strict=False):
            slot.update(name=str(row.get("name") or ""), values=str(row.get("values") or ""))
        builder.repeats_text = str(comparison.repeats)
        return builder
    if conversation is not None:
        builder.system_prompt = conversation.system_prompt
        builder.messages = _prompt_path(conversation.path()) or builder.messages
        start = conversation.settings or params.default_settings()
    elif version is not None:
        builder.system_prompt = version.system_prompt
        builder.messages = _version_messages(version) or builder.messages
        if builder.messages[-1]["role"] != "user":
            builder.messages.append({"role": "user", "content": ""})
        start = version.settings or params.default_settings()
    else:
        latest = Conversation.objects.owned_by(user).filter(hidden=False).first()
        start = latest.settings if latest and latest.settings else params.default_settings()
    start = {k: v for k, v in start.items() if k in params.PARAMS}
    builder.columns = [form.Column.from_settings(start)]
    return builder


def _prompt_path(path: list[Message]) -> list[dict[str, object]]:
    """The path up to its last prompt (or the tool results that end it): the answer
    after it is what the columns redo. Prompts keep their images, and tool calls the
    reasoning that led to them, as the next request sends them (tree.api_messages)."""
    found = attachments.of_messages(m.pk for m in path if m.role == Message.Role.USER)
    messages: list[dict[str, object]] = []
    for m in path:
        entry: dict[str, object] = {"role": m.role, "content": m.content}
        if m.role == Message.Role.USER and m.pk in found:
            entry["images"] = [image.key for image in found[m.pk]]
        elif m.role == Message.Role.ASSISTANT and m.tool_calls:
            entry.update(tool_calls=m.tool_calls, reasoning=m.reasoning)
        elif m.role == Message.Role.TOOL and m.tool_results:
            entry["tool_results"] = m.tool_results
        elif not m.content or m.role not in form.ROLES:
            continue  # an answer that said nothing (an error) is not sent again
        messages.append(entry)
    while messages and messages[-1]["role"] not in ("user", "tool"):
        messages.pop()
    return messages


def _version_messages(version: PromptVersion) -> list[dict[str, object]]:
    """A saved prompt's messages, each with its images (kept by message index)."""
    found = attachments.of_version(version)
    messages: list[dict[str, object]] = []
    for index, m in enumerate(version.messages or []):
        if not (isinstance(m, dict) and m.get("role") in form.ROLES):
            continue
        entry: dict[str, object] = {"role": str(m["role"]), "content": str(m.get("content") or "")}
        if m["role"] == "user" and index in found:
            entry["images"] = [image.key for image in found[index]]
        messages.append(entry)
    return messages


def unavailable_images(user: User, builder: form.Builder) -> str | None:
    """Why the builder's images cannot go (one is not the person's to send), or None."""
    keys = set(turns.image_keys(builder.prompt_messages))
    if not keys:
        return None
    visible = Attachment.objects.visible_to(user).filter(key__in=keys)
    return None if set(visible.values_list("key", flat=True)) == keys else attachments.UNAVAILABLE
