"""Made-up tool-call arguments: a plausible value for each field of a JSON schema.

Enums give their first value, numbers a seeded one within minimum and maximum, and
strings are suggested by the field's name: a "location" is the place the prompt
names (or Paris), a "unit" is celsius, a "date" 2025-06-01; anything else, the topic.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from chat.simulator.prompt import Prompt
from chat.simulator.text import Writer


def tool_arguments(writer: Writer, prompt: Prompt, schema: object) -> dict[str, Any]:
    value = _example_value(writer, prompt, "arguments", schema, depth=0)
    return value if isinstance(value, dict) else {}


def _example_value(writer: Writer, prompt: Prompt, name: str, schema: object, depth: int) -> Any:
    """A plausible value for a JSON schema: enums pick their first, names suggest strings."""
    schema = schema if isinstance(schema, Mapping) else {}
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return schema["enum"][0]
    kind = schema.get("type", "object" if "properties" in schema else "string")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "string")
    if kind == "object":
        properties = schema.get("properties") if depth < 5 else None
        if not isinstance(properties, Mapping):
            return {}
        return {
            key: _example_value(writer, prompt, key, sub, depth + 1)
            for key, sub in properties.items()
        }
    if kind == "array":
        return [_example_value(writer, prompt, name, schema.get("items"), depth + 1)]
    if kind in ("integer", "number"):
        low, high = _bounds(schema)
        if kind == "integer":
            return writer.integer(math.ceil(low), max(math.ceil(low), math.floor(high)))
        return round(writer.number(low, high), 2)
    if kind == "boolean":
        return True
    if kind == "null":
        return None
    return _example_string(name.lower(), prompt)


def _bounds(schema: Mapping[str, Any]) -> tuple[float, float]:
    """minimum and maximum, 1 and 10 when unset (or unusable)."""

    def finite(value: object) -> bool:
        return (
            isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
        )

    low = schema["minimum"] if finite(schema.get("minimum")) else 1
    high = schema["maximum"] if finite(schema.get("maximum")) else low + 9
    return low, max(low, high)


_STRING_EXAMPLES = (
    (("location", "city", "place", "town", "country", "where"), None),
    (("unit",), "celsius"),
    (("date", "day"), "2025-06-01"),
    (("time",), "12:00"),
    (("email",), "ada@example.com"),
    (("url", "link"), "https://example.com"),
    (("lang",), "en"),
    (("name",), "Ada"),
)


def _example_string(name: str, prompt: Prompt) -> str:
    for keys, example in _STRING_EXAMPLES:
        if any(key in name for key in keys):
            return example if example is not None else (prompt.place or "Paris")
    return prompt.topic
