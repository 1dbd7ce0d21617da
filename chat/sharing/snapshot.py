"""A share link's snapshot: a conversation's visible path as plain JSON.

Pure: plain dicts in, plain dicts out; no Django, no database.

The public page of a share link is rendered from the snapshot alone, so what it
holds is what a stranger may see: the title, the system prompt, and per step the
prompt and the chosen batch's answers with their parameters and figures. Never the
owner, a database id, the upstream's name or error texts (they may name the
upstream's host), or another branch. The reasoning only when it is shared. A prompt's
images by their random keys: the link serves those, and only those.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from chat.api import params
from chat.conversations import exports, imports
from chat.simulator.markers import without_markers

SNAPSHOT_VERSION = 1
# What an answer keeps; anything else a caller passes in is dropped.
ANSWER_FIELDS = (
    "role",
    "content",
    "refusal",
    "tool_calls",
    "choice_index",
    "status",
    "model",
    "finish_reason",
    "request_params",
    "usage",
)
TIMINGS = exports.TIMINGS
# What a prompt's image keeps: its key (the share link serves it by that key, and only
# if the snapshot lists it), what it is and its size.
IMAGE_FIELDS = ("key", "content_type", "size", "width", "height")


def build(
    *,
    title: str,
    system_prompt: str,
    settings: Mapping[str, object],
    steps: Iterable[Mapping[str, Any]],
    include_reasoning: bool,
) -> dict[str, Any]:
    """The snapshot of a path, from plain steps.

    Each step is {"user": message or None, "choices": [message, ...], "chosen": the
    index in choices the path goes on from}. A message is a dict of Message fields
    with `timings` (name -> datetime) and, for answers, `sent` and `metrics`: the
    (label, value) pairs the conversation page shows (chat.conversations.cards).

    For example a step {"user": {"role": "user", "content": "Hi", "upstream": "x"},
    "choices": [], "chosen": 0} is kept as {"user": {"role": "user", "content":
    "Hi"}, "choices": [], "chosen": 0}: the upstream is dropped.
    """
    return {
        "version": SNAPSHOT_VERSION,
        "title": without_markers(title),
        "system_prompt": system_prompt,
        # The parameter panel's typed values, for "Continue in my playground".
        "settings": {k: v for k, v in settings.items() if k in params.PARAMS},
        "include_reasoning": include_reasoning,
        "steps": [_step(step, include_reasoning) for step in steps],
    }


def _step(step: Mapping[str, Any], include_reasoning: bool) -> dict[str, Any]:
    user = step.get("user")
    choices = [_answer(m, include_reasoning) for m in step.get("choices") or []]
    chosen = step.get("chosen") or 0
    return {
        "user": _prompt(user) if user else None,
        "choices": choices,
        "chosen": chosen if 0 <= chosen < len(choices) else 0,
    }


def _prompt(message: Mapping[str, Any]) -> dict[str, Any]:
    """A step's prompt: the person's text and images, or the results they sent for
    tool calls."""
    # Markers are instructions to the simulator, not part of what is shared.
    prompt = {"role": message["role"], "content": without_markers(message["content"])}
    if message["role"] == "tool":
        prompt["tool_results"] = message.get("tool_results") or []
    images = [
        {name: image.get(name) for name in IMAGE_FIELDS} for image in message.get("images") or []
    ]
    if images:
        prompt["images"] = images
    return prompt


def image_keys(snapshot: Mapping[str, Any]) -> set[str]:
    """The keys of every image a snapshot shows: all its link may serve."""
    return {
        str(image.get("key"))
        for step in snapshot.get("steps") or []
        for image in ((step.get("user") or {}).get("images") or [])
    }


def _answer(message: Mapping[str, Any], include_reasoning: bool) -> dict[str, Any]:
    answer = {name: message.get(name) for name in ANSWER_FIELDS}
    if include_reasoning:
        answer["reasoning"] = message.get("reasoning") or ""
    timings = message.get("timings") or {}
    answer["timings"] = {name: _iso(timings.get(name)) for name in TIMINGS}
    answer["sent"] = [[str(label), str(value)] for label, value in message.get("sent") or []]
    answer["metrics"] = [[str(label), str(value)] for label, value in message.get("metrics") or []]
    return answer


def _iso(value: datetime | str | None) -> str | None:
    return value.isoformat() if isinstance(value, datetime) else value


def to_import(snapshot: Mapping[str, Any]) -> imports.Imported:
    """The snapshot as a conversation to save for someone else: each step's prompt,
    the batch of answers under it, and the next prompt after the chosen answer."""
    settings = snapshot.get("settings")
    imported = imports.Imported(
        title=snapshot.get("title") or "",
        system_prompt=snapshot.get("system_prompt") or "",
        settings=params.parse_form(settings)[0]
        if isinstance(settings, dict)
        else params.default_settings(),
    )
    leaf = None
    for number, step in enumerate(snapshot.get("steps") or []):
        user = step.get("user")
        if user:
            ref = f"u{number}"
            imported.messages.append(_copy(ref, leaf, user, batch=ref))
            leaf = ref
        parent, refs = leaf, []
        for index, answer in enumerate(step.get("choices") or []):
            refs.append(f"a{number}.{index}")
            imported.messages.append(_copy(refs[-1], parent, answer, batch=f"b{number}"))
        if refs:
            leaf = refs[min(step.get("chosen") or 0, len(refs) - 1)]
    imported.current_leaf = leaf
    return imported


def _copy(
    ref: str, parent: str | None, message: Mapping[str, Any], *, batch: str
) -> dict[str, Any]:
    status = message.get("status") or "complete"
    timings = message.get("timings") or {}
    return {
        "ref": ref,
        "parent": parent,
        "role": message.get("role") or "user",
        "content": message.get("content") or "",
        "refusal": message.get("refusal") or "",
        "reasoning": message.get("reasoning") or "",
        "tool_calls": message.get("tool_calls"),
        "tool_results": message.get("tool_results"),
        "choice_index": message.get("choice_index") or 0,
        "batch": batch,
        # Copied from the shared conversation by key (chat.conversations.copies).
        "image_keys": [str(image.get("key")) for image in message.get("images") or []],
        "model": message.get("model") or "",
        "request_params": message.get("request_params") or {},
        "usage": message.get("usage"),
        "finish_reason": message.get("finish_reason") or "",
        "status": "interrupted" if status == "streaming" else status,
        "error": "",
        "timings": {name: imports.parse_iso(timings.get(name)) for name in TIMINGS},
    }
