"""Conversations as files: the JSON export and its Markdown rendering.

Pure: plain dicts in, text out; no Django, no database.

The JSON export (format "reasoning-playground/1") holds the visible path in the
API's own `messages` shape, for pasting into a request, and the whole tree, from
which an import (chat.conversations.imports) rebuilds every branch.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from chat.api import params
from chat.conversations import markdown_doc
from chat.conversations.tree import tool_message
from chat.simulator.markers import without_markers

EXPORT_FORMAT = "reasoning-playground/1"
TIMINGS = ("sent_at", "first_reasoning_at", "first_content_at", "finished_at")
REDACTED = "[upstream]"
# What a prompt's image is in the export: the file itself (base64) under `data`.
IMAGE_FIELDS = ("name", "content_type", "size", "width", "height", "data")

_IMAGE_NAME_RE = re.compile(r"image-[0-9]{1,3}\.(png|jpg|webp|gif)")
_JSON_HTML_ESCAPES = {ord("<"): "\\u003c", ord(">"): "\\u003e", ord("&"): "\\u0026"}

# A JSON object of the export (the document, a tree entry, an API message): its
# values are whatever JSON holds.
JSONObject = dict[str, Any]


def export_data(
    *,
    title: str,
    system_prompt: str,
    settings: Mapping[str, object],
    records: Iterable[Mapping[str, Any]],
    leaf_id: Any,
    redact: Iterable[str] = (),
) -> JSONObject:
    """The JSON export of a conversation.

    `records` are every message, oldest first, as dicts with `id`, `parent` and the
    Message fields, timings as datetimes under `timings`, and a prompt's images under
    `images` ({"name", "content_type", "size", "width", "height", "data"}: the file in
    base64), which the API-shaped `messages` send as data URLs. `leaf_id` ends the visible
    path. Strings in `redact` (the API key, the upstream's URL and host) are replaced
    in error texts, the one field the app writes upstream details into; nothing else
    of the server is read, so neither appears anywhere else.
    """
    secrets = sorted({s for s in redact if s}, key=len, reverse=True)
    tree = [_tree_entry(record, secrets) for record in records]
    path = _path(tree, leaf_id)
    messages: list[JSONObject] = []
    if system_prompt.strip():
        messages.append({"role": "system", "content": system_prompt})
    for entry in path:
        if entry["role"] == "tool":  # one API message per call it answers
            messages += [tool_message(result) for result in entry["tool_results"] or []]
        else:
            messages.append(_api_message(entry))
    return {
        "format": EXPORT_FORMAT,
        "title": without_markers(title),
        "system_prompt": system_prompt,
        "settings": {k: v for k, v in settings.items() if k in params.PARAMS},
        "messages": messages,
        "tree": tree,
        "current_leaf": path[-1]["id"] if path else None,
    }


def dumps(data: Mapping[str, Any]) -> str:
    """JSON text with < > & written as \\u escapes: the file holds no markup at all,
    even if something shows it as HTML, and reads back to the same values."""
    return json.dumps(data, indent=2, ensure_ascii=False).translate(_JSON_HTML_ESCAPES) + "\n"


def _tree_entry(record: Mapping[str, Any], secrets: list[str]) -> JSONObject:
    error = record.get("error") or ""
    for secret in secrets:
        error = error.replace(secret, REDACTED)
    timings = record.get("timings") or {}
    entry = {
        "id": record["id"],
        "parent": record.get("parent"),
        "role": record["role"],
        # Markers are instructions to the simulator, not part of the conversation.
        "content": without_markers(record.get("content") or ""),
        "refusal": record.get("refusal") or "",
        "reasoning": record.get("reasoning") or "",
        "tool_calls": record.get("tool_calls"),
        "tool_results": record.get("tool_results"),
        "choice_index": record.get("choice_index") or 0,
        "batch": str(record.get("batch") or ""),
        "model": record.get("model") or "",
        "request_params": record.get("request_params") or {},
        "usage": record.get("usage"),
        "finish_reason": record.get("finish_reason") or "",
        "status": record.get("status") or "complete",
        "error": error,
        "timings": {name: _iso(timings.get(name)) for name in TIMINGS},
    }
    images = [
        {name: image.get(name) for name in IMAGE_FIELDS} for image in record.get("images") or []
    ]
    if images:
        entry["images"] = images
    return entry


def _iso(value: datetime | str | None) -> str | None:
    return value.isoformat() if isinstance(value, datetime) else value


def _path(tree: list[JSONObject], leaf_id: Any) -> list[JSONObject]:
    by_id = {entry["id"]: entry for entry in tree}
    path: list[JSONObject] = []
    entry = by_id.get(leaf_id)
    while entry is not None and len(path) <= len(tree):  # the bound stops a cycle
        path.append(entry)
        entry = by_id.get(entry["parent"])
    return path[::-1]


def _api_message(entry: Mapping[str, Any]) -> JSONObject:
    message: JSONObject = {"role": entry["role"], "content": entry["content"]}
    if entry.get("images"):
        message["content"] = [
            {"type": "text", "text": entry["content"]},
            *(
                {
                    "type": "image_url",
                    "image_url": {"url": f"data:{image['content_type']};base64,{image['data']}"},
                }
                for image in entry["images"]
            ),
        ]
    if entry["role"] == "assistant":
        if entry.get("refusal"):
            message["refusal"] = entry["refusal"]  # the API's own field for it
        if entry["reasoning"]:
            message["reasoning_content"] = entry["reasoning"]
        if entry["tool_calls"]:
            message["tool_calls"] = entry["tool_calls"]
    return message


def export_markdown(data: Mapping[str, Any]) -> str:
    """The visible path of an export (see export_data) as a Markdown document a person
    reads: a heading per turn, the prompts and answers as the Markdown they are, the
    reasoning in a `<details>` block, the parameters sent as a small table.

    Every text from a person or a model goes through markdown_doc: its Markdown is kept,
    its raw HTML and images are made inert, so a viewer that renders HTML runs nothing
    and fetches nothing. Tool calls and their results are code (JSON, verbatim text);
    one-line values (title, model, status, names) are written as literal text. The only
    raw HTML in the document is our own `<details>` and `<summary>`.
    """
    title = data.get("title") or "Conversation"
    parts = [f"# {markdown_doc.inline(title)}\n"]
    if data.get("system_prompt"):
        parts.append("## System prompt\n\n" + markdown_doc.quoted(data["system_prompt"]))
    for entry in _path(list(data.get("tree") or []), data.get("current_leaf")):
        parts.append(_markdown_turn(entry))
    return "\n".join(parts)


def _markdown_turn(entry: Mapping[str, Any]) -> str:
    if entry["role"] == "tool":
        return _markdown_results(entry["tool_results"] or [])
    if entry["role"] != "assistant":
        return "## You\n\n" + _text_or_nothing(entry["content"]) + _image_notes(entry)
    facts = [entry["model"], entry["status"]]
    if entry["finish_reason"]:
        facts.append(f"finish reason: {entry['finish_reason']}")
    lines = ["## Assistant\n", "_" + " · ".join(markdown_doc.inline(f) for f in facts if f) + "_\n"]
    if entry["reasoning"]:
        lines.append(
            "<details><summary>Reasoning</summary>\n\n"
            + markdown_doc.quoted(entry["reasoning"])
            + "\n</details>\n"
        )
    if entry["content"]:
        lines.append(markdown_doc.inert(entry["content"]))
    if entry.get("refusal"):
        refusal = markdown_doc.quoted(entry["refusal"])
        lines.append("**Refusal** (the model declined):\n\n" + refusal)
    if entry["tool_calls"]:
        calls = json.dumps(entry["tool_calls"], indent=2, ensure_ascii=False)
        lines.append("**Tool calls:**\n\n" + markdown_doc.fenced(calls, "json"))
    if entry["error"]:
        lines.append("**Error:**\n\n" + markdown_doc.quoted(entry["error"]))
    lines.append(_parameters_table(entry["request_params"]))
    return "\n".join(lines)


def _text_or_nothing(text: str) -> str:
    return markdown_doc.inert(text) if text.strip() else "_(empty)_\n"


def _markdown_results(results: list[Mapping[str, Any]]) -> str:
    lines = ["## Tool results\n"]
    for result in results:
        failed = " (this call failed)" if result.get("failed") else ""
        name = markdown_doc.code_span(result.get("name") or "")
        call = markdown_doc.code_span(result.get("tool_call_id") or "")
        head = f"**Result for {name}**{failed}, call {call}:"
        lines.append(head + "\n\n" + markdown_doc.fenced(str(result.get("content") or ""), "text"))
    return "\n".join(lines)


def _image_notes(entry: Mapping[str, Any]) -> str:
    """A line per image, which the Markdown leaves out: "[image: image-1.png, 120 KB]".
    The name is the server's own (image-<n>.<type>), never anything uploaded, and is
    checked to be so: the note is written as it is, and renders as it reads."""
    notes = []
    for number, image in enumerate(entry.get("images") or [], start=1):
        name = str(image.get("name"))
        if not _IMAGE_NAME_RE.fullmatch(name):
            name = f"image-{number}"
        size = image.get("size")
        notes.append(f"[image: {name}, {_size(size if isinstance(size, int) else 0)}]")
    return "\n" + "\n\n".join(notes) + "\n" if notes else ""


def _size(size: int) -> str:
    for unit, scale in (("MB", 1024 * 1024), ("KB", 1024)):
        if size >= scale:
            return f"{size / scale:.1f}".removesuffix(".0") + f" {unit}"
    return f"{size} bytes"


def _parameters_table(request_params: Mapping[str, Any]) -> str:
    rows = [
        f"| {markdown_doc.inline(name)} | {markdown_doc.code_span(_value_text(value))} |"
        for name, value in (request_params or {}).items()
    ]
    if not rows:
        return "_Parameters sent: the API's defaults._\n"
    return "\n".join(["| Parameter sent | Value |", "| --- | --- |", *rows]) + "\n"


def _value_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
