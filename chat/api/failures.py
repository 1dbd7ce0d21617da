"""Why a request to the upstream failed, in words a person can act on.

Failures are values: an `UpstreamError` is the last event of a failed stream, and
`UpstreamFailure` carries one where raising is simpler. This module turns everything
that can go wrong into one: an HTTP status with its error body and Retry-After, an
error object sent in place of a chunk, data that is not a chunk, a redirect, a timeout,
a refused or dropped connection.

No Django and no I/O; httpx appears only as the exceptions and responses it hands us.
"""

from __future__ import annotations

import email.utils
import json
import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import NotRequired, TypedDict
from urllib.parse import urlsplit

import httpx

# How much of an upstream's non-JSON text goes into an error message.
SNIPPET_LENGTH = 200

_TAG = re.compile(r"<[^>]*>")
_WHITESPACE = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class UpstreamError:
    """Why a request failed. `message` is the upstream's own words for kinds "http" and
    "stream", and a finished sentence of ours for every other kind.

    kind: "http" (non-2xx), "stream" (an error object sent in place of a chunk),
    "timeout_connect", "timeout_first_byte", "timeout_chunk", "connection" (refused,
    dropped mid-stream, incomplete), "malformed" (not JSON or not a chunk), "redirect"
    (3xx; redirects are not followed).
    """

    kind: str
    message: str
    status: int | None = None
    type: str | None = None
    code: str | None = None
    param: str | None = None
    retry_after: float | None = None

    def describe(self) -> str:
        """Words a person understands, including the upstream's own message.

        >>> UpstreamError("http", "Too many requests", status=429, retry_after=7).describe()
        'Rate limited (429): Too many requests. Retry after 7 s.'
        """
        if self.kind == "http":
            return _describe_http(self)
        if self.kind == "stream":
            code = f" ({self.code})" if self.code else ""
            return f"The upstream reported an error{code}: {_sentence(self.message)}"
        return self.message


class UpstreamFailure(Exception):
    """Raised by `list_models` (and used inside the client) to carry an UpstreamError."""

    def __init__(self, error: UpstreamError) -> None:
        super().__init__(error.describe())
        self.error = error


def _describe_http(error: UpstreamError) -> str:
    status, message = error.status, error.message
    retry = (
        f" Retry after {math.ceil(error.retry_after)} s." if error.retry_after is not None else ""
    )
    if status == 401:
        return f"Authentication failed (401): {_sentence(message)} Check the API key."
    if status == 403:
        return f"Access denied (403): {_sentence(message)} Check the API key and its permissions."
    if status == 404:
        return f"Not found (404): {_sentence(message)} Check the base URL and the model name."
    if status == 429:
        return f"Rate limited (429): {_sentence(message)}{retry}"
    if status is not None and status >= 500:
        return f"The upstream failed ({status}): {_sentence(message)}{retry}"
    if error.param:
        return f"The upstream rejected the request ({status}) — field '{error.param}': {message}"
    return f"The upstream rejected the request ({status}): {message}"


def _sentence(text: str) -> str:
    """'a message' -> 'a message.' so that a hint can follow it."""
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else f"{text}."


def format_seconds(value: float) -> str:
    return f"{value:g} s"


# --- what the upstream sent -----------------------------------------------------------


def http_error(response: httpx.Response, raw: bytes) -> UpstreamError:
    """A non-2xx answer, with the upstream's own message when its error body `raw` is a
    JSON error object; any other body is not quoted, only the status line.

    Whatever answers may not be an API at all (a base URL pointing at some internal
    page): its body must not be read back to whoever typed the URL.

    >>> request = httpx.Request("GET", "http://upstream/v1/models")
    >>> http_error(httpx.Response(500, request=request), b"<h1>db01: secret</h1>").message
    '500 Internal Server Error'
    """
    fields: _ErrorFields = {"message": ""}
    try:
        payload = json.loads(raw.decode("utf-8", "replace"))
    except ValueError:
        payload = None
    if isinstance(payload, dict):
        fields = _error_object_fields(payload)
    reason = snippet(response.reason_phrase or "")
    if not fields["message"] and raw.strip():
        # The status line stands in for a body that is not shown.
        fields["message"] = f"{response.status_code} {reason}".strip()
    if not fields["message"]:
        fields["message"] = reason or "no details"
    return UpstreamError(
        "http",
        status=response.status_code,
        retry_after=retry_after(response.headers.get("retry-after")),
        **fields,
    )


def retry_after(value: str | None) -> float | None:
    """Retry-After is either delay-seconds or an HTTP date (RFC 9110 section 10.2.3).

    >>> retry_after("7"), retry_after("soon")
    (7.0, None)
    """
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - datetime.now(UTC)).total_seconds()
    return max(seconds, 0.0) if math.isfinite(seconds) else None


