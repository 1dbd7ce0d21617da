"""The tools a request offers (function calling): the API's rules for a tools array.
Pure: the panel's reader (params) and the API-strict validator (rules) both ask here."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from chat.api import jsonshape

MAX_TOOLS = 128
MAX_TOOLS_DEPTH = 64  # JSON Schemas nest, but not this deep; Python's json stops near 1000
TOOL_NAME_RE = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")


def validate_tools(tools: object) -> str | None:
    """The first problem with a tools array, or None when the API would accept it."""
    if not isinstance(tools, list):
        return "Tools must be a JSON array of tool objects."
    if len(tools) > MAX_TOOLS:
        return f"At most {MAX_TOOLS} tools (you gave {len(tools)})."
    if jsonshape.depth(tools, MAX_TOOLS_DEPTH) > MAX_TOOLS_DEPTH:
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
    parameters = function.get("parameters")
    if not isinstance(parameters, Mapping):
        return f'function "{name}" needs parameters (a JSON Schema object).'
    if parameters.get("type") != "object":
        return f'function "{name}": parameters must be an object schema ("type": "object").'
    if not isinstance(parameters.get("properties", {}), Mapping):
        return f'function "{name}": parameters.properties must be an object.'
    return None


def json_error(label: str, exc: json.JSONDecodeError) -> str:
    """A parse error as a person finds it: where, in lines and columns."""
    return f"{label} is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}."


# -- ready examples to start from -----------------------------------------------------


def _function(
    name: str, description: str, properties: dict[str, Any], required: list[str]
) -> dict[str, Any]:
    schema = {"type": "object", "properties": properties, "required": required}
    return {
        "type": "function",
        "function": {"name": name, "description": description, "parameters": schema},
    }


# The "Tool examples" picker's choices, by label: each adds its definition to Tools.
EXAMPLES: dict[str, dict[str, Any]] = {
    "Weather": _function(
        "get_weather",
        "Get the current weather for a place.",
        {
            "location": {"type": "string", "description": "City and country, e.g. Paris, France"},
            "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
        },
        ["location"],
    ),
    "Calculator": _function(
        "calculate",
        "Evaluate an arithmetic expression and return the number.",
        {"expression": {"type": "string", "description": "For example (12 + 7) * 3"}},
        ["expression"],
    ),
    "Web search": _function(
        "web_search",
        "Search the web and return the top results' titles, links and snippets.",
        {
            "query": {"type": "string", "description": "What to search for"},
            "max_results": {"type": "integer", "minimum": 1, "maximum": 10},
        },
        ["query"],
    ),
}


def with_example(tools_text: str, label: str) -> tuple[str, str | None]:
    """The Tools field's text with example `label` added, pretty-printed, or the text
    unchanged and why: its JSON does not parse, or the example is already there.

    >>> text, error = with_example("", "Calculator")
    >>> error, json.loads(text)[0]["function"]["name"]
    (None, 'calculate')
    """
    example = EXAMPLES.get(label)
    if example is None:
        return tools_text, f"There is no tool example called {label!r}."
    tools: object = []
    if tools_text.strip():
        try:
            tools = json.loads(tools_text)
        except json.JSONDecodeError as exc:
            return tools_text, json_error("Tools", exc) + " Fix it before adding an example."
    if not isinstance(tools, list):
        return tools_text, "Tools must be a JSON array before an example can be added to it."
    names = {t.get("function", {}).get("name") for t in tools if isinstance(t, Mapping)}
    if example["function"]["name"] in names:
        return tools_text, f'A tool named "{example["function"]["name"]}" is already in Tools.'
    return json.dumps([*tools, example], indent=2, ensure_ascii=False), None


def listed(tools_text: str) -> list[tuple[str, str]]:
    """(name, description) of each tool in the field's text, for the list beside it;
    nothing while the text is not a tools array.

    >>> listed('[{"type": "function", "function": {"name": "f", "description": "Does f."}}]')
    [('f', 'Does f.')]
    """
    tools = _loaded(tools_text)
    if tools is None:
        return []
    rows = []
    for tool in tools:
        function = tool.get("function") if isinstance(tool, Mapping) else None
        function = function if isinstance(function, Mapping) else {}
        rows.append((str(function.get("name") or "?"), str(function.get("description") or "")))
    return rows


def edited(tools_text: str, action: str) -> tuple[str, str | None]:
    """The field's text after "up:N", "down:N" or "remove:N" (N from 0) on its list, or
    the text unchanged and why.

    >>> text, _ = with_example("", "Weather")
    >>> text, _ = with_example(text, "Calculator")
    >>> [name for name, _ in listed(edited(text, "up:1")[0])]
    ['calculate', 'get_weather']
    """
    tools = _loaded(tools_text)
    verb, _, number = action.partition(":")
    if tools is None or not number.isdigit() or int(number) >= len(tools):
        return tools_text, "That tool is no longer in Tools: the list was out of date."
    index = int(number)
    if verb == "remove":
        del tools[index]
    elif verb in ("up", "down"):
        other = index - 1 if verb == "up" else index + 1
        if not 0 <= other < len(tools):
            return tools_text, None
        tools[index], tools[other] = tools[other], tools[index]
    else:
        return tools_text, f"Unknown change to Tools: {action!r}."
    return (json.dumps(tools, indent=2, ensure_ascii=False) if tools else ""), None


def _loaded(tools_text: str) -> list[Any] | None:
    if not tools_text.strip():
        return []
    try:
        tools = json.loads(tools_text)
    except (json.JSONDecodeError, RecursionError):
        return None
    return tools if isinstance(tools, list) else None
