"""The tools a request offers (function calling): the API's rules for a tools array.
Pure: the panel's reader (params) and the API-strict validator (rules) both ask here."""

from __future__ import annotations

import re
from collections.abc import Mapping

MAX_TOOLS = 128
MAX_TOOLS_DEPTH = 64  # JSON Schemas nest, but not this deep; Python's json stops near 1000
TOOL_NAME_RE = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")


def validate_tools(tools: object) -> str | None:
    """The first problem with a tools array, or None when the API would accept it."""
    if not isinstance(tools, list):
        return "Tools must be a JSON array of tool objects."
    if len(tools) > MAX_TOOLS:
        return f"At most {MAX_TOOLS} tools (you gave {len(tools)})."
    if _depth(tools) > MAX_TOOLS_DEPTH:
        return too_deep("Tools")
    seen: dict[str, int] = {}
    for number, tool in enumerate(tools, start=1):
        error = _tool_error(tool)
        if error:
            return f"Tool {number}: {error}"
        name = tool["function"]["name"]
        if name in seen:
            return f'Tool {number}: the name "{name}" is already used by tool {seen[name]}.'
        seen[name] = number
    return None


def too_deep(label: str) -> str:
    return f"{label} are nested too deeply: at most {MAX_TOOLS_DEPTH} levels of arrays and objects."


def _depth(value: object) -> int:
    """How deeply arrays and objects nest in a JSON value; iterative, so that a value too
    deep to walk recursively is measured too: `[[1], {}]` is 2."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if not isinstance(item, dict | list):
            continue
        deepest = max(deepest, level)
        children = item.values() if isinstance(item, dict) else item
        if level <= MAX_TOOLS_DEPTH:  # deeper than that is already the answer
            stack.extend((child, level + 1) for child in children)
    return deepest


def _tool_error(tool: object) -> str | None:
    if not isinstance(tool, Mapping):
        return "each tool must be an object."
    if tool.get("type") != "function":
        return 'type must be "function".'
    function = tool.get("function")
    if not isinstance(function, Mapping):
        return '"function" must be an object with name, description and parameters.'
    name = function.get("name")
    if not isinstance(name, str) or not name:
        return "the function needs a name."
    if not TOOL_NAME_RE.fullmatch(name):  # match() would let a trailing newline through
        return f'function name "{name}" must be 1 to 64 letters, digits, underscores or hyphens.'
    if not isinstance(function.get("description"), str):
        return f'function "{name}" needs a description (a string).'
    if not isinstance(function.get("parameters"), Mapping):
        return f'function "{name}" needs parameters (a JSON Schema object).'
    return None
