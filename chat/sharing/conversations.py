"""What a conversation's share link keeps: its visible path as it is now, as plain data
for the snapshot (chat.sharing.snapshot decides what of it a stranger may see), and the
title it shows."""

from __future__ import annotations

from typing import Any, cast

from chat.conversations import cards
from chat.conversations.tree import Node
from chat.models import Conversation, Message, title_from_prompt
from chat.sharing import snapshot

# What a conversation with no title is called (Conversation.display_title).
UNTITLED = "New conversation"


def take_snapshot(conversation: Conversation, include_reasoning: bool) -> dict[str, Any]:
    steps = [
        {
            "user": _plain(step.user) if step.user else None,
            "choices": [_plain(m) for m in step.choices],
            "chosen": next(
                (i for i, m in enumerate(step.choices) if step.chosen and m.pk == step.chosen.pk),
                0,
            ),
        }
        for step in conversation.steps()
    ]
    return snapshot.build(
        title=shared_title(conversation, steps),
        system_prompt=conversation.system_prompt,
        settings=conversation.settings or {},
        steps=steps,
        include_reasoning=include_reasoning,
    )


def shared_title(conversation: Conversation, steps: list[dict[str, Any]]) -> str:
    """The title a share shows: one the person typed is theirs to share; an automatic
    one is made again from the first prompt the share shows.

    A conversation is titled from its first prompt when that is sent, and the title
    stays when the prompt is edited: shared as it is, it would tell a stranger the
    words that were edited away. A title the automatic rule makes of any of the
    conversation's prompts counts as automatic (the person cannot have meant to
    share a prompt's words that the share does not show).
    """
    prompts = conversation.messages.filter(role=Message.Role.USER).values_list("content", flat=True)
    if conversation.title and conversation.title not in {title_from_prompt(p) for p in prompts}:
        return conversation.title
    shown = next((step["user"]["content"] for step in steps if step["user"]), "")
    return title_from_prompt(shown) or UNTITLED


def _plain(node: Node) -> dict[str, Any]:
    message = _message(node)
    data = {
        name: getattr(message, name)
        for name in (*snapshot.ANSWER_FIELDS, "reasoning", "tool_results")
    }
    data["timings"] = {name: getattr(message, name) for name in snapshot.TIMINGS}
    if message.role == Message.Role.ASSISTANT:
        data["sent"] = cards.sent_settings(message)
        data["metrics"] = cards.metrics(message)
    else:
        data["images"] = [
            {name: getattr(image, name) for name in snapshot.IMAGE_FIELDS}
            for image in message.attachments.all()
        ]
    return data


def _message(node: Node) -> Message:
    # Conversation.tree() is built from the conversation's Message rows, so each node
    # is one; the pure tree only knows them by its Node protocol.
    return cast(Message, node)