def stream_error(payload: object) -> UpstreamError:
    """An error object sent in place of a chunk: {"error": {...}}, {"error": "..."}, the
    bare {"message", "type", ...} some servers put in an `event: error`, or plain text."""
    return UpstreamError("stream", **_error_fields(payload))


class _ErrorFields(TypedDict):
    message: str
    type: NotRequired[str | None]
    code: NotRequired[str | None]
    param: NotRequired[str | None]


def _error_fields(payload: object) -> _ErrorFields:
    """message/type/code/param from an OpenAI-style error body, as strings."""
    error: object = payload.get("error", payload) if isinstance(payload, dict) else payload
    if isinstance(error, str):
        return {"message": snippet(error) or "unknown error"}
    if not isinstance(error, dict):
        return {"message": snippet(json.dumps(error)) or "unknown error"}
    message = error.get("message") or error.get("detail") or error.get("msg")
    return {
        "message": snippet(message if isinstance(message, str) else json.dumps(error)),
        "type": _as_text(error.get("type")),
        "code": _as_text(error.get("code")),
        "param": _as_text(error.get("param")),
    }


def _error_object_fields(payload: dict[str, object]) -> _ErrorFields:
    """An error body's fields, but only the strings an error object has: anything else
    in the JSON is not quoted (see http_error)."""
    error = payload.get("error", payload)
    if isinstance(error, str):
        return {"message": snippet(error)}
    if not isinstance(error, dict):
        return {"message": ""}
    message = next(
        (text for key in ("message", "detail", "msg") if isinstance(text := error.get(key), str)),
        "",
    )
    return {
        "message": snippet(message),
        "type": _short_text(error.get("type")),
        "code": _short_text(error.get("code")),
        "param": _short_text(error.get("param")),
    }


def _short_text(value: object) -> str | None:
    """A string or a number, as a snippet; any other JSON is not quoted."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    return snippet(str(value)) or None


def _as_text(value: object) -> str | None:
    return None if value is None or value == "" else str(value)


def malformed(what: str, data: str) -> UpstreamError:
    return UpstreamError("malformed", f"The upstream sent {what}: {snippet(data)!r}.")


def snippet(text: str) -> str:
    """A short one-line excerpt; tags are dropped so an HTML error page reads as text."""
    text = _WHITESPACE.sub(" ", _TAG.sub(" ", text)).strip()
    return text if len(text) <= SNIPPET_LENGTH else text[: SNIPPET_LENGTH - 1] + "…"


# --- what went wrong on the way -------------------------------------------------------


def redirect_error(response: httpx.Response) -> UpstreamError:
    location = response.headers.get("location", "elsewhere")
    return UpstreamError(
        "redirect",
        f"The upstream redirected ({response.status_code}) to {location}; redirects are not "
        "followed. Check the base URL (it usually ends with /v1).",
        status=response.status_code,
    )


def first_byte_timeout(seconds: float) -> UpstreamError:
    return UpstreamError("timeout_first_byte", f"No first token within {format_seconds(seconds)}.")


def chunk_timeout(seconds: float) -> UpstreamError:
    message = f"The stream stalled: nothing arrived for {format_seconds(seconds)}."
    return UpstreamError("timeout_chunk", message)


def transport_error(
    exc: httpx.HTTPError | httpx.InvalidURL, url: str, *, connect: float, first_byte: float
) -> UpstreamError:
    """An exception from sending the request; `connect` and `first_byte` are the timeouts
    in seconds that were in force."""
    where = _host(url)
    reason = str(exc) or type(exc).__name__
    if isinstance(exc, httpx.ConnectTimeout):
        message = f"Could not connect to {where} within {format_seconds(connect)}."
        return UpstreamError("timeout_connect", message)
    if isinstance(exc, httpx.PoolTimeout):
        message = (
            f"No free connection to {where} within {format_seconds(connect)}: "
            "too many requests at once."
        )
        return UpstreamError("timeout_connect", message)
    if isinstance(exc, httpx.ReadTimeout):
        return first_byte_timeout(first_byte)
    if isinstance(exc, httpx.ConnectError):
        return UpstreamError("connection", f"Could not connect to {where}: {reason}.")
    if isinstance(exc, httpx.UnsupportedProtocol | httpx.InvalidURL):
        return UpstreamError("connection", f"The base URL cannot be used: {reason}.")
    return UpstreamError(
        "connection", f"The connection to {where} failed before an answer arrived: {reason}."
    )


def _host(url: str) -> str:
    """host[:port] only: a URL may carry credentials in its user-info part."""
    try:
        parts = urlsplit(url)
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "the upstream"
    return f"{parts.hostname}{port}" if parts.hostname else "the upstream"
