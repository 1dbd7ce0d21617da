"""What a conversation's socket sends to bring a page up to date: the turns that changed,
the answers that ended, the title input and the conversation's cost."""

from __future__ import annotations

from channels.db import database_sync_to_async
from django.template.loader import render_to_string
from django.utils.safestring import SafeString

from chat.conversations import cards, tree
from chat.conversations.forwarding import partial, shown_for
from chat.models import Conversation, Message
from chat.pricing import prices

PAGE = "conversations/conversation.html"


@database_sync_to_async
def render_changes(
    conversation: Conversation, shown_turns: list[str] | None, ended: set[int], *, staff: bool
) -> tuple[str, SafeString, list[str], dict[int, list[int]]]:
    """The partials that bring a page showing `shown_turns` (turn signatures; None:
    unknown) to the conversation's path now, re-rendering the turns of `ended` answers;
    the path's signatures now; and the streaming text each rendered card shows."""
    steps = conversation.steps()
    now = [step.signature for step in steps]
    table = prices.table()
    turns = cards.turns(steps, table)
    title = render_to_string(f"{PAGE}#title-input", {"conversation": conversation})
    # The conversation's cost moves whenever an answer ends: sent with every render.
    cost = partial(
        "#conversation-cost",
        "outerHTML",
        render_to_string(
            f"{PAGE}#conversation-cost",
            {
                "conversation_cost": prices.conversation_total_text(conversation.pk, table),
                "staff": staff,
            },
        ),
    )
    if shown_turns is None:
        html = partial(
            "#messages", "innerHTML", render_to_string(f"{PAGE}#messages", {"turns": turns})
        )
        return html + cost, title, now, streaming_text(steps)
    same = tree.changed_from(shown_turns, now)
    parts = [
        partial(f"#turn-{signature.partition('|')[0]}", "delete", SafeString(""))
        for signature in shown_turns[same:]
    ]
    rendered = []
    for index, turn in enumerate(turns):
        if index >= same:
            rendered.append(steps[index])
            html = render_to_string(f"{PAGE}#turn", {"turn": turn})
            parts.append(partial("#turns", "beforeend", html))
            continue
        # An unchanged turn: only its answers that ended, and those whose tool calls
        # gain or lose their result boxes as the turn stops or starts being the last.
        moved = turn.last != (index == len(shown_turns) - 1)
        for card in turn.cards:
            if card["message"].pk in ended or (moved and card["message"].tool_calls):
                html = render_to_string(f"{PAGE}#assistant-card", card)
                parts.append(partial(f"#message-{card['message'].pk}", "outerHTML", html))
    return "".join(parts) + cost, title, now, streaming_text(rendered)


def streaming_text(steps: list) -> dict[int, list[int]]:
    """Streaming text rendered so far, so later deltas and renders go to the right place."""
    return {
        m.pk: shown_for(m.reasoning, m.content)
        for step in steps
        for m in step.choices
        if m.status == Message.Status.STREAMING
    }
