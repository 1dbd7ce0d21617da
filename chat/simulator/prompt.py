"""Reading the prompt: what the messages say that shapes the answer.

- The topic is the last user message's first three content words ("Explain quicksort
  in Python" -> "quicksort python").
- tools: the answer is tool calls (finish_reason "tool_calls", arguments made up from
  each tool's JSON schema) when the last message is the user's, tool_choice is not
  "none", and either tool_choice names a function (that one) or the message mentions
  tools' names (get_weather, "get weather", or a part of 4+ letters such as "weather"):
  one call per tool mentioned, in the order of `tools`, so a message naming two tools
  gets two parallel calls; or tool_choice is "required", or the message says "call" /
  "use the tool" / "use a tool" (then the first tool). After tool results (the last
  messages have role "tool") the answer quotes each of them.
- Images (content parts of type image_url) are acknowledged in the answer: "I see 1
  image (image/png, 1234 bytes)." for data: URLs, "(from example.com)" for others.
- A last assistant message with "partial": true is continued, not repeated.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_to_bytes, urlsplit

_STOPWORDS = frozenset(
    """a about above after again all also am an and any are as at be because been before
    being below between both but by can could did do does doing down during each explain
    few for from further give had has have having he her here hers how i if in into is it
    its just let me more most my no nor not now of off on once only or other our out over
    own please same she should show so some such tell than that the their them then there
    these they this those through to too under until up very was we were what when where
    which while who whom why will with would write you your yours describe could would
    briefly short quick simple example examples code using use call tool""".split()  # noqa: SIM905
)
_ASKS_FOR_A_TOOL = re.compile(r"\b(?:call|use (?:the|a|your) tools?|use tools?)\b", re.IGNORECASE)
_GENERIC_NAME_PARTS = frozenset({"get", "set", "list", "fetch", "make", "create", "find", "tool"})


@dataclass(frozen=True)
class Prompt:
    """What the generator needs to know about the conversation."""

    topic: str
    place: str | None
    wants_code: bool
    images: tuple[str, ...]
    tools: tuple[Mapping[str, Any], ...]  # the functions to call, in order
    tool_results: tuple[tuple[str, str], ...]  # (name, content) of each result answered
    partial: str | None
    json_mode: bool


def read_prompt(body: Mapping[str, Any], messages: list[Any]) -> Prompt:
    """The prompt of a valid body whose `messages` (markers removed) are given."""
    user = _last_user_message(messages)
    text = text_of(user.get("content"))
    images = _describe_images(user.get("content"))
    last = messages[-1]
    partial = last.get("partial") is True and last.get("role") == "assistant"
    response_format = body.get("response_format") or {}
    return Prompt(
        topic=_topic_of(text, bool(images)),
        place=_place_in(text),
        wants_code=re.search(r"\bcode\b", text, re.IGNORECASE) is not None,
        images=tuple(images),
        tools=_tools_to_call(body, text),
        tool_results=_tool_results(messages),
        partial=text_of(last.get("content")) if partial else None,
        json_mode=response_format.get("type") == "json_object",
    )


def text_of(content: object) -> str:
    """A message's text: the string, or its text parts joined by spaces."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(
            part["text"]
            for part in content
            if isinstance(part, Mapping) and isinstance(part.get("text"), str)
        )
    return ""


def last_user_text(messages: object) -> str:
    return text_of(_last_user_message(messages).get("content"))


def _last_user_message(messages: object) -> Mapping[str, Any]:
    if isinstance(messages, list):
        for message in reversed(messages):
            if isinstance(message, Mapping) and message.get("role") == "user":
                return message
    return {}


def _topic_of(text: str, has_images: bool) -> str:
    """The first three content words: "Explain quicksort in Python" -> "quicksort python"."""
    words: list[str] = []
    for word in re.findall(r"[A-Za-z][A-Za-z0-9+#'-]*", text):
        word = word.lower().split("'")[0].strip("-")  # "what's" -> "what"
        if len(word) >= 3 and word not in _STOPWORDS and word not in words:
            words.append(word)
        if len(words) == 3:
            break
    if words:
        return " ".join(words)
    return "the image" if has_images else "your question"


def _place_in(text: str) -> str | None:
    """A capitalised name after in/at/for/near: "weather in New York?" -> "New York"."""
    match = re.search(r"\b(?:in|at|for|near)\s+([A-Z][\w-]*(?:\s+[A-Z][\w-]*)*)", text)
    return match.group(1) if match else None


def _describe_images(content: object) -> list[str]:
    """ "image/png, 1234 bytes" for a data: URL, "from example.com" for any other URL."""
    if not isinstance(content, list):
        return []
    found = []
    for part in content:
        image = part.get("image_url") if isinstance(part, Mapping) else None
        url = image.get("url") if isinstance(image, Mapping) else None
        if isinstance(url, str):
            found.append(_describe_image_url(url))
    return found


def _describe_image_url(url: str) -> str:
    if not url.startswith("data:"):
        return f"from {urlsplit(url).hostname or 'an unknown host'}"
    header, _, payload = url[len("data:") :].partition(",")
    media_type = header.split(";")[0] or "text/plain"
    try:
        if header.endswith(";base64"):
            size = len(base64.b64decode(payload, validate=False))
        else:
            size = len(unquote_to_bytes(payload))
    except (binascii.Error, ValueError):
        return f"{media_type}, undecodable"
    return f"{media_type}, {size} bytes"


def _tool_results(messages: list[Any]) -> tuple[tuple[str, str], ...]:
    """(tool name, its content) of each tool result at the end of the messages."""
    results: list[tuple[str, str]] = []
    for position in range(len(messages) - 1, -1, -1):
        message = messages[position]
        if not isinstance(message, Mapping) or message.get("role") != "tool":
            break
        results.append((_tool_name(messages[:position], message), text_of(message.get("content"))))
    return tuple(reversed(results))


def _tool_name(earlier: list[Any], result: Mapping[str, Any]) -> str:
    """The function a tool result answers: the call with its tool_call_id."""
    name = result.get("name") if isinstance(result.get("name"), str) else None
    for message in reversed(earlier):
        for call in (message.get("tool_calls") or []) if isinstance(message, Mapping) else []:
            if isinstance(call, Mapping) and call.get("id") == result.get("tool_call_id"):
                return call.get("function", {}).get("name") or name or "tool"
    return name or "tool"


def _tools_to_call(body: Mapping[str, Any], text: str) -> tuple[Mapping[str, Any], ...]:
    """The functions the model calls, by the rule in the module docstring."""
    messages = body["messages"]
    functions: list[Mapping[str, Any]] = [t["function"] for t in body.get("tools") or []]
    choice = body.get("tool_choice", "auto")
    if not functions or choice == "none" or messages[-1].get("role") != "user":
        return ()
    if isinstance(choice, Mapping):
        wanted = (choice.get("function") or {}).get("name")
        return (next((f for f in functions if f["name"] == wanted), functions[0]),)
    lowered = text.lower()
    mentioned = tuple(f for f in functions if _mentions(lowered, f["name"]))
    if mentioned:
        return mentioned
    if choice == "required" or _ASKS_FOR_A_TOOL.search(text):
        return (functions[0],)
    return ()


def _mentions(text: str, name: str) -> bool:
    parts = [p for p in re.split(r"[_\-]+", name.lower()) if p]
    if name.lower() in text or " ".join(parts) in text:
        return True
    return any(
        len(p) >= 4 and p not in _GENERIC_NAME_PARTS and re.search(rf"\b{re.escape(p)}", text)
        for p in parts
    )
