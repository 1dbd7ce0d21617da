r"""What a request asks of the simulator beyond the API: faults, pacing and lengths.

Markers
-------
Write `[[sim:KEY=VALUE]]` in the last user message (several per marker, separated by
commas, spaces or semicolons, are fine: `[[sim:tps=5,words=20]]`). Markers are
removed before the text is generated, so they change neither the text nor its seed.
The same settings can be sent as headers, which win over markers:
`X-Sim-Fault: 429` and `X-Sim-Options: tps=5, words=20`.

    fault=401             401 invalid_authentication_error
    fault=429             429 rate_limit_reached_error, with `Retry-After: 7`
    fault=500             500 server_error
    fault=503             503 engine_overloaded_error
    fault=slow-start      the first byte comes after 3 s (slow-start:0.5 for 0.5 s; at most 600)
    fault=drop            the connection is cut after a few deltas: no finish, no [DONE]
                          (without stream: cut halfway through the JSON body)
    fault=malformed       one event whose data is not JSON, mid-stream; the stream goes on
                          (without stream: a 200 whose body is not JSON)
    fault=error-event     `data: {"error": {...}}` mid-stream, then the stream ends, no [DONE]
                          (without stream: a 200 whose body is that error object)
    times=1               with a fault: only the first N requests with this same body get
                          it, later ones are answered (a client that retries succeeds)
    tps=5                 tokens per second for this request (1 to 10000)
    delay=1.5             seconds before the first token (at most 600)
    reasoning=200         reasoning length in tokens (at most 8000)
    words=500             answer length in tokens (at most 8000)
    refusal=12            the model declines: a refusal of that many tokens streams in the
                          `refusal` field (OpenAI's) while `content` stays null (at most 8000)

An unknown marker or a bad value is a 400 naming "messages" (or the header). The caps
keep one request from costing the server much: every choice (the API's n, at most 5)
is written in full before it is sent, and a slow pace holds a connection open.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from chat.simulator.markers import MARKER_RE
from chat.simulator.prompt import last_user_text

DEFAULT_REASONING_TOKENS = 40
DEFAULT_ANSWER_TOKENS = 60
MAX_MARKER_TOKENS = 8_000
MIN_TOKENS_PER_SECOND = 1.0
MAX_TOKENS_PER_SECOND = 10_000.0
MAX_DELAY_SECONDS = 600.0
MAX_FAULT_TIMES = 1000
SLOW_START_SECONDS = 3.0
RETRY_AFTER_SECONDS = 7

HTTP_FAULTS: dict[str, tuple[int, str, str]] = {
    "401": (401, "invalid_authentication_error", "Invalid Authentication (simulated)"),
    "429": (
        429,
        "rate_limit_reached_error",
        "Your account reached its request rate limit, please try again after "
        f"{RETRY_AFTER_SECONDS} seconds (simulated)",
    ),
    "500": (
        500,
        "server_error",
        "The server had an error while processing the request (simulated)",
    ),
    "503": (
        503,
        "engine_overloaded_error",
        "The engine is currently overloaded, please try again later (simulated)",
    ),
}
STREAM_FAULTS = ("slow-start", "drop", "malformed", "error-event")


class SimOptionError(ValueError):
    """A marker or X-Sim header the simulator cannot follow; `param` says where it was."""

    def __init__(self, message: str, param: str) -> None:
        super().__init__(message)
        self.param = param


@dataclass(frozen=True)
class SimOptions:
    """What the markers and X-Sim headers asked for. None means the app's own setting."""

    fault: str | None = None
    # With a fault: how many requests with the same body get it (None: every one).
    fault_times: int | None = None
    slow_start: float = SLOW_START_SECONDS
    tokens_per_second: float | None = None
    first_token_delay: float | None = None
    reasoning_tokens: int = DEFAULT_REASONING_TOKENS
    answer_tokens: int = DEFAULT_ANSWER_TOKENS
    # A refusal of this many tokens instead of an answer (None: the model answers).
    refusal_tokens: int | None = None


# A request without markers or X-Sim headers.
NO_OPTIONS = SimOptions()


