"""A request body written out as code blocks (curl, Python, JavaScript), highlighted, for
the "View code" pages of conversations and comparisons."""

from __future__ import annotations

from typing import Any

from django.utils.safestring import SafeString, mark_safe

from chat.api import snippets
from chat.conversations import images, rendering
from chat.providers.upstreams import Provider


def context(provider: Provider, body: dict[str, Any]) -> dict[str, Any]:
    """What conversations/code.html#code shows of `body`, sent to `provider`."""
    # Megabytes of base64 would bury the code: image data URLs are shown shortened.
    shown = images.elided(body)
    blocks = [
        (snippet, _highlight(snippet)) for snippet in snippets.snippets(provider.base_url, shown)
    ]
    return {
        "images_elided": shown != body,
        "blocks": blocks,
        "provider": provider,
        "url": snippets.endpoint(provider.base_url),
        "key_variable": snippets.KEY_VARIABLE,
    }


def _highlight(snippet: snippets.Snippet) -> SafeString:
    # Escaped, or highlighted by Pygments, which escapes every character it writes.
    return mark_safe(rendering.highlight_code(snippet.code, snippet.language))  # noqa: S308
