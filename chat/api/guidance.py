"""What the playground says about a person's settings and results, in sentences.

`advice` gives the API reference's recommendations that apply to the settings (the
panel shows them as the settings change); `describe_finish` says why a choice ended.

Pure: no Django, no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from chat.api.params import (
    NEAR_ZERO_TEMPERATURE,
    RECOMMENDED_THINKING_TEMPERATURE,
    is_thinking_model,
)


def advice(
    settings: Mapping[str, object], messages: Sequence[Mapping[str, object]] | None = None
) -> list[str]:
    """The API reference's recommendations that apply to these settings, as sentences."""
    notes: list[str] = []
    temperature = settings.get("temperature")
    top_p = settings.get("top_p")
    if temperature not in (None, 1) and top_p not in (None, 1):
        notes.append("Changing both temperature and top_p is not recommended; adjust one of them.")
    if is_thinking_model(settings.get("model")) and temperature not in (
        None,
        RECOMMENDED_THINKING_TEMPERATURE,
    ):
        notes.append("1.0 is the recommended temperature for kimi-k2-thinking models.")
    if settings.get("response_format") == "json_object":
        notes.append("JSON mode: ask for JSON explicitly in your prompt.")
        if messages is not None and not any("json" in _text_of(m).lower() for m in messages):
            notes.append("Your prompt does not mention JSON yet.")
    n = settings.get("n")
    if (
        isinstance(n, int)
        and n > 1
        and isinstance(temperature, int | float)
        and temperature < NEAR_ZERO_TEMPERATURE
    ):
        notes.append("With temperature near 0 only one choice is returned.")
    return notes


def _text_of(message: Mapping[str, object]) -> str:
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(
            p["text"] for p in content if isinstance(p, Mapping) and isinstance(p.get("text"), str)
        )
    return ""


_FINISH_REASONS = {
    "stop": "stop: the model finished its answer",
    "length": "length: stopped at max_tokens",
    "tool_calls": "tool_calls: the model asked to call a tool",
    "content_filter": "content_filter: the provider filtered the output",
}


def describe_finish(reason: str | None, settings: Mapping[str, object] | None = None) -> str:
    """Why a choice ended, in words: "length" -> "length: stopped at max_tokens"."""
    if reason is None:
        return ""
    if reason == "stop" and settings and settings.get("stop"):
        # With stop sequences set, "stop" may mean one matched; the API does not say which.
        return "stop: the model finished its answer or reached a stop sequence"
    return _FINISH_REASONS.get(reason, reason)
