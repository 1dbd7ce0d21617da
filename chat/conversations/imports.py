"""Conversations from files: reading an upload back into a checked conversation.

Pure: bytes in, an Imported (plain dicts) out, or an ImportProblem saying what is
wrong in words for the person who chose the file; no Django, no database.

An import is our own JSON export (chat.conversations.exports, which rebuilds every
branch) or a plain OpenAI-style `messages` array (or a request body holding one).

Images come inside the file, never from the web: the export's `images`, or a plain
prompt's `image_url` content parts holding data: URLs. Each is checked as an upload
is (its bytes must be one of the four image types, within the limits given); an
http(s) address is refused with a message, since the playground never fetches one.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from chat.api import params, rules
from chat.conversations import images
from chat.conversations.exports import EXPORT_FORMAT, TIMINGS, JSONObject
from chat.conversations.tree import tool_message

MAX_IMPORT_BYTES = 2 * 1024 * 1024
MAX_IMPORT_MESSAGES = 5_000
STATUSES = ("streaming", "complete", "stopped", "error", "interrupted")
# The playground keeps prompts, answers and tool results; a system prompt is a
# conversation field.
IMPORT_ROLES = ("user", "assistant", "tool")
TITLE_LENGTH = 200
MODEL_LENGTH = 200
FINISH_REASON_LENGTH = 40
MAX_CHOICE_INDEX = 32_767  # what a PositiveSmallIntegerField holds everywhere
TOO_LARGE = "The file is larger than 2 MB, the most that can be imported."


class ImportProblem(ValueError):
    """Why a file cannot be imported, in words for the person who chose it."""


@dataclass(frozen=True)
class ImageLimits:
    """What one imported image may weigh and how many one prompt may carry (the server's
    PLAYGROUND_IMAGE_MAX_BYTES and PLAYGROUND_IMAGES_PER_MESSAGE, given by the view)."""

    max_bytes: int = MAX_IMPORT_BYTES
    per_message: int = 8


@dataclass
class Imported:
    """A conversation read from a file, checked and ready to be saved.

    Each message is a dict with `ref` (its id in the file), `parent` (a ref or None),
    `batch` (a key shared by the choices of one request under one parent), the
    Message fields, and `timings` (name -> aware datetime or None). Parents come
    before their children.
    """

    title: str = ""
    system_prompt: str = ""
    settings: dict[str, object] = field(default_factory=params.default_settings)
    messages: list[JSONObject] = field(default_factory=list)
    current_leaf: Any = None


def parse_import(data: bytes, limits: ImageLimits | None = None) -> Imported:
    """Read an uploaded file: our export, or a plain messages array. Raises
    ImportProblem saying what is wrong, before anything could be saved.

    For example `[{"role": "system", "content": "Be brief."}, {"role": "user",
    "content": "Hi"}, {"role": "assistant", "content": "Hello."}]` gives the system
    prompt "Be brief." and a chain of two messages, the answer as the current leaf;
    `[{"role": "bot", "content": "Hi"}]` raises 'Message 1: role "bot" cannot be
    imported: only system, user and assistant messages can.'
    """
    if len(data) > MAX_IMPORT_BYTES:
        raise ImportProblem(TOO_LARGE)
    limits = limits or ImageLimits()
    document = _load_json(data)
    problem = _unstorable_text(document)
    if problem:
        raise ImportProblem(problem)
    if isinstance(document, dict) and "format" in document:
        if document["format"] != EXPORT_FORMAT:
            raise ImportProblem(
                f"Unknown format {json.dumps(document['format'])}: "
                f"this playground reads {EXPORT_FORMAT} exports."
            )
        return _parse_export(document, limits)
    messages = document.get("messages") if isinstance(document, dict) else document
    if not isinstance(messages, list):
        raise ImportProblem(
            "Expected a Reasoning Playground export or an OpenAI-style messages array "
            "(a list of objects with role and content)."
        )
    return _parse_messages(messages, limits)


def _load_json(data: bytes) -> Any:
    try:
        return json.loads(data, parse_constant=_refuse_constant)
    except UnicodeDecodeError:
        raise ImportProblem("The file is not text in UTF-8: it cannot be JSON.") from None
    except json.JSONDecodeError as exc:
        raise ImportProblem(
            f"The file is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})."
        ) from None
    except (ValueError, RecursionError):
        raise ImportProblem("The file is not valid JSON.") from None


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not a JSON number")


def _unstorable_text(document: Any) -> str | None:
    """Why some text in the document cannot be saved, or None: a NUL, or half a
    surrogate pair (JSON's \\ud83d escapes may spell one; UTF-8 cannot hold it)."""
    stack = [document]
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            if "\x00" in value:
                return "The file contains a NUL character (\\u0000), which cannot be saved."
            if not _is_unicode(value):
                return (
                    "The file contains half of a surrogate pair (a \\ud800-\\udfff escape "
                    "without its other half), which is not text and cannot be saved."
                )
        elif isinstance(value, dict):
            stack.extend(value.keys())
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
    return None


def _is_unicode(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _check_count(count: int) -> None:
    if count > MAX_IMPORT_MESSAGES:
        raise ImportProblem(
            f"The file has {count:,} messages; at most {MAX_IMPORT_MESSAGES:,} can be imported."
        )
    if count == 0:
        raise ImportProblem("The file holds no messages: there is nothing to import.")


def _role_problem(where: str, role: object, allowed: str) -> ImportProblem:
    return ImportProblem(
        f"{where}: role {json.dumps(role)} cannot be imported: only {allowed} messages can."
    )


def _parse_messages(items: list[object], limits: ImageLimits) -> Imported:
    _check_count(len(items))
    imported = Imported()
    system: list[str] = []
    parent = None
    for number, item in enumerate(items, start=1):
        where = f"Message {number}"
        if not isinstance(item, dict):
            raise ImportProblem(f"{where}: each message must be an object with role and content.")
        role = item.get("role")
        if role == "system":
            if imported.messages:
                raise ImportProblem(f"{where}: a system message may only come first.")
            system.append(_content_text(item.get("content"), where))
            continue
        if role not in IMPORT_ROLES:
            raise _role_problem(where, role, "system, user, assistant and tool")
        if role == "tool":  # the results of one answer's calls are one tool message
            previous = imported.messages[-1] if imported.messages else None
            if previous is None or previous["role"] != "tool":
                calls = (previous or {}).get("tool_calls") or []
                previous = _record(number, parent, "tool", batch=str(number))
                previous["tool_results"], previous["calls"] = [], calls
                imported.messages.append(previous)
                parent = number
            previous["tool_results"].append(_plain_result(item, previous["calls"], where))
            continue
        record = _record(number, parent, role, batch=str(number))
        if role == "user":
            record["content"], found = _prompt_content(item.get("content"), where, limits)
            if found:
                record["images"] = found
        else:
            record["content"] = _content_text(item.get("content"), where, optional=True)
        record["refusal"] = _text(item.get("refusal"), where, "refusal")
        reasoning = item.get("reasoning_content", item.get("reasoning"))
        record["reasoning"] = _text(reasoning, where, "reasoning_content")
        record["tool_calls"] = item.get("tool_calls")
        imported.messages.append(record)
        parent = number
    for record in imported.messages:
        record.pop("calls", None)
    # The API's own rules catch what is left: tool-call shapes, content beside them.
    error = rules.validate_messages(items)
    if error:
        raise ImportProblem(error)
    if not imported.messages:
        raise ImportProblem("The file holds only a system message: there is nothing to import.")
    imported.system_prompt = "\n\n".join(system)
    imported.current_leaf = parent
    return imported


def _record(ref: Any, parent: Any, role: str, *, batch: str) -> JSONObject:
    return {
        "ref": ref,
        "parent": parent,
        "role": role,
        "content": "",
        "refusal": "",
        "reasoning": "",
        "tool_calls": None,
        "tool_results": None,
        "choice_index": 0,
        "batch": batch,
        "model": "",
        "request_params": {},
        "usage": None,
        "finish_reason": "",
        "status": "complete",
        "error": "",
        "timings": dict.fromkeys(TIMINGS),
    }


def _content_text(content: object, where: str, *, optional: bool = False) -> str:
    """A message's content as text: a string, or a list of text parts joined."""
    if content is None and optional:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list) and any(
        isinstance(p, dict) and p.get("type") == "image_url" for p in content
    ):
        raise ImportProblem(f"{where}: only prompts (user messages) can carry images.")
    if isinstance(content, list) and content:
        parts = [p.get("text") for p in content if isinstance(p, dict) and p.get("type") == "text"]
        texts = [text for text in parts if isinstance(text, str)]
        if len(texts) == len(content):
            return "\n".join(texts)
    raise ImportProblem(f"{where}: the content is not text; only text messages can be imported.")


def _prompt_content(
    content: object, where: str, limits: ImageLimits
) -> tuple[str, list[JSONObject]]:
    """A prompt's text (its text parts joined) and its images (its image_url parts, each
    a data: URL checked as an upload is)."""
    if not isinstance(content, list):
        return _content_text(content, where), []
    texts: list[str] = []
    urls: list[object] = []
    for part in content:
        kind = part.get("type") if isinstance(part, dict) else None
        if kind == "text" and isinstance(part.get("text"), str):
            texts.append(part["text"])
        elif kind == "image_url" and isinstance(part.get("image_url"), dict):
            urls.append(part["image_url"].get("url"))
        else:
            raise ImportProblem(
                f"{where}: the content is not text and images; only text and image_url "
                "parts can be imported."
            )
    _check_image_count(len(urls), where, limits)
    found = [_image_of_url(url, f"image {n}", where, limits) for n, url in enumerate(urls, 1)]
    return "\n".join(texts), found


def _check_image_count(count: int, where: str, limits: ImageLimits) -> None:
    if count > limits.per_message:
        raise ImportProblem(
            f"{where}: {count} images; a message can carry at most {limits.per_message}."
        )


def _image_of_url(url: object, name: str, where: str, limits: ImageLimits) -> JSONObject:
    """One image_url part's image, read from its data: URL; never fetched from the web."""
    if not isinstance(url, str) or not url.strip():
        raise ImportProblem(f"{where}: {name} has no URL.")
    scheme = url.partition(":")[0].strip().lower()
    if scheme in ("http", "https"):
        host = urlsplit(url.strip()).hostname or "an unknown host"
        raise ImportProblem(
            f"{where}: {name} is a web address ({host[:80]}): the playground never fetches "
            "images. Put the image in the file as a data: URL, or attach it after importing."
        )
    header, comma, payload = url.strip()[len("data:") :].partition(",")
    if scheme != "data" or not comma:
        raise ImportProblem(
            f"{where}: {name} is not a data: URL; only images inside the file "
            "(data:image/png;base64,…) can be imported."
        )
    if not header.lower().endswith(";base64"):
        raise ImportProblem(f"{where}: {name} is a data: URL without base64 data.")
    return _checked_image(_base64(payload, name, where), name, where, limits)


def _base64(payload: object, name: str, where: str) -> bytes:
    try:
        if isinstance(payload, str):
            return base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        pass
    raise ImportProblem(f"{where}: {name} has no base64 data.")


def _checked_image(raw: bytes, name: str, where: str, limits: ImageLimits) -> JSONObject:
    """The image's bytes with the type they hold (never the type a name or a URL claims)."""
    try:
        sniffed = images.sniff(raw, name, limits.max_bytes)
    except images.ImageProblem as problem:
        raise ImportProblem(f"{where}: {problem}") from None
    return {"data": raw, "content_type": sniffed.content_type}


def _text(value: object, where: str, name: str, *, limit: int | None = None) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ImportProblem(f"{where}: {name} must be text.")
    if limit is not None and len(value) > limit:
        raise ImportProblem(f"{where}: {name} must be at most {limit} characters.")
    return value


def _parse_export(document: JSONObject, limits: ImageLimits) -> Imported:
    tree = document.get("tree")
    if not isinstance(tree, list):
        raise ImportProblem("The export has no tree: it must be a list of messages.")
    _check_count(len(tree))
    settings = document.get("settings")
    imported = Imported(
        title=" ".join(_text(document.get("title"), "The export", "title").split())[:TITLE_LENGTH],
        system_prompt=_text(document.get("system_prompt"), "The export", "system_prompt"),
        # The panel's own reader: a bad or unknown value is left unset, never stored.
        settings=params.parse_form(settings)[0]
        if isinstance(settings, dict)
        else params.default_settings(),
    )
    seen: set[object] = set()
    for number, item in enumerate(tree, start=1):
        record = _tree_record(item, f"Message {number}", seen, limits)
        seen.add(record["ref"])
        imported.messages.append(record)
    error = rules.validate_messages([m for r in imported.messages for m in _shape_for_api(r)])
    if error:
        raise ImportProblem(error)
    leaf = document.get("current_leaf")
    if leaf is not None and (not _is_ref(leaf) or leaf not in seen):
        raise ImportProblem(f"current_leaf {json.dumps(leaf)} is not a message of the tree.")
    imported.current_leaf = leaf
    return imported


def _is_ref(value: object) -> bool:
    return isinstance(value, int | str) and not isinstance(value, bool)


def _tree_record(item: object, where: str, seen: set[object], limits: ImageLimits) -> JSONObject:
    if not isinstance(item, dict):
        raise ImportProblem(f"{where}: each message must be an object.")
    ref, parent = item.get("id"), item.get("parent")
    if not _is_ref(ref) or ref in seen:
        raise ImportProblem(f"{where}: id must be a number or text, unique in the tree.")
    if parent is not None and (not _is_ref(parent) or parent not in seen):
        raise ImportProblem(f"{where}: its parent must be a message listed before it.")
    role = item.get("role")
    if role not in IMPORT_ROLES:
        raise _role_problem(where, role, "user, assistant and tool")
    batch = item.get("batch")
    record = _record(ref, parent, role, batch=str(batch) if _is_ref(batch) else f"#{where}")
    record["content"] = _content_text(item.get("content"), where, optional=True)
    record["refusal"] = _text(item.get("refusal"), where, "refusal")
    record["reasoning"] = _text(item.get("reasoning"), where, "reasoning")
    record["tool_calls"] = item.get("tool_calls")
    if role == "tool":
        record["tool_results"] = _tree_results(item.get("tool_results"), where)
    record["choice_index"] = _choice_index(item.get("choice_index"), where)
    record["model"] = _text(item.get("model"), where, "model", limit=MODEL_LENGTH)
    record["finish_reason"] = _text(
        item.get("finish_reason"), where, "finish_reason", limit=FINISH_REASON_LENGTH
    )
    record["error"] = _text(item.get("error"), where, "error")
    record["request_params"] = _object(item.get("request_params"), where, "request_params") or {}
    record["usage"] = _object(item.get("usage"), where, "usage")
    record["status"] = _status(item.get("status"), where)
    record["timings"] = _timings(item.get("timings"), where)
    if item.get("images") is not None:
        record["images"] = _images(item.get("images"), where, role, limits)
    return record


def _images(value: object, where: str, role: str, limits: ImageLimits) -> list[JSONObject]:
    """A prompt's images as the export writes them, each checked as an upload is: the
    bytes must be one of the four image types (chat.conversations.images)."""
    if role != "user" or not isinstance(value, list):
        raise ImportProblem(f"{where}: images must be a list, on a prompt.")
    _check_image_count(len(value), where, limits)
    return [
        _checked_image(
            _base64(image.get("data") if isinstance(image, dict) else None, name, where),
            name,
            where,
            limits,
        )
        for name, image in ((f"image {n}", image) for n, image in enumerate(value, start=1))
    ]


def _shape_for_api(record: Mapping[str, Any]) -> list[JSONObject]:
    if record["role"] == "tool":
        return [tool_message(result) for result in record["tool_results"]]
    message = {"role": record["role"], "content": record["content"]}
    if record["tool_calls"] is not None:
        message["tool_calls"] = record["tool_calls"]
    return [message]


def _plain_result(item: Mapping[str, Any], calls: list[Any], where: str) -> JSONObject:
    """One `tool` message of a messages array, as a result of the answer before it."""
    names = {
        call.get("id"): (call.get("function") or {}).get("name")
        for call in calls
        if isinstance(call, dict)
    }
    call_id = item.get("tool_call_id")
    if call_id not in names:
        raise ImportProblem(
            f"{where}: a tool result must follow the assistant message whose tool call "
            f"(tool_call_id {json.dumps(call_id)}) it answers."
        )
    return {
        "tool_call_id": call_id,
        "name": str(names[call_id] or item.get("name") or ""),
        "content": _content_text(item.get("content"), where),
        "failed": False,
    }


def _tree_results(value: object, where: str) -> list[JSONObject]:
    if not isinstance(value, list) or not value:
        raise ImportProblem(f"{where}: a tool message needs tool_results, a list of results.")
    results = []
    for number, result in enumerate(value, start=1):
        at = f"{where}, result {number}"
        if not isinstance(result, dict) or not isinstance(result.get("tool_call_id"), str):
            raise ImportProblem(f"{at}: each result needs the tool_call_id it answers.")
        failed = result.get("failed", False)
        if not isinstance(failed, bool):
            raise ImportProblem(f"{at}: failed must be true or false.")
        results.append(
            {
                "tool_call_id": result["tool_call_id"],
                "name": _text(result.get("name"), at, "name", limit=64),
                "content": _text(result.get("content"), at, "content"),
                "failed": failed,
            }
        )
    return results


def _choice_index(value: object, where: str) -> int:
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_CHOICE_INDEX:
        raise ImportProblem(f"{where}: choice_index must be a whole number from 0.")
    return value


def _object(value: object, where: str, name: str) -> JSONObject | None:
    if value is not None and not isinstance(value, dict):
        raise ImportProblem(f"{where}: {name} must be an object.")
    return value


def _status(value: object, where: str) -> str:
    if value is None:
        return "complete"
    if value not in STATUSES:
        raise ImportProblem(f"{where}: status must be one of {', '.join(STATUSES)}.")
    # Nothing streams into an imported message: what arrived is all there is.
    return "interrupted" if value == "streaming" else str(value)


def _timings(value: object, where: str) -> JSONObject:
    timings = _object(value, where, "timings") or {}
    return {name: _datetime(timings.get(name), where, name) for name in TIMINGS}


def _datetime(value: object, where: str, name: str) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        moment = None
    if moment is None:
        raise ImportProblem(f"{where}: timings.{name} must be an ISO 8601 date and time.")
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def parse_iso(value: object) -> datetime | None:
    """An ISO 8601 string as an aware datetime (naive means UTC); anything else None."""
    try:
        return _datetime(value, "", "")
    except ImportProblem:
        return None
