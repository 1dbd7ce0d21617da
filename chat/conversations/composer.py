"""What the composer form submits: a prompt, a system prompt and the parameters.

Read the same way from a websocket frame and from a plain HTML form post.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from chat.api import mending, params

MAX_PROMPT_CHARS = 200_000
MAX_SYSTEM_PROMPT_CHARS = 100_000
# PostgreSQL's text columns refuse NUL; refused on every database, so all behave alike.
NUL_REFUSED = "{what} contains a NUL character (\\u0000), which cannot be saved: remove it."


@dataclass
class Submission:
    prompt: str
    system_prompt: str
    settings: dict[str, Any]
    errors: dict[str, str] = field(default_factory=dict)
    # The Provider select: "" (the server's default), "simulator" or a provider's id;
    # whose provider it is, is checked by the caller (chat.providers.upstreams.chosen).
    provider: str = ""


def read_submission(data: Mapping[str, object]) -> Submission:
    values = {key: _single(value) for key, value in data.items() if key != "stop"}
    values["stop"] = data.get("stop", "")
    # An unchecked checkbox sends nothing: the form always has the field, so absent is off.
    values.setdefault("stream", "false")
    settings, errors = params.parse_form(values)
    prompt = str(values.get("prompt") or "")
    system_prompt = str(values.get("system_prompt") or "")
    if not prompt.strip():
        errors["prompt"] = "Write a message first."
    elif not mending.is_text(prompt):
        errors["prompt"] = "The message has characters that are not valid text."
    elif "\x00" in prompt:
        errors["prompt"] = NUL_REFUSED.format(what="The message")
    elif len(prompt) > MAX_PROMPT_CHARS:
        errors["prompt"] = (
            f"The message is too long ({len(prompt):,} characters; at most {MAX_PROMPT_CHARS:,})."
        )
    if not mending.is_text(system_prompt):
        errors["system_prompt"] = "The system prompt has characters that are not valid text."
    elif "\x00" in system_prompt:
        errors["system_prompt"] = NUL_REFUSED.format(what="The system prompt")
    elif len(system_prompt) > MAX_SYSTEM_PROMPT_CHARS:
        errors["system_prompt"] = (
            f"The system prompt is too long (at most {MAX_SYSTEM_PROMPT_CHARS:,} characters)."
        )
    provider = str(values.get("provider") or "")
    if provider == "simulator":
        settings["provider"] = provider  # kept with the panel's values; see providers.py
    elif provider and not (provider.isascii() and provider.isdigit() and len(provider) < 19):
        errors["provider"] = "Choose a provider from the list."
        provider = ""
    return Submission(prompt, system_prompt, settings, errors, provider)


def _single(value: object) -> object:
    # Browsers and hx-ws send repeated fields as lists; every field here is single.
    if isinstance(value, list):
        return value[-1] if value else ""
    return value
