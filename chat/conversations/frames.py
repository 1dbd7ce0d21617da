"""What a page's socket accepts as a frame: one JSON object (the form htmx sends), text
only, within MAX_FRAME_BYTES. Anything else gets a refusal a person can act on.

The server's own frame limit (Daphne's --websocket-max-message-size, set where it is
started) is larger, so a frame over this limit still arrives here and is refused with a
message instead of dropping the connection; the composer checks the same limit before
sending. The app's prompt limits (in characters) fit in it even at the worst JSON
escaping, so a prompt the app accepts is never refused for its frame.

    >>> read_frame('{"action": "send"}', None)
    ({'action': 'send'}, '')
    >>> read_frame("[1]", None)[1]
    'The server could not read that message (it was not a form). Reload the page and try again.'
"""

from __future__ import annotations

import json
from typing import Any

MAX_FRAME_BYTES = 4 * 1024 * 1024
# Daphne's limit, as `make run` and the test servers start it: twice the app's, so an
# oversized frame reaches the app and is answered.
SERVER_MAX_FRAME_BYTES = 2 * MAX_FRAME_BYTES

NOT_A_FORM = (
    "The server could not read that message (it was not a form). Reload the page and try again."
)
BINARY = "The server reads text messages only, not binary ones. Reload the page and try again."


def too_big(size: int) -> str:
    return (
        f"That message is too big to send: {_megabytes(size)} MB, at most "
        f"{_megabytes(MAX_FRAME_BYTES)} MB for the prompt, system prompt and settings "
        "together. Shorten the prompt or the system prompt."
    )


def read_frame(text: str | None, data: bytes | None) -> tuple[dict[str, Any], str]:
    """The frame's object and "", or {} and why it was refused."""
    if text is None:
        return {}, BINARY if data else NOT_A_FORM
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_FRAME_BYTES:
        return {}, too_big(size)
    try:
        content = json.loads(text)
    except (ValueError, RecursionError):
        return {}, NOT_A_FORM
    if not isinstance(content, dict):
        return {}, NOT_A_FORM
    return content, ""


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f}"
