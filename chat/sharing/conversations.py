"""What a conversation's share link keeps: its visible path as it is now, as plain data
for the snapshot (chat.sharing.snapshot decides what of it a stranger may see), and the
title it shows."""

from __future__ import annotations

from typing import Any, cast

from chat.conversations import cards
from chat.conversations.forwarding import shown_for
from chat.conversations.tree import Node
from chat.models import Conversation, Message, ShareLink, title_from_prompt
from chat.sharing import snapshot

# What a conversation with no title is called (Conversation.display_title).
UNTITLED = "New conversation"


def take_snapshot(conversation: Conversation, include_reasoning: bool) -> dict[str, Any]:
    return _snapshot_and_answers(conversation, include_reasoning)[0]


def live_snapshot(
    conversation: Conversation, include_reasoning: bool, live_ids: dict[int, int]
) -> tuple[dict[str, Any], dict[int, list[int]]]:
    """A "Live" link's page: the snapshot of the path as it is now, each streaming answer
    marked with its `live_id`, the number the page's panes are known by (never the
    database id); and per streaming message, what its panes were rendered from
    (chat.conversations.forwarding appends and renders from there).

    `live_ids` maps message ids to those numbers; new ones are added to it, so a socket
    that renders again keeps each answer's number."""
    shared, answers = _snapshot_and_answers(conversation, include_reasoning)
    shown: dict[int, list[int]] = {}
    for step, messages in zip(shared["steps"], answers, strict=True):
        for answer, message in zip(step["choices"], messages, strict=True):
            if message.status != Message.Status.STREAMING or message.is_stale:
                continue
            answer["live_id"] = live_ids.setdefault(message.pk, len(live_ids) + 1)
            shown[message.pk] = shown_for(message.reasoning, message.content)
    return shared, shown


def shown_snapshot(link: ShareLink) -> dict[str, Any]:
    """What a link's page shows: the conversation now for a "Live" link, else the
    snapshot taken at its last update."""
    if link.live:
        return live_snapshot(link.conversation, link.include_reasoning, {})[0]
    return dict(link.snapshot)


def _snapshot_and_answers(
    conversation: Conversation, include_reasoning: bool
) -> tuple[dict[str, Any], list[list[Message]]]:
    path = conversation.steps()
    steps = [
        {
            "user": _plain(step.user) if step.user else None,
            "choices": [_plain(m) for m in step.choices],
            "chosen": next(
                (i for i, m in enumerate(step.choices) if step.chosen and m.pk == step.chosen.pk),
                0,
            ),
        }
        for step in path
    ]
    shared = snapshot.build(
        title=shared_title(conversation, steps),
        system_prompt=conversation.system_prompt,
        settings=conversation.settings or {},
        steps=steps,
        include_reasoning=include_reasoning,
    )
    return shared, [[_message(m) for m in step.choices] for step in path]


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
