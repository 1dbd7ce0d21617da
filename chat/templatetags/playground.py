"""Template filters for untrusted text: Markdown made safe, and figures."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta

from django import template
from django.utils.safestring import SafeString, mark_safe

from chat.api import guidance, jsonmode, tools
from chat.conversations import live_markdown, rendering
from chat.conversations import tool_calls as tool_calls_module
from chat.figures import figure
from chat.limits import rules

register = template.Library()


@register.filter
def markdown(text: str) -> SafeString:
    # render_markdown escapes raw HTML and sanitises its output with an allowlist.
    return mark_safe(rendering.render_markdown(text or ""))  # noqa: S308


@register.filter
def live_markdown_pane(text: str) -> SafeString:
    # A streaming pane's content: the same renderer's sanitised blocks, and where the raw
    # text arriving after them goes (static/js/stream.js).
    return mark_safe(live_markdown.pane_html(text or ""))  # noqa: S308


@register.filter
def json_check(answer: object) -> jsonmode.JsonCheck | None:
    """A JSON-mode answer checked ("Valid JSON" or where it is not); None for any other
    answer, or one with no text yet. `answer` is a Message or a snapshot's dict."""
    if isinstance(answer, Mapping):
        sent, content = answer.get("request_params"), answer.get("content")
    else:
        sent, content = getattr(answer, "request_params", None), getattr(answer, "content", "")
    if not (isinstance(content, str) and content and isinstance(sent, Mapping)):
        return None
    return jsonmode.check(content) if jsonmode.is_json_mode(sent) else None


@register.filter
def finish_explanation(reason: str) -> str:
    return guidance.describe_finish(reason or None)


@register.filter
def seconds(value: float | None) -> str:
    return "" if value is None else f"{figure(value)} s"


@register.filter(name="figure")
def figure_filter(value: float | None) -> str:
    return "" if value is None else figure(value)


@register.filter
def cooloff_text(value: timedelta) -> str:
    """A lockout's length as a person reads it: "15 min"."""
    return rules.wait_text(int(value.total_seconds()))


@register.simple_tag
def shown_tool_calls(tool_calls: list | None, live: bool) -> list[tool_calls_module.ShownCall]:
    """An answer's tool calls as its card shows them (chat/conversations/tool_calls.py)."""
    return tool_calls_module.shown(tool_calls, finished=not live)


@register.filter
def listed_tools(tools_text: str) -> list[tuple[str, str]]:
    """(name, description) of each tool typed in the Tools field (chat.api.tools.listed)."""
    return tools.listed(tools_text or "")


@register.filter
def choice_range(count: int) -> range:
    """0 .. count-1, for one tab per choice."""
    return range(int(count))


@register.filter
def failure(answer: object) -> str:
    """The error to show in place of the answer when it failed with nothing to show
    (no text, tool call or refusal), else "". `answer` is a Message or a snapshot's dict."""
    fields = ("status", "error", "content", "tool_calls", "refusal")
    if isinstance(answer, Mapping):
        status, error, *shown = (answer.get(name) for name in fields)
    else:
        status, error, *shown = (getattr(answer, name, None) for name in fields)
    if status != "error" or any(shown):
        return ""
    return str(error or "The request failed before any answer came.")
