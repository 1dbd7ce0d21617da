"""A comparison's prompt path beyond its text: each prompt's images and the tool turns
(an assistant's tool calls with the reasoning that led to them, the results sent back).

A message of the path, as Comparison.messages keeps it and the builder reads it:

    {"role": "user", "content": "What is it?", "images": ["3f2a…"]}
    {"role": "assistant", "content": "", "tool_calls": [...], "reasoning": "…"}
    {"role": "tool", "content": "", "tool_results": [{"tool_call_id", "name", "content"}]}

Images are named by attachment keys (chat.models.Attachment), never by their data. The
builder carries these fields in hidden inputs (`message-<i>-image`, repeated, and
`message-<i>-tool_calls`, `-reasoning`, `-tool_results`) and shows them read-only: a
person edits the text of a turn, never what a model or a tool sent.

Pure: no Django, no I/O.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

ROLES = ("user", "assistant", "tool")
# The JSON hidden fields, and the Message fields of the same names.
JSON_FIELDS = ("tool_calls", "tool_results")
MAX_TURN_JSON_CHARS = 200_000
# Keys are secrets.token_hex(16): checking their shape keeps junk out of queries.
_KEY_CHARS = frozenset("0123456789abcdef")


def read_extras(data: Mapping[str, object], index: int) -> dict[str, Any]:
    """What message `index` of a submission carries beyond role and content; a field
    that does not read back is kept as its text, for `problems` to name.

    >>> read_extras({"message-0-image": ["ab" * 16], "message-0-reasoning": "Hm"}, 0)
    {'images': ['abababababababababababababababab'], 'reasoning': 'Hm'}
    """
    prefix = f"message-{index}-"
    extras: dict[str, Any] = {}
    images = keys_of(data.get(prefix + "image"))
    if images:
        extras["images"] = images
    for name in JSON_FIELDS:
        text = _text(data.get(prefix + name)).strip()
        if text:
            extras[name] = _loaded(text)
    reasoning = _text(data.get(prefix + "reasoning")).replace("\r\n", "\n")
    if reasoning:
        extras["reasoning"] = reasoning
    return extras


def keys_of(value: object) -> list[str]:
    """Attachment keys a form sent (one field, repeated or absent), in order; anything
    not shaped like a key is left out.

    >>> keys_of(["ab" * 16, "nonsense", ""])
    ['abababababababababababababababab']
    """
    values = value if isinstance(value, list) else [value] if value else []
    return [str(v) for v in values if len(str(v)) == 32 and set(str(v)) <= _KEY_CHARS]


def hidden_fields(message: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The hidden inputs that carry a message's tool turn: (name suffix, value)."""
    fields = [(name, json.dumps(message[name])) for name in JSON_FIELDS if message.get(name)]
    if message.get("tool_calls") and message.get("reasoning"):
        fields.append(("reasoning", str(message["reasoning"])))
    return fields


def image_keys(messages: Sequence[Mapping[str, Any]]) -> list[str]:
    """Every image key of the path, in order."""
    return [key for message in messages for key in message.get("images") or []]


def is_turn(message: Mapping[str, Any]) -> bool:
    """Whether a message is a tool turn (its text alone is not all of it)."""
    return bool(message.get("tool_calls")) or message.get("role") == "tool"


def problems(messages: Sequence[Mapping[str, Any]], max_images: int) -> dict[str, str]:
    """What the API would refuse in the path's images and tool turns, by field.

    A tool message must answer the calls of the assistant message just before it, by
    their ids; images go with the person's prompts only, at most `max_images` each.
    """
    errors: dict[str, str] = {}
    calls: list[str] | None = None  # the ids the message before asked for
    for number, message in enumerate(messages, start=1):
        key = f"message-{number - 1}-content"
        problem = _problem(message, number, calls, max_images)
        if problem:
            errors[key] = problem
        tool_calls = message.get("tool_calls")
        calls = _call_ids(tool_calls) if message.get("role") == "assistant" else None
    return errors


def _problem(
    message: Mapping[str, Any], number: int, calls: list[str] | None, max_images: int
) -> str | None:
    role = message.get("role")
    images = message.get("images") or []
    if images and role != "user":
        return f"Message {number}: only your own messages can carry images."
    if len(images) > max_images:
        return f"Message {number} carries {len(images)} images; at most {max_images}."
    if len(set(images)) != len(images):
        return f"Message {number}: the same image is attached twice."
    tool_calls = message.get("tool_calls")
    if tool_calls is not None and (role != "assistant" or _call_ids(tool_calls) is None):
        return f"Message {number}: its tool calls could not be read."
    results = message.get("tool_results")
    if role == "tool":
        if not _is_results(results):
            return f"Message {number}: its tool results could not be read."
        if calls is None:
            return f"Message {number}: tool results must follow the tool calls they answer."
        if [str(r.get("tool_call_id")) for r in results or []] != calls:
            return f"Message {number}: the tool results do not answer the calls before them."
    elif results is not None:
        return f"Message {number}: only a tool message holds tool results."
    return None


def _call_ids(tool_calls: object) -> list[str] | None:
    """The ids of well-formed tool calls, or None when they are not."""
    if not isinstance(tool_calls, list) or not tool_calls:
        return None
    ids = []
    for call in tool_calls:
        function = call.get("function") if isinstance(call, dict) else None
        if not (
            isinstance(function, dict)
            and isinstance(call.get("id"), str)
            and isinstance(function.get("name"), str)
            and isinstance(function.get("arguments"), str)
        ):
            return None
        ids.append(call["id"])
    return ids


def _is_results(results: object) -> bool:
    return (
        isinstance(results, list)
        and bool(results)
        and all(
            isinstance(r, dict) and isinstance(r.get("tool_call_id"), str) and "content" in r
            for r in results
        )
    )


def _loaded(text: str) -> object:
    if len(text) > MAX_TURN_JSON_CHARS:
        return text
    try:
        return json.loads(text)
    except ValueError:
        return text  # not JSON: problems() says so


def _text(value: object) -> str:
    if isinstance(value, list):
        value = value[-1] if value else ""
    return "" if value is None else str(value)
