"""What a conversation's share link keeps: its visible path as it is now, as plain data
for the snapshot (chat.sharing.snapshot decides what of it a stranger may see)."""

from __future__ import annotations

from typing import Any, cast

from chat.conversations import cards
from chat.conversations.tree import Node
from chat.models import Conversation, Message
from chat.sharing import snapshot


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
        title=conversation.display_title,
        system_prompt=conversation.system_prompt,
        settings=conversation.settings or {},
        steps=steps,
        include_reasoning=include_reasoning,
    )


def _plain(node: Node) -> dict[str, Any]:
    message = _message(node)
    data = {name: getattr(message, name) for name in (*snapshot.ANSWER_FIELDS, "reasoning")}
    data["timings"] = {name: getattr(message, name) for name in snapshot.TIMINGS}
    if message.role == Message.Role.ASSISTANT:
        data["sent"] = cards.sent_settings(message)
        data["metrics"] = cards.metrics(message)
    return data


def _message(node: Node) -> Message:
    # Conversation.tree() is built from the conversation's Message rows, so each node
    # is one; the pure tree only knows them by its Node protocol.
    return cast(Message, node)