def parse_options(body: Mapping[str, Any], headers: Mapping[str, str]) -> SimOptions:
    """Markers of the last user message, then X-Sim-Options, then X-Sim-Fault.

    >>> parse_options({"messages": [{"role": "user", "content": "Hi [[sim:tps=5]]"}]},
    ...               {"x-sim-fault": "slow-start:0.5"})
    SimOptions(fault='slow-start', fault_times=None, slow_start=0.5, tokens_per_second=5.0, \
first_token_delay=None, reasoning_tokens=40, answer_tokens=60, refusal_tokens=None)
    """
    settings: dict[str, Any] = {}
    for marker in MARKER_RE.findall(last_user_text(body.get("messages"))):
        settings.update(_parse_settings(marker, "messages"))
    settings.update(_parse_settings(headers.get("x-sim-options", ""), "X-Sim-Options"))
    if fault := headers.get("x-sim-fault", "").strip():
        settings.update(_parse_settings(f"fault={fault}", "X-Sim-Fault"))
    return SimOptions(**settings)


def without_markers(messages: list[Any]) -> list[Any]:
    """The messages as the model sees them: markers are instructions to the simulator."""

    def clean(content: object) -> object:
        if isinstance(content, str):
            return _strip_markers(content)
        if isinstance(content, list):
            return [
                {**part, "text": _strip_markers(part["text"])}
                if isinstance(part, Mapping) and isinstance(part.get("text"), str)
                else part
                for part in content
            ]
        return content

    return [
        {**m, "content": clean(m.get("content"))} if isinstance(m, Mapping) else m for m in messages
    ]


def _strip_markers(text: str) -> str:
    return re.sub(r"[ \t]{2,}", " ", MARKER_RE.sub("", text)).strip()


def _parse_settings(text: str, source: str) -> dict[str, Any]:
    settings: dict[str, Any] = {}
    for item in re.split(r"[\s,;]+", text.strip()):
        if not item:
            continue
        key, equals, value = item.partition("=")
        if not equals or key not in _SETTING_PARSERS:
            raise SimOptionError(
                f"Unknown simulator option {item!r}; use fault=, times=, tps=, delay=, "
                "reasoning=, words= or refusal=.",
                source,
            )
        try:
            settings.update(_SETTING_PARSERS[key](value))
        except ValueError as exc:
            raise SimOptionError(f"Simulator option {item!r}: {exc}", source) from None
    return settings


def _parse_fault(value: str) -> dict[str, Any]:
    name, colon, seconds = value.partition(":")
    if name not in HTTP_FAULTS and name not in STREAM_FAULTS:
        raise ValueError(f"the faults are {', '.join([*HTTP_FAULTS, *STREAM_FAULTS])}.")
    if colon and name != "slow-start":
        raise ValueError("only slow-start takes a number of seconds.")
    settings: dict[str, Any] = {"fault": name}
    if colon:
        settings["slow_start"] = _number(seconds, low=0, high=MAX_DELAY_SECONDS)
    return settings


def _number(text: str, *, low: float, high: float) -> float:
    value = float(text)
    if not math.isfinite(value) or not low <= value <= high:
        raise ValueError(f"expected a number from {low:g} to {high:g}.")
    return value


def _tokens(text: str) -> int:
    value = int(text)
    if not 0 <= value <= MAX_MARKER_TOKENS:
        raise ValueError(f"expected a whole number from 0 to {MAX_MARKER_TOKENS}.")
    return value


def _refusal_tokens(text: str) -> int:
    value = _tokens(text)
    if value == 0:  # an empty refusal would be no refusal at all
        raise ValueError(f"expected a whole number from 1 to {MAX_MARKER_TOKENS}.")
    return value


def _times(text: str) -> int:
    value = int(text)
    if not 1 <= value <= MAX_FAULT_TIMES:
        raise ValueError(f"expected a whole number from 1 to {MAX_FAULT_TIMES}.")
    return value


_SETTING_PARSERS: dict[str, Callable[[str], dict[str, Any]]] = {
    "fault": _parse_fault,
    "times": lambda v: {"fault_times": _times(v)},
    "tps": lambda v: {
        "tokens_per_second": _number(v, low=MIN_TOKENS_PER_SECOND, high=MAX_TOKENS_PER_SECOND)
    },
    "delay": lambda v: {"first_token_delay": _number(v, low=0, high=MAX_DELAY_SECONDS)},
    "reasoning": lambda v: {"reasoning_tokens": _tokens(v)},
    "words": lambda v: {"answer_tokens": _tokens(v)},
    "refusal": lambda v: {"refusal_tokens": _refusal_tokens(v)},
}
