"""Extra request fields: a JSON object merged into the request body as it is.

Providers add fields the documented parameters do not cover: `reasoning_effort`, a
thinking switch, `chat_template_kwargs`, OpenRouter's `reasoning` object. A person
writes them as one JSON object; a key that a documented parameter owns is refused,
naming the field that sets it, so that a body never says two things about one field
and the panel stays where temperature is set:

>>> read_extra('{"reasoning_effort": "high"}', "Extra", {"temperature": "Temperature"})
({'reasoning_effort': 'high'}, None)
>>> read_extra('{"temperature": 2}', "Extra", {"temperature": "Temperature"})[1]
'"temperature" is set by the Temperature field; use it instead.'

Pure: no Django, no I/O.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from chat.api import jsonshape

# Enough for a few providers' switches and a small nested object; a request body is
# not the place for data. Counted on the compact JSON, so indentation costs nothing.
MAX_EXTRA_BYTES = 4096
# What may be typed at all (indented JSON of MAX_EXTRA_BYTES fits many times over).
MAX_EXTRA_TEXT = 64 * 1024
# {"reasoning": {"effort": "high"}} is 2 levels; provider routing objects reach 3 or 4.
MAX_EXTRA_DEPTH = 8
_KEY_SHOWN = 40

# Keys no panel field sets but that are not the person's to set either.
_REFUSED: dict[str, str] = {
    "messages": (
        '"messages" is the conversation itself (its turns, the system prompt and your '
        "message); it cannot be set here."
    ),
    "extra_body": (
        '"extra_body" is how the openai package wraps these fields; write the fields '
        "inside it here directly."
    ),
}


def read_extra(
    raw: object, label: str, owners: Mapping[str, str]
) -> tuple[dict[str, object] | None, str | None]:
    """The extra fields typed (a JSON string) or sent (an object), or (None, message).

    `owners` maps each key a documented parameter owns to that field's label. Empty
    text, null and {} mean no extra fields: (None, None).
    """
    value = raw
    if isinstance(raw, str):
        if not raw.strip():
            return None, None
        if len(raw) > MAX_EXTRA_TEXT:
            return None, f"{label} are too long: at most {MAX_EXTRA_BYTES:,} bytes of JSON."
        try:
            value = json.loads(raw, parse_constant=_refuse_constant)
        except json.JSONDecodeError as exc:
            return None, (
                f"{label} are not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}."
            )
        except ValueError as exc:  # NaN or Infinity, which JSON does not have
            return None, f"{label} are not valid JSON: {exc}."
        except RecursionError:
            return None, _too_deep(label)
    if value is None:
        return None, None
    if not isinstance(value, Mapping):
        return None, (
            f'{label} must be a JSON object, like {{"reasoning_effort": "high"}}, '
            f"not {_json_type(value)}."
        )
    if not value:
        return None, None
    return _checked(dict(value), label, owners)


def _checked(
    value: dict[str, object], label: str, owners: Mapping[str, str]
) -> tuple[dict[str, object] | None, str | None]:
    if jsonshape.depth(value, MAX_EXTRA_DEPTH) > MAX_EXTRA_DEPTH:
        return None, _too_deep(label)
    problem = _text_problem(value)
    if problem:
        return None, f"{label}: {problem}"
    for key in value:
        if key in _REFUSED:
            return None, _REFUSED[key]
        if key in owners:
            return None, f"{_shown(key)} is set by the {owners[key]} field; use it instead."
        if not isinstance(key, str) or not key.strip():
            return None, f"{label}: a field name cannot be empty."
    size = len(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode())
    if size > MAX_EXTRA_BYTES:
        return None, (f"{label} are too long: {size:,} bytes of JSON; at most {MAX_EXTRA_BYTES:,}.")
    return value, None


def _refuse_constant(name: str) -> object:
    raise ValueError(f"{name} is not a JSON number")


def _too_deep(label: str) -> str:
    return f"{label} are nested too deeply: at most {MAX_EXTRA_DEPTH} levels of objects and arrays."


def _text_problem(value: object) -> str | None:
    """What in the strings (keys too) could not be stored: PostgreSQL's JSON refuses
    NUL, and no database keeps half a surrogate pair."""
    stack = [value]
    while stack:
        item = stack.pop()
        texts: list[object] = [item]
        if isinstance(item, dict):
            texts = list(item)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
            continue
        for text in texts:
            if not isinstance(text, str):
                continue
            if "\x00" in text:
                return "a NUL character (\\u0000) cannot be saved; remove it."
            try:
                text.encode("utf-8")
            except UnicodeEncodeError:
                return "a lone surrogate (\\ud800 to \\udfff) is not valid text."
    return None


def _shown(key: str) -> str:
    quoted = json.dumps(key, ensure_ascii=False)
    return quoted if len(quoted) <= _KEY_SHOWN else quoted[: _KEY_SHOWN - 2] + '…"'


def _json_type(value: object) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "that"
