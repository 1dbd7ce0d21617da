"""A path through a conversation's saved messages, as the API's `messages` list."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

# Statuses whose text is worth carrying into the next turn.
_USABLE = {"complete", "stopped", "interrupted"}


class _Message(Protocol):
    role: str
    content: str
    reasoning: str
    tool_calls: list | None
    status: str


def api_messages(system_prompt: str, earlier: Iterable[_Message], prompt: str) -> list[dict]:
    """The messages to send for a new prompt after the earlier ones.

    `earlier` is the visible path (one choice of each batch). An assistant's reasoning is
    sent back only with its tool calls (Moonshot rejects a tool-calling message
    without its reasoning_content) and otherwise left out, as the API expects.

    >>> api_messages("Be brief.", [], "Hi")
    [{'role': 'system', 'content': 'Be brief.'}, {'role': 'user', 'content': 'Hi'}]
    """
    messages: list[dict] = []
    if system_prompt.strip():
        messages.append({"role": "system", "content": system_prompt})
    for message in earlier:
        if message.role == "user":
            messages.append({"role": "user", "content": message.content})
        elif message.role == "assistant":
            if message.status not in _USABLE:
                continue
            if not (message.content or message.tool_calls):
                continue
            entry: dict = {"role": "assistant", "content": message.content}
            if message.tool_calls:
                entry["tool_calls"] = message.tool_calls
                entry["reasoning_content"] = message.reasoning
            messages.append(entry)
    messages.append({"role": "user", "content": prompt})
    return messages
