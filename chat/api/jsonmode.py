"""JSON mode (`response_format: {"type": "json_object"}`): was the answer what it promises?

The conversation card says "Valid JSON" or "Invalid JSON" (with where parsing failed);
compare mode counts the valid answers of a column and the fields they agree on. Both
read the same rule: an answer is valid when it is one JSON object, as the mode asks.

Pure: no Django, no I/O.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

JSON_OBJECT = "json_object"


def is_json_mode(request: Mapping[str, object] | None) -> bool:
    """Whether a request body (or the parameters sent) asked for JSON mode.

    >>> is_json_mode({"response_format": {"type": "json_object"}}), is_json_mode({})
    (True, False)
    """
    fmt = (request or {}).get("response_format")
    return isinstance(fmt, Mapping) and fmt.get("type") == JSON_OBJECT


@dataclass(frozen=True, slots=True)
class JsonCheck:
    """An answer checked: `pretty` is the object indented (when valid); otherwise `error`
    says what is wrong, and `line` and `column` (from 1) where, in the text as sent."""

    valid: bool
    pretty: str = ""
    error: str = ""
    line: int = 0
    column: int = 0


def check(text: str) -> JsonCheck:
    """The answer of a JSON-mode request, checked.

    >>> check('{"a": [1, "é"]}').pretty
    '{\\n  "a": [\\n    1,\\n    "é"\\n  ]\\n}'
    >>> check('{"a": 1,\\n "b": }')
    JsonCheck(valid=False, pretty='', error='Expecting value', line=2, column=7)
    >>> check(' [1]').error
    'JSON mode asks for an object, and this is an array'
    """
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        return JsonCheck(False, error=exc.msg, line=exc.lineno, column=exc.colno)
    except (ValueError, RecursionError):  # nested too deeply, or a number too long
        return JsonCheck(False, error="Too deeply nested or too long a number", line=1, column=1)
    if not isinstance(value, dict):
        stripped = text.lstrip()
        line = text[: len(text) - len(stripped)].count("\n") + 1
        column = len(text) - len(stripped) - text.rfind("\n", 0, len(text) - len(stripped))
        kind = _KINDS.get(type(value), "a value")
        error = f"JSON mode asks for an object, and this is {kind}"
        return JsonCheck(False, error=error, line=line, column=column)
    return JsonCheck(True, pretty=json.dumps(value, indent=2, ensure_ascii=False))


_KINDS = {
    list: "an array",
    str: "a string",
    int: "a number",
    float: "a number",
    bool: "a boolean",
    type(None): "null",
}


def as_object(text: str) -> dict[str, object] | None:
    """The answer's object when valid, for comparing answers: whole numbers are read as
    floats so 1 and 1.0 compare equal (that also spares Python's limit on the digits of
    an int read from text)."""
    try:
        value = json.loads(text, parse_int=float)
    except (ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None
