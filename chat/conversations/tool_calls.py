"""Tool calls as a card shows them, and the results a person writes for them.

Pure: the card's template and the socket's live updates show calls through `shown`;
the consumer reads the "Send results" form through `read_results`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from chat.api import mending
from chat.conversations.composer import MAX_PROMPT_CHARS


@dataclass(frozen=True)
class ShownCall:
    number: int  # its place in the answer, from 0: the result fields are named by it
    id: str
    name: str
    arguments: str  # as received: while streaming, the JSON so far
    pretty: str | None  # the arguments pretty-printed, once they parse
    error: str | None  # why a finished call's arguments do not parse

    @property
    def label(self) -> str:
        return self.name or "a function still unnamed"


def shown(tool_calls: Sequence[Mapping[str, Any]] | None, *, finished: bool) -> list[ShownCall]:
    """The calls of an answer, pretty-printed where their arguments are complete JSON.

    >>> [c.pretty for c in shown([{"id": "c", "function": {"name": "f",
    ...     "arguments": '{"a":1}'}}], finished=True)]
    ['{\\n  "a": 1\\n}']
    """
    calls = []
    for number, call in enumerate(tool_calls or []):
        function = call.get("function") or {}
        arguments = str(function.get("arguments") or "")
        pretty, error = _pretty(arguments)
        calls.append(
            ShownCall(
                number,
                str(call.get("id") or ""),
                str(function.get("name") or ""),
                arguments,
                pretty,
                error if finished else None,
            )
        )
    return calls


def _pretty(arguments: str) -> tuple[str | None, str | None]:
    if not arguments.strip():
        return None, "No arguments were sent."
    try:
        value = json.loads(arguments)
    except json.JSONDecodeError as exc:
        return None, (
            f"The arguments are not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}."
        )
    return json.dumps(value, indent=2, ensure_ascii=False), None


def result_field(message_pk: int, number: int) -> str:
    return f"result-{message_pk}-{number}"


def failed_field(message_pk: int, number: int) -> str:
    return f"failed-{message_pk}-{number}"


def read_results(
    message_pk: int, tool_calls: Sequence[Mapping[str, Any]], form: Mapping[str, object]
) -> tuple[list[dict[str, Any]], str | None]:
    """The results for each call of answer `message_pk`, in the calls' order, from the
    card's form; or why they cannot be sent (the first problem, naming the call).

    >>> calls = [{"id": "c1", "function": {"name": "f", "arguments": "{}"}}]
    >>> read_results(7, calls, {"result-7-0": "42"})
    ([{'tool_call_id': 'c1', 'name': 'f', 'content': '42', 'failed': False}], None)
    >>> read_results(7, calls, {})[1]
    'Write a result for f (call 1), or tick "This call failed".'
    """
    results = []
    for call in shown(tool_calls, finished=True):
        text = _single(form.get(result_field(message_pk, call.number)))
        failed = _single(form.get(failed_field(message_pk, call.number))) in ("true", "on")
        where = f"{call.label} (call {call.number + 1})"
        if not text.strip() and not failed:
            return [], f'Write a result for {where}, or tick "This call failed".'
        if not mending.is_text(text) or "\x00" in text:
            return [], f"The result for {where} has characters that are not valid text."
        if len(text) > MAX_PROMPT_CHARS:
            return (
                [],
                f"The result for {where} is too long (at most {MAX_PROMPT_CHARS:,} characters).",
            )
        results.append(
            {"tool_call_id": call.id, "name": call.name, "content": text, "failed": failed}
        )
    return results, None


def _single(value: object) -> str:
    # Browsers and hx-ws send repeated fields as lists.
    if isinstance(value, list):
        value = value[-1] if value else ""
    return value if isinstance(value, str) else ""
