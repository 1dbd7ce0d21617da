r"""The embedded upstream: an OpenAI-compatible chat-completions server that makes up
its answers, so the playground works (and every failure can be shown) without an API key.

A plain ASGI application, no Django: the project's asgi.py mounts it under /sim, and
`python -m chat.simulator.app --port 9000 [--tps 40] [--first-token-delay 0.3] [--record]`
serves it alone with Daphne for load tests. `application` reads PLAYGROUND_SIM_TOKENS_PER_SECOND,
PLAYGROUND_SIM_FIRST_TOKEN_DELAY and PLAYGROUND_SIM_RECORD.

Routes (under the app's prefix)
-------------------------------
    GET    /v1/models             the served models
    POST   /v1/chat/completions   a completion, streamed (SSE) or whole
    GET    /_sim/requests         only with record=True: the last 200 bodies received, newest last
    DELETE /_sim/requests         only with record=True: forget them

Any Authorization header is accepted. Bodies over 20 MB get 413. Invalid requests get
the API's 400: {"error": {"message", "type": "invalid_request_error", "param", "code"}}.

The wire format
---------------
As Moonshot's kimi-k2-thinking streams it: a role chunk, `reasoning_content` deltas,
then `content` deltas, then a chunk with finish_reason and usage inside the choice.
One word and the whitespace after it is one token and one delta. For example:

    data: {"id":"cmpl-…","object":"chat.completion.chunk","created":1762300800,
           "model":"kimi-k2-thinking",
           "choices":[{"index":0,"delta":{"role":"assistant"},"finish_reason":null}]}
    data: {… "choices":[{"index":0,"delta":{"reasoning_content":"The "},…}]}
    …
    data: {… "choices":[{"index":0,"delta":{"content":"### "},…}]}
    …
    data: {… "choices":[{"index":0,"delta":{},"finish_reason":"stop",
                         "usage":{"prompt_tokens":4,"completion_tokens":100,…}}]}
    data: {… "choices":[],"usage":{…}}        (only with stream_options.include_usage)
    data: [DONE]

With n > 1 the choices' chunks interleave round-robin. Output is paced at the app's
tokens per second (one round of chunks per tick) after its first-token delay.

How the request shapes the text
-------------------------------
The text is made from sentence templates whose word slots are filled by a random
generator seeded (sha256) from model, messages (markers removed), temperature, top_p,
top_k, the penalties and the choice index: the same request gives the same text.

- temperature picks the vocabulary: below 0.5 plain words, below 1.2 everyday ones,
  from 1.2 vivid ones ("examine" / "look at" / "chew on").
- top_p and top_k narrow each slot to its most likely words (top_p 0.1 or top_k 1:
  always the first), so the wording gets more uniform.
- presence_penalty + frequency_penalty: positive avoids a word already used in the
  text, negative prefers one.
- Reasoning (40 tokens by default) names the prompt's topic; the answer (60 tokens by
  default) is Markdown: a heading, a paragraph, bullets, and a fenced code block when
  the last user message says "code". Lengths are exact unless the answer quotes a
  tool result or is JSON.
- max_tokens counts reasoning + answer tokens and ends with finish_reason "length".
- stop cuts the answer before the first stop string (finish_reason "stop").
- n gives n different choices, but one when temperature < NEAR_ZERO_TEMPERATURE.
- response_format json_object: the answer is {"answer", "topic", "confidence"}.
- tools: the answer is a tool call (finish_reason "tool_calls", arguments made up from
  the tool's JSON schema) when the last message is the user's, tool_choice is not
  "none", and either tool_choice names a function or is "required", or the message
  mentions a tool's name (get_weather, "get weather", or a part of 4+ letters such as
  "weather"), or says "call" / "use the tool" / "use a tool" (then the first tool).
  After a tool result (role "tool") the answer quotes it.
- Images (content parts of type image_url) are acknowledged in the answer: "I see 1
  image (image/png, 1234 bytes)." for data: URLs, "(from example.com)" for others.
- A last assistant message with "partial": true is continued, not repeated.
- usage: completion_tokens = reasoning + answer tokens (a tool call counts one token
  for its name plus one per arguments fragment); prompt_tokens = words in the
  messages; cached_tokens = 0 on a first turn, later the words before the last user
  message (the part a real cache would have seen).

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
    fault=slow-start      the response's first byte comes after 3 s (slow-start:0.5 for 0.5 s)
    fault=drop            the connection is cut after a few deltas: no finish, no [DONE]
                          (without stream: cut halfway through the JSON body)
    fault=malformed       one event whose data is not JSON, mid-stream; the stream goes on
                          (without stream: a 200 whose body is not JSON)
    fault=error-event     `data: {"error": {...}}` mid-stream, then the stream ends, no [DONE]
                          (without stream: a 200 whose body is that error object)
    tps=5                 tokens per second for this request
    delay=1.5             seconds before the first token
    reasoning=200         reasoning length in tokens
    words=500             answer length in tokens

An unknown marker or a bad value is a 400 naming "messages" (or the header).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import binascii
import contextlib
import hashlib
import json
import math
import os
import random
import re
import sys
import time
import uuid
from collections import deque
from collections.abc import Awaitable, Callable, Iterator, Mapping, MutableMapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeAlias
from urllib.parse import unquote_to_bytes, urlsplit

from chat.api.params import DEFAULT_MODELS, NEAR_ZERO_TEMPERATURE
from chat.api.rules import validate_body

Scope: TypeAlias = MutableMapping[str, Any]
Message: TypeAlias = MutableMapping[str, Any]
Receive: TypeAlias = Callable[[], Awaitable[Message]]
Send: TypeAlias = Callable[[Message], Awaitable[None]]

MAX_BODY_BYTES = 20 * 1024 * 1024
RECORD_LIMIT = 200
DEFAULT_REASONING_TOKENS = 40
DEFAULT_ANSWER_TOKENS = 60
MAX_MARKER_TOKENS = 100_000
SLOW_START_SECONDS = 3.0
RETRY_AFTER_SECONDS = 7
# Stream faults strike after this many rounds (the role chunk, then tokens).
FAULT_AFTER_ROUNDS = 4
MODEL_CREATED = 1_762_300_800
MARKER_RE = re.compile(r"\[\[sim:([^\]]*)\]\]")

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
# A chunk cut off inside a string, as a broken proxy might pass it on.
MALFORMED_EVENT = b'data: {"id":"cmpl-broken","choices":[{"delta":{"content":"\n\n'
MID_STREAM_ERROR = {
    "error": {
        "message": "The engine failed mid-generation (simulated)",
        "type": "server_error",
        "param": None,
        "code": "internal_error",
    }
}

SSE_HEADERS = [
    (b"content-type", b"text/event-stream; charset=utf-8"),
    (b"cache-control", b"no-cache"),
    (b"x-accel-buffering", b"no"),
]


# --------------------------------------------------------------------------- options


class SimOptionError(ValueError):
    """A marker or X-Sim header the simulator cannot follow; `param` says where it was."""

    def __init__(self, message: str, param: str) -> None:
        super().__init__(message)
        self.param = param


@dataclass(frozen=True)
class SimOptions:
    """What the markers and X-Sim headers asked for. None means the app's own setting."""

    fault: str | None = None
    slow_start: float = SLOW_START_SECONDS
    tokens_per_second: float | None = None
    first_token_delay: float | None = None
    reasoning_tokens: int = DEFAULT_REASONING_TOKENS
    answer_tokens: int = DEFAULT_ANSWER_TOKENS


def parse_options(body: Mapping[str, Any], headers: Mapping[str, str]) -> SimOptions:
    """Markers of the last user message, then X-Sim-Options, then X-Sim-Fault.

    >>> parse_options({"messages": [{"role": "user", "content": "Hi [[sim:tps=5]]"}]},
    ...               {"x-sim-fault": "slow-start:0.5"})
    SimOptions(fault='slow-start', slow_start=0.5, tokens_per_second=5.0, \
first_token_delay=None, reasoning_tokens=40, answer_tokens=60)
    """
    settings: dict[str, Any] = {}
    for marker in MARKER_RE.findall(_last_user_text(body.get("messages"))):
        settings.update(_parse_settings(marker, "messages"))
    settings.update(_parse_settings(headers.get("x-sim-options", ""), "X-Sim-Options"))
    if fault := headers.get("x-sim-fault", "").strip():
        settings.update(_parse_settings(f"fault={fault}", "X-Sim-Fault"))
    return SimOptions(**settings)


def _parse_settings(text: str, source: str) -> dict[str, Any]:
    settings: dict[str, Any] = {}
    for item in re.split(r"[\s,;]+", text.strip()):
        if not item:
            continue
        key, equals, value = item.partition("=")
        if not equals or key not in _SETTING_PARSERS:
            raise SimOptionError(
                f"Unknown simulator option {item!r}; use fault=, tps=, delay=, reasoning= "
                "or words=.",
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
        settings["slow_start"] = _number(seconds, low=0)
    return settings


def _number(text: str, *, low: float, above: bool = False) -> float:
    value = float(text)
    if not math.isfinite(value) or value < low or (above and value == low):
        raise ValueError(f"expected a number {'above' if above else 'of at least'} {low:g}.")
    return value


def _tokens(text: str) -> int:
    value = int(text)
    if not 0 <= value <= MAX_MARKER_TOKENS:
        raise ValueError(f"expected a whole number from 0 to {MAX_MARKER_TOKENS}.")
    return value


_SETTING_PARSERS: dict[str, Callable[[str], dict[str, Any]]] = {
    "fault": _parse_fault,
    "tps": lambda v: {"tokens_per_second": _number(v, low=0, above=True)},
    "delay": lambda v: {"first_token_delay": _number(v, low=0)},
    "reasoning": lambda v: {"reasoning_tokens": _tokens(v)},
    "words": lambda v: {"answer_tokens": _tokens(v)},
}


# ------------------------------------------------------------------ reading the prompt


def _text_of(content: object) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(
            part["text"]
            for part in content
            if isinstance(part, Mapping) and isinstance(part.get("text"), str)
        )
    return ""


def _last_user_message(messages: object) -> Mapping[str, Any]:
    if isinstance(messages, list):
        for message in reversed(messages):
            if isinstance(message, Mapping) and message.get("role") == "user":
                return message
    return {}


def _last_user_text(messages: object) -> str:
    return _text_of(_last_user_message(messages).get("content"))


def _strip_markers(text: str) -> str:
    return re.sub(r"[ \t]{2,}", " ", MARKER_RE.sub("", text)).strip()


def _without_markers(messages: list[Any]) -> list[Any]:
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


_STOPWORDS = frozenset(
    """a about above after again all also am an and any are as at be because been before
    being below between both but by can could did do does doing down during each explain
    few for from further give had has have having he her here hers how i if in into is it
    its just let me more most my no nor not now of off on once only or other our out over
    own please same she should show so some such tell than that the their them then there
    these they this those through to too under until up very was we were what when where
    which while who whom why will with would write you your yours describe could would
    briefly short quick simple example examples code using use call tool""".split()  # noqa: SIM905
)


def _topic_of(text: str, has_images: bool) -> str:
    """The first three content words: "Explain quicksort in Python" -> "quicksort python"."""
    words: list[str] = []
    for word in re.findall(r"[A-Za-z][A-Za-z0-9+#'-]*", text):
        word = word.lower().split("'")[0].strip("-")  # "what's" -> "what"
        if len(word) >= 3 and word not in _STOPWORDS and word not in words:
            words.append(word)
        if len(words) == 3:
            break
    if words:
        return " ".join(words)
    return "the image" if has_images else "your question"


def _place_in(text: str) -> str | None:
    """A capitalised name after in/at/for/near: "weather in New York?" -> "New York"."""
    match = re.search(r"\b(?:in|at|for|near)\s+([A-Z][\w-]*(?:\s+[A-Z][\w-]*)*)", text)
    return match.group(1) if match else None


def _describe_images(content: object) -> list[str]:
    """ "image/png, 1234 bytes" for a data: URL, "from example.com" for any other URL."""
    if not isinstance(content, list):
        return []
    found = []
    for part in content:
        image = part.get("image_url") if isinstance(part, Mapping) else None
        url = image.get("url") if isinstance(image, Mapping) else None
        if isinstance(url, str):
            found.append(_describe_image_url(url))
    return found


def _describe_image_url(url: str) -> str:
    if not url.startswith("data:"):
        return f"from {urlsplit(url).hostname or 'an unknown host'}"
    header, _, payload = url[len("data:") :].partition(",")
    media_type = header.split(";")[0] or "text/plain"
    try:
        if header.endswith(";base64"):
            size = len(base64.b64decode(payload, validate=False))
        else:
            size = len(unquote_to_bytes(payload))
    except (binascii.Error, ValueError):
        return f"{media_type}, undecodable"
    return f"{media_type}, {size} bytes"


def _tool_result(messages: list[Any]) -> tuple[str, str] | None:
    """(tool name, its content) when the last message is a tool result."""
    last = messages[-1] if messages else None
    if not isinstance(last, Mapping) or last.get("role") != "tool":
        return None
    name = last.get("name") if isinstance(last.get("name"), str) else None
    for message in reversed(messages[:-1]):
        for call in (message.get("tool_calls") or []) if isinstance(message, Mapping) else []:
            if isinstance(call, Mapping) and call.get("id") == last.get("tool_call_id"):
                name = call.get("function", {}).get("name") or name
    return name or "tool", _text_of(last.get("content"))


_ASKS_FOR_A_TOOL = re.compile(r"\b(?:call|use (?:the|a|your) tools?|use tools?)\b", re.IGNORECASE)
_GENERIC_NAME_PARTS = frozenset({"get", "set", "list", "fetch", "make", "create", "find", "tool"})


def _tool_to_call(body: Mapping[str, Any], text: str) -> Mapping[str, Any] | None:
    """The function the model calls, by the rule in the module docstring, or None."""
    messages = body["messages"]
    functions = [t["function"] for t in body.get("tools") or []]
    choice = body.get("tool_choice", "auto")
    if not functions or choice == "none" or messages[-1].get("role") != "user":
        return None
    if isinstance(choice, Mapping):
        wanted = (choice.get("function") or {}).get("name")
        return next((f for f in functions if f["name"] == wanted), functions[0])
    lowered = text.lower()
    for function in functions:
        if _mentions(lowered, function["name"]):
            return function
    if choice == "required" or _ASKS_FOR_A_TOOL.search(text):
        return functions[0]
    return None


def _mentions(text: str, name: str) -> bool:
    parts = [p for p in re.split(r"[_\-]+", name.lower()) if p]
    if name.lower() in text or " ".join(parts) in text:
        return True
    return any(
        len(p) >= 4 and p not in _GENERIC_NAME_PARTS and re.search(rf"\b{re.escape(p)}", text)
        for p in parts
    )


@dataclass(frozen=True)
class _Prompt:
    """What the generator needs to know about the conversation."""

    topic: str
    place: str | None
    wants_code: bool
    images: tuple[str, ...]
    tool: Mapping[str, Any] | None
    tool_result: tuple[str, str] | None
    partial: str | None
    json_mode: bool


def _read_prompt(body: Mapping[str, Any], messages: list[Any]) -> _Prompt:
    user = _last_user_message(messages)
    text = _text_of(user.get("content"))
    images = _describe_images(user.get("content"))
    last = messages[-1]
    partial = last.get("partial") is True and last.get("role") == "assistant"
    response_format = body.get("response_format") or {}
    return _Prompt(
        topic=_topic_of(text, bool(images)),
        place=_place_in(text),
        wants_code=re.search(r"\bcode\b", text, re.IGNORECASE) is not None,
        images=tuple(images),
        tool=_tool_to_call(body, text),
        tool_result=_tool_result(messages),
        partial=_text_of(last.get("content")) if partial else None,
        json_mode=response_format.get("type") == "json_object",
    )


# ------------------------------------------------------------------- the word bank

# Each slot lists its words from plain to vivid; temperature picks a window of three.
_WORDS: dict[str, tuple[str, ...]] = {
    slot: tuple(words.split("|"))
    for slot, words in {
        "asks": "is asking about|wants to know about|asks about|is curious about"
        "|wonders about|is intrigued by|is fascinated by",
        "think": "examine|consider|look at|think about|weigh|mull over|chew on",
        "start": "start|begin|open|lead|kick off|dive in|leap in",
        "then": "then|next|afterwards|after that|later|eventually|at last",
        "core": "main|central|key|core|essential|load-bearing|beating-heart",
        "clear": "clear|precise|plain|easy to follow|crisp|sparkling|luminous",
        "short": "short|brief|concise|compact|tight|punchy|snappy",
        "useful": "useful|practical|helpful|handy|actionable|memorable|delightful",
        "example": "example|case|illustration|sample|scenario|vignette|tale",
        "pitfall": "mistake|pitfall|error|trap|snag|gotcha|banana peel",
        "check": "check|verify|confirm|test|double-check|sanity-check|poke at",
        "summary": "summary|recap|review|wrap-up|roundup|encore|flourish",
        "good": "good|sound|wise|sensible|smart|splendid|dazzling",
        "mention": "mention|describe|note|acknowledge|point out|spotlight|celebrate",
        "often": "usually|often|typically|commonly|frequently|happily|gleefully",
        "part": "parts|pieces|components|elements|building blocks|moving parts|gears",
        "build": "extend|grow|build on|expand|develop|stretch|supercharge",
        "detail": "details|specifics|particulars|fine print"
        "|nuances|hidden corners|nooks and crannies",
        "overall": "overall|in short|in summary|all in all"
        "|altogether|ultimately|in the grand scheme",
        "worth": "worth|well worth|truly worth|clearly worth"
        "|richly worth|wildly worth|gloriously worth",
        "effort": "effort|time|attention|study|practice|adventure|journey",
    }.items()
}

_REASONING_FILLERS = (
    "I should {start} with the {core} idea and {then} give one {example}.",
    "Let me {check} that each step is {clear}.",
    "The answer should be {short} and {useful}.",
    "I will {mention} one common {pitfall} so it can be avoided.",
    "A {short} {summary} at the end would help.",
    "It is {good} to {think} the {detail} before answering.",
)
_ANSWER_FILLERS = (
    "You {often} {start} with one small {example} and {then} {build} it.",
    "The {core} point is that {topic} rewards {clear} thinking.",
    "One common {pitfall} is to rush past the {detail}.",
    "It helps to {check} each step against one {good} {example}.",
    "{overall}, {topic} is {worth} the {effort}.",
)
_ANSWER_LEAD = "{topic} is {often} understood by looking at its {core} {part}."
_CONTINUATION_LEAD = "and that is where {topic} comes in."
_BULLETS = (
    "- **Idea:** {start} with the {core} {part}.",
    "- **Practice:** {check} each step with one {example}.",
    "- **Watch out:** the usual {pitfall} hides in the {detail}.",
)
_CODE = (
    "```python\n"
    "def explain_{ident}() -> str:\n"
    '    return "{topic}: start small, then {build}."\n'
    "```"
)


@dataclass(frozen=True)
class _Sampling:
    """The request's sampling settings, as the word picker reads them."""

    temperature: float
    top_p: float
    top_k: int | None
    penalty: float

    @staticmethod
    def float(body: Mapping[str, Any], name: str, default: float = 0.0) -> float:
        value = body.get(name)
        return default if value is None else float(value)

    @classmethod
    def of(cls, body: Mapping[str, Any]) -> _Sampling:
        return cls(
            temperature=cls.float(body, "temperature", 1.0),
            top_p=cls.float(body, "top_p", 1.0),
            top_k=body.get("top_k"),
            penalty=cls.float(body, "presence_penalty") + cls.float(body, "frequency_penalty"),
        )

    @property
    def register(self) -> int:
        """0 plain, 1 everyday, 2 vivid."""
        return 0 if self.temperature < 0.5 else 1 if self.temperature < 1.2 else 2


class _Writer:
    """Fills templates with words picked deterministically under the sampling settings."""

    def __init__(self, seed: int, sampling: _Sampling, context: Mapping[str, str]) -> None:
        self._rng = random.Random(seed)
        self._sampling = sampling
        self._context = context
        self._used: set[str] = set()

    def pick(self, slot: str) -> str:
        window = _WORDS[slot][2 * self._sampling.register :][:3]
        keep = max(1, math.ceil(len(window) * self._sampling.top_p))
        if self._sampling.top_k is not None:
            keep = min(keep, self._sampling.top_k)
        pool = list(window[:keep])
        if self._sampling.penalty > 0:
            pool = [w for w in pool if w not in self._used] or pool
        elif self._sampling.penalty < 0:
            pool = [w for w in pool if w in self._used] or pool
        word = self._rng.choice(pool)
        self._used.add(word)
        return word

    def fill(self, template: str) -> str:
        def replace(match: re.Match[str]) -> str:
            key = match.group(1)
            if key in self._context:
                return self._context[key]
            return self.pick(key) if key in _WORDS else match.group(0)

        text = re.sub(r"\{(\w+)\}", replace, template)
        return text[:1].upper() + text[1:] if template.startswith("{") else text

    def prose(self, tokens: int, leads: Sequence[str], fillers: Sequence[str]) -> str:
        """Exactly `tokens` words: the lead sentences, then fillers in a seeded order."""
        sentences = [self.fill(lead) for lead in leads]
        while _count(" ".join(sentences)) < tokens:
            sentences.append(self.fill(self._rng.choice(fillers)))
        return _cut_words(" ".join(sentences), tokens)

    def number(self, low: float, high: float) -> float:
        return self._rng.uniform(low, high)

    def integer(self, low: int, high: int) -> int:
        return self._rng.randint(low, high)


def _count(text: str) -> int:
    return len(text.split())


def _cut_words(text: str, tokens: int) -> str:
    """The first `tokens` words, ending like a sentence when the cut falls inside one."""
    words = text.split(" ")
    if tokens >= len(words):
        return text
    if tokens == 0:
        return ""
    kept = " ".join(words[:tokens]).rstrip(",;:")
    return kept if kept.endswith((".", "!", "?")) else kept + "."


def split_tokens(text: str) -> list[str]:
    r"""Tokens as streamed: a word with the whitespace after it (and any before the first).

    >>> split_tokens("### Title\n\nA b.")
    ['### ', 'Title\n\n', 'A ', 'b.']
    """
    return re.findall(r"\s*\S+\s*", text)


# --------------------------------------------------------------------- the texts


def _reasoning(writer: _Writer, prompt: _Prompt, tokens: int) -> str:
    leads = ["The user {asks} {topic}."]
    if prompt.images:
        leads.append("The message has an image, so I should {mention} it first.")
    if prompt.tool is not None:
        leads.append(f"The `{prompt.tool['name']}` tool can answer this, so I will call it.")
    elif prompt.tool_result is not None:
        leads.append(f"The `{prompt.tool_result[0]}` tool has answered; let me {{think}} it.")
    elif prompt.json_mode:
        leads.append("The answer must be one JSON object.")
    elif prompt.partial is not None:
        leads.append("I should continue the text where it stops, without repeating it.")
    elif prompt.wants_code:
        leads.append("A {short} code {example} would make this {clear}.")
    return writer.prose(tokens, leads, _REASONING_FILLERS)


def _answer(writer: _Writer, prompt: _Prompt, tokens: int) -> str:
    leads = [_image_note(prompt.images)] if prompt.images else []
    if prompt.tool_result is not None:
        name, result = prompt.tool_result
        quoted = _cut_words(" ".join(result.split()), 40)
        note = f"The `{name}` tool returned: {quoted}"
        leads.append(note if note.endswith((".", "!", "?")) else note + ".")
        return writer.prose(max(tokens, _count(" ".join(leads))), leads, _ANSWER_FILLERS)
    if prompt.json_mode:
        return _json_answer(writer, prompt, leads, tokens)
    if prompt.partial is not None:
        return _continuation(writer, prompt.partial, tokens)
    return _markdown_answer(writer, prompt, leads, tokens)


def _image_note(images: Sequence[str]) -> str:
    count = "1 image" if len(images) == 1 else f"{len(images)} images"
    return f"I see {count} ({'; '.join(images)})."


def _markdown_answer(writer: _Writer, prompt: _Prompt, leads: list[str], tokens: int) -> str:
    """A heading, a paragraph, bullets and maybe code; just a paragraph when short."""
    heading = "### " + prompt.topic.title()
    blocks = [writer.fill(b) for b in _BULLETS]
    if prompt.wants_code:
        ident = re.sub(r"\W+", "_", prompt.topic).strip("_").lower() or "topic"
        blocks.append(writer.fill(_CODE.replace("{ident}", ident)))
    paragraph_tokens = tokens - _count(heading) - sum(_count(b) for b in blocks)
    if paragraph_tokens < _count(" ".join(leads)) + 12:
        return writer.prose(tokens, [*leads, _ANSWER_LEAD], _ANSWER_FILLERS)
    paragraph = writer.prose(paragraph_tokens, [*leads, _ANSWER_LEAD], _ANSWER_FILLERS)
    bullets = "\n".join(blocks[: len(_BULLETS)])
    return "\n\n".join([heading, paragraph, bullets, *blocks[len(_BULLETS) :]])


def _json_answer(writer: _Writer, prompt: _Prompt, leads: list[str], tokens: int) -> str:
    answer = writer.prose(max(tokens - 6, 1), [*leads, _ANSWER_LEAD], _ANSWER_FILLERS)
    confidence = round(writer.number(0.55, 0.98), 2)
    payload = {"answer": answer, "topic": prompt.topic, "confidence": confidence}
    return json.dumps(payload, ensure_ascii=False)


def _continuation(writer: _Writer, prefix: str, tokens: int) -> str:
    """Text that goes on from `prefix`: mid-sentence it starts with a clause."""
    mid_sentence = prefix.rstrip() != "" and not prefix.rstrip().endswith((".", "!", "?", ":"))
    leads = [_CONTINUATION_LEAD] if mid_sentence else [_ANSWER_LEAD]
    text = writer.prose(tokens, leads, _ANSWER_FILLERS)
    return text if not text or prefix[-1:].isspace() or not prefix else " " + text


# ------------------------------------------------------------------ tool arguments


def _arguments(writer: _Writer, prompt: _Prompt, schema: object) -> dict[str, Any]:
    value = _example_value(writer, prompt, "arguments", schema, depth=0)
    return value if isinstance(value, dict) else {}


def _example_value(writer: _Writer, prompt: _Prompt, name: str, schema: object, depth: int) -> Any:
    """A plausible value for a JSON schema: enums pick their first, names suggest strings."""
    schema = schema if isinstance(schema, Mapping) else {}
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return schema["enum"][0]
    kind = schema.get("type", "object" if "properties" in schema else "string")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "string")
    if kind == "object":
        properties = schema.get("properties") if depth < 5 else None
        if not isinstance(properties, Mapping):
            return {}
        return {
            key: _example_value(writer, prompt, key, sub, depth + 1)
            for key, sub in properties.items()
        }
    if kind == "array":
        return [_example_value(writer, prompt, name, schema.get("items"), depth + 1)]
    if kind in ("integer", "number"):
        low, high = _bounds(schema)
        if kind == "integer":
            return writer.integer(math.ceil(low), max(math.ceil(low), math.floor(high)))
        return round(writer.number(low, high), 2)
    if kind == "boolean":
        return True
    if kind == "null":
        return None
    return _example_string(name.lower(), prompt)


def _bounds(schema: Mapping[str, Any]) -> tuple[float, float]:
    """minimum and maximum, 1 and 10 when unset (or unusable)."""

    def finite(value: object) -> bool:
        return (
            isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
        )

    low = schema["minimum"] if finite(schema.get("minimum")) else 1
    high = schema["maximum"] if finite(schema.get("maximum")) else low + 9
    return low, max(low, high)


_STRING_EXAMPLES = (
    (("location", "city", "place", "town", "country", "where"), None),
    (("unit",), "celsius"),
    (("date", "day"), "2025-06-01"),
    (("time",), "12:00"),
    (("email",), "ada@example.com"),
    (("url", "link"), "https://example.com"),
    (("lang",), "en"),
    (("name",), "Ada"),
)


def _example_string(name: str, prompt: _Prompt) -> str:
    for keys, example in _STRING_EXAMPLES:
        if any(key in name for key in keys):
            return example if example is not None else (prompt.place or "Paris")
    return prompt.topic


# ------------------------------------------------------------------ the completion


@dataclass(frozen=True)
class ToolCall:
    id: str
    name: str
    fragments: tuple[str, ...]  # the arguments JSON, as streamed

    @property
    def arguments(self) -> str:
        return "".join(self.fragments)

    @property
    def tokens(self) -> int:
        return 1 + len(self.fragments)


@dataclass(frozen=True)
class Choice:
    index: int
    reasoning: tuple[str, ...]
    content: tuple[str, ...]
    tool_call: ToolCall | None
    finish_reason: str

    @property
    def completion_tokens(self) -> int:
        tool_tokens = self.tool_call.tokens if self.tool_call else 0
        return len(self.reasoning) + len(self.content) + tool_tokens


@dataclass(frozen=True)
class Completion:
    model: str
    choices: tuple[Choice, ...]
    prompt_tokens: int
    cached_tokens: int


def generate(body: Mapping[str, Any], options: SimOptions = SimOptions()) -> Completion:
    """The whole completion for a valid request body; pure and deterministic."""
    messages = _without_markers(body["messages"])
    prompt = _read_prompt(body, messages)
    sampling = _Sampling.of(body)
    n = 1 if sampling.temperature < NEAR_ZERO_TEMPERATURE else body.get("n") or 1
    choices = tuple(
        _choice(index, _seed(body, messages, sampling, index), sampling, prompt, body, options)
        for index in range(n)
    )
    prompt_tokens, cached_tokens = _prompt_tokens(body["messages"])
    return Completion(body["model"], choices, prompt_tokens, cached_tokens)


def _seed(body: Mapping[str, Any], messages: list[Any], sampling: _Sampling, index: int) -> int:
    material = json.dumps(
        [
            body["model"],
            messages,
            sampling.temperature,
            sampling.top_p,
            sampling.top_k,
            _Sampling.float(body, "presence_penalty"),
            _Sampling.float(body, "frequency_penalty"),
            index,
        ],
        sort_keys=True,
        default=str,
    )
    return int.from_bytes(hashlib.sha256(material.encode()).digest()[:8], "big")


def _choice(
    index: int,
    seed: int,
    sampling: _Sampling,
    prompt: _Prompt,
    body: Mapping[str, Any],
    options: SimOptions,
) -> Choice:
    writer = _Writer(seed, sampling, {"topic": prompt.topic})
    reasoning = split_tokens(_reasoning(writer, prompt, options.reasoning_tokens))
    if prompt.tool is not None:
        arguments = json.dumps(_arguments(writer, prompt, prompt.tool.get("parameters")))
        call = ToolCall(f"call_{seed:016x}", prompt.tool["name"], tuple(split_tokens(arguments)))
        return _limited(Choice(index, tuple(reasoning), (), call, "tool_calls"), body)
    answer = _cut_at_stop(_answer(writer, prompt, options.answer_tokens), body.get("stop"))
    return _limited(
        Choice(index, tuple(reasoning), tuple(split_tokens(answer)), None, "stop"), body
    )


def _cut_at_stop(text: str, stop: object) -> str:
    stops = [stop] if isinstance(stop, str) else stop if isinstance(stop, list) else []
    cuts = [i for s in stops if (i := text.find(s)) >= 0]
    return text[: min(cuts)] if cuts else text


def _limited(choice: Choice, body: Mapping[str, Any]) -> Choice:
    """The choice cut to max_tokens (reasoning first), finishing with "length" if cut."""
    budget = body.get("max_tokens")
    if budget is None or choice.completion_tokens <= budget:
        return choice
    reasoning = choice.reasoning[:budget]
    budget -= len(reasoning)
    content = choice.content[:budget]
    call = choice.tool_call
    if call is not None:
        call = ToolCall(call.id, call.name, call.fragments[: budget - 1]) if budget else None
    return Choice(choice.index, reasoning, content, call, "length")


def _prompt_tokens(messages: list[Any]) -> tuple[int, int]:
    """(prompt tokens, cached tokens): words sent; cached = words before the last user turn."""
    counts = [_count(_message_words(m)) for m in messages]
    roles = [m.get("role") for m in messages]
    last_user = max((i for i, role in enumerate(roles) if role == "user"), default=0)
    cached = sum(counts[:last_user]) if "assistant" in roles[:last_user] else 0
    return max(1, sum(counts)), cached


def _message_words(message: Mapping[str, Any]) -> str:
    calls = message.get("tool_calls") or []
    arguments = " ".join(c.get("function", {}).get("arguments", "") for c in calls)
    return f"{_text_of(message.get('content'))} {arguments}"


# --------------------------------------------------------------- the wire format


def usage_of(completion: Completion, choices: Sequence[Choice] | None = None) -> dict[str, Any]:
    """The usage object for some choices (all by default): prompt counted once."""
    chosen = completion.choices if choices is None else choices
    completion_tokens = sum(c.completion_tokens for c in chosen)
    return {
        "prompt_tokens": completion.prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": completion.prompt_tokens + completion_tokens,
        "prompt_tokens_details": {"cached_tokens": completion.cached_tokens},
        "completion_tokens_details": {"reasoning_tokens": sum(len(c.reasoning) for c in chosen)},
    }


def _deltas(choice: Choice) -> list[dict[str, Any]]:
    deltas: list[dict[str, Any]] = [{"role": "assistant"}]
    deltas += [{"reasoning_content": token} for token in choice.reasoning]
    deltas += [{"content": token} for token in choice.content]
    call = choice.tool_call
    if call is not None:
        function = {"name": call.name, "arguments": ""}
        deltas.append(
            {"tool_calls": [{"index": 0, "id": call.id, "type": "function", "function": function}]}
        )
        deltas += [
            {"tool_calls": [{"index": 0, "function": {"arguments": fragment}}]}
            for fragment in call.fragments
        ]
    return deltas


def stream_rounds(
    completion: Completion, completion_id: str, created: int, *, include_usage: bool
) -> Iterator[list[dict[str, Any]]]:
    """The stream's chunks in rounds, one chunk per unfinished choice per round.

    A choice's finish chunk (usage inside the choice) comes the round after its last
    delta; the top-level usage chunk, when asked for, is a round of its own.
    """
    head = {
        "id": completion_id,
        "object": "chat.completion.chunk",
        "created": created,
        "model": completion.model,
    }
    deltas = [_deltas(choice) for choice in completion.choices]
    for number in range(max(len(d) for d in deltas) + 1):
        chunks = []
        for choice, choice_deltas in zip(completion.choices, deltas, strict=True):
            if number < len(choice_deltas):
                part = {
                    "index": choice.index,
                    "delta": choice_deltas[number],
                    "finish_reason": None,
                }
            elif number == len(choice_deltas):
                part = {
                    "index": choice.index,
                    "delta": {},
                    "finish_reason": choice.finish_reason,
                    "usage": usage_of(completion, [choice]),
                }
            else:
                continue
            chunks.append({**head, "choices": [part]})
        yield chunks
    if include_usage:
        yield [{**head, "choices": [], "usage": usage_of(completion)}]


def completion_object(completion: Completion, completion_id: str, created: int) -> dict[str, Any]:
    """The `stream: false` answer, shaped like the API reference's example."""
    choices = []
    for choice in completion.choices:
        message: dict[str, Any] = {
            "role": "assistant",
            "content": "".join(choice.content),
            "reasoning_content": "".join(choice.reasoning),
        }
        if choice.tool_call is not None:
            message["tool_calls"] = [
                {
                    "id": choice.tool_call.id,
                    "type": "function",
                    "function": {
                        "name": choice.tool_call.name,
                        "arguments": choice.tool_call.arguments,
                    },
                }
            ]
        choices.append(
            {"index": choice.index, "message": message, "finish_reason": choice.finish_reason}
        )
    return {
        "id": completion_id,
        "object": "chat.completion",
        "created": created,
        "model": completion.model,
        "choices": choices,
        "usage": usage_of(completion),
    }


def sse(payload: object) -> bytes:
    data = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    return f"data: {data}\n\n".encode()


def error_body(
    message: str, type_: str, param: str | None = None, code: str | None = None
) -> dict[str, Any]:
    return {"error": {"message": message, "type": type_, "param": param, "code": code}}


# ------------------------------------------------------------------------ the ASGI app


class Simulator:
    """The ASGI application; `make_app` builds one."""

    def __init__(
        self,
        *,
        prefix: str,
        tokens_per_second: float,
        first_token_delay: float,
        record: bool,
        models: Sequence[str],
    ) -> None:
        if not tokens_per_second > 0 or first_token_delay < 0:
            raise ValueError("tokens_per_second must be above 0 and first_token_delay at least 0")
        self.prefix = prefix.rstrip("/")
        self.tokens_per_second = tokens_per_second
        self.first_token_delay = first_token_delay
        self.record = record
        self.models = tuple(models)
        self.recorded: deque[Any] = deque(maxlen=RECORD_LIMIT)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
        elif scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1000})
        elif scope["type"] == "http":
            await self._http(scope, receive, send)

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope["path"]
        routes = self._routes()
        handlers = routes.get(path[len(self.prefix) :]) if path.startswith(self.prefix) else None
        if handlers is None:
            await _send_json(send, 404, error_body(f"No route for {path}", "not_found_error"))
            return
        handler = handlers.get(scope["method"])
        if handler is None:
            allow = ", ".join(handlers)
            message = f"{scope['method']} is not allowed on {path}; use {allow}."
            body = error_body(message, "invalid_request_error")
            await _send_json(send, 405, body, [(b"allow", allow.encode())])
            return
        await handler(scope, receive, send)

    def _routes(self) -> dict[str, dict[str, Callable[[Scope, Receive, Send], Awaitable[None]]]]:
        routes = {
            "/v1/models": {"GET": self._models},
            "/v1/chat/completions": {"POST": self._chat_completions},
        }
        if self.record:
            routes["/_sim/requests"] = {"GET": self._recorded, "DELETE": self._forget}
        return routes

    async def _models(self, scope: Scope, receive: Receive, send: Send) -> None:
        data = [
            {"id": model, "object": "model", "created": MODEL_CREATED, "owned_by": "simulator"}
            for model in self.models
        ]
        await _send_json(send, 200, {"object": "list", "data": data})

    async def _recorded(self, scope: Scope, receive: Receive, send: Send) -> None:
        await _send_json(send, 200, list(self.recorded))

    async def _forget(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.recorded.clear()
        await _send_json(send, 200, [])

    async def _chat_completions(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            raw = await _read_body(scope, receive)
        except _ClientGone:
            return
        if raw is None:
            message = f"The request body is over {MAX_BODY_BYTES // (1024 * 1024)} MB."
            await _send_json(send, 413, error_body(message, "invalid_request_error"))
            return
        body = _parse_json(raw)
        if self.record:
            self.recorded.append(body if body is not None else raw.decode("utf-8", "replace"))
        try:
            options = parse_options(body if isinstance(body, Mapping) else {}, _headers(scope))
        except SimOptionError as exc:
            await _send_invalid(send, str(exc), exc.param)
            return
        if options.fault in HTTP_FAULTS:
            await _send_fault(send, options.fault)
            return
        problem = self._problem(body)
        if problem is not None:
            await _send_invalid(send, *problem)
            return
        await self._answer(scope, receive, send, generate(body, options), body, options)

    def _problem(self, body: object) -> tuple[str, str] | None:
        """(message, param) of the first thing wrong with the body, as the API reports it."""
        if body is None:
            return "The request body is not valid JSON.", "body"
        errors = validate_body(body)  # type: ignore[arg-type]
        if errors:
            param, message = next(iter(errors.items()))
            return message, param
        if body["model"] not in self.models:
            served = ", ".join(self.models)
            return f"Unknown model {body['model']!r}; this server has {served}.", "model"
        return None

    async def _answer(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        completion: Completion,
        body: Mapping[str, Any],
        options: SimOptions,
    ) -> None:
        gone = asyncio.Event()
        watcher = asyncio.create_task(_watch_disconnect(receive, gone))
        pace = self._pace(options, gone)
        try:
            if options.fault == "slow-start" and await pace.wait(options.slow_start):
                return
            completion_id, created = f"cmpl-{uuid.uuid4().hex}", int(time.time())
            if body.get("stream"):
                include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
                rounds = list(
                    stream_rounds(completion, completion_id, created, include_usage=include_usage)
                )
                await _stream(scope, send, rounds, options.fault, pace)
            else:
                answer = completion_object(completion, completion_id, created)
                ticks = max(c.completion_tokens for c in completion.choices)
                await _whole(scope, send, answer, options.fault, pace, ticks)
        finally:
            watcher.cancel()

    def _pace(self, options: SimOptions, gone: asyncio.Event) -> _Pace:
        delay = options.first_token_delay
        return _Pace(
            options.tokens_per_second or self.tokens_per_second,
            self.first_token_delay if delay is None else delay,
            gone,
        )


@dataclass
class _Pace:
    """The server's clock: a first-token delay, then one tick per round of tokens."""

    tokens_per_second: float
    first_token_delay: float
    gone: asyncio.Event

    async def wait(self, seconds: float) -> bool:
        """Sleep, waking early if the client leaves; True when it has left."""
        if seconds > 0 and not self.gone.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.gone.wait(), timeout=seconds)
        return self.gone.is_set()


async def _stream(
    scope: Scope, send: Send, rounds: list[list[dict[str, Any]]], fault: str | None, pace: _Pace
) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": SSE_HEADERS})
    if await pace.wait(pace.first_token_delay):
        return
    fault_at = _fault_round(rounds) if fault in ("drop", "malformed", "error-event") else None
    loop = asyncio.get_running_loop()
    start = loop.time()
    for number, chunks in enumerate(rounds):
        if number == fault_at and await _inject(fault, scope, send):
            return
        if await pace.wait(start + number / pace.tokens_per_second - loop.time()):
            return
        await _send_body(send, b"".join(sse(chunk) for chunk in chunks))
    await _send_body(send, b"data: [DONE]\n\n", more=False)


async def _inject(fault: str | None, scope: Scope, send: Send) -> bool:
    """Send a mid-stream fault; True when it has ended the stream."""
    if fault == "drop":
        await _drop(scope, send)
        return True
    if fault == "error-event":
        await _send_body(send, sse(MID_STREAM_ERROR), more=False)
        return True
    await _send_body(send, MALFORMED_EVENT)
    return False


def _fault_round(rounds: list[list[dict[str, Any]]]) -> int:
    """A few rounds in, but always before the first finish chunk."""
    first_finish = next(
        number
        for number, chunks in enumerate(rounds)
        if any(part.get("finish_reason") for chunk in chunks for part in chunk["choices"])
    )
    return min(FAULT_AFTER_ROUNDS, first_finish)


async def _whole(
    scope: Scope, send: Send, answer: dict[str, Any], fault: str | None, pace: _Pace, ticks: int
) -> None:
    if await pace.wait(pace.first_token_delay + ticks / pace.tokens_per_second):
        return
    data = json.dumps(answer, ensure_ascii=False).encode()
    if fault == "error-event":
        await _send_json(send, 200, MID_STREAM_ERROR)
    elif fault == "malformed":
        await _send_json(send, 200, None, raw=data[: len(data) // 2])
    elif fault == "drop":
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await _send_body(send, data[: len(data) // 2])
        await _drop(scope, send)
    else:
        await _send_json(send, 200, None, raw=data)


async def _drop(scope: Scope, send: Send) -> None:
    """Cut the connection mid-response, as a failing proxy would.

    ASGI has no message for that, and Daphne keeps the connection open when an app
    returns or raises mid-response, so under Daphne (Twisted) the simulator closes its
    client's transport itself. Elsewhere the body just ends, without finish or [DONE].
    """
    if not _close_transport(scope):
        await _send_body(send, b"", more=False)


def _close_transport(scope: Scope) -> bool:
    reactor = sys.modules.get("twisted.internet.reactor")
    client, server = scope.get("client"), scope.get("server")
    if reactor is None or not client:
        return False
    for reader in reactor.getReaders():
        peer, host = _address(reader, "getPeer"), _address(reader, "getHost")
        if peer == tuple(client) and (not server or host == tuple(server)):
            reader.loseConnection()
            return True
    return False


def _address(transport: object, method: str) -> tuple[Any, ...] | None:
    getter = getattr(transport, method, None)
    try:
        address = getter() if getter is not None else None
    except Exception:  # a reader that is not a connected socket
        return None
    host, port = getattr(address, "host", None), getattr(address, "port", None)
    return (host, port) if host is not None else None


async def _watch_disconnect(receive: Receive, gone: asyncio.Event) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass
    gone.set()


class _ClientGone(Exception):
    """The client left before it finished sending its request."""


async def _read_body(scope: Scope, receive: Receive) -> bytes | None:
    """The request body, or None when it is over MAX_BODY_BYTES."""
    declared = _headers(scope).get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        return None
    pieces, size = [], 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise _ClientGone
        piece = message.get("body", b"")
        size += len(piece)
        if size > MAX_BODY_BYTES:
            return None
        pieces.append(piece)
        if not message.get("more_body", False):
            break
    return b"".join(pieces)


def _parse_json(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError:  # UnicodeDecodeError is a ValueError too
        return None


def _headers(scope: Scope) -> dict[str, str]:
    return {
        name.decode("latin-1").lower(): value.decode("latin-1")
        for name, value in scope.get("headers", [])
    }


async def _send_body(send: Send, data: bytes, *, more: bool = True) -> None:
    await send({"type": "http.response.body", "body": data, "more_body": more})


async def _send_json(
    send: Send,
    status: int,
    payload: object,
    headers: Sequence[tuple[bytes, bytes]] = (),
    *,
    raw: bytes | None = None,
) -> None:
    data = raw if raw is not None else json.dumps(payload, ensure_ascii=False).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(data)).encode()),
                *headers,
            ],
        }
    )
    await _send_body(send, data, more=False)


async def _send_invalid(send: Send, message: str, param: str) -> None:
    await _send_json(
        send, 400, error_body(message, "invalid_request_error", param, "invalid_value")
    )


async def _send_fault(send: Send, fault: str) -> None:
    status, type_, message = HTTP_FAULTS[fault]
    headers = [(b"retry-after", str(RETRY_AFTER_SECONDS).encode())] if status == 429 else []
    await _send_json(
        send, status, error_body(message, type_, code=type_.removesuffix("_error")), headers
    )


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


def make_app(
    *,
    prefix: str = "",
    tokens_per_second: float = 40.0,
    first_token_delay: float = 0.3,
    record: bool = False,
    models: Sequence[str] = DEFAULT_MODELS,
) -> Simulator:
    """The simulator as an ASGI app serving `{prefix}/v1/...`."""
    return Simulator(
        prefix=prefix,
        tokens_per_second=tokens_per_second,
        first_token_delay=first_token_delay,
        record=record,
        models=models,
    )


# ------------------------------------------------------------------- configuration


def _env_float(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return float(raw)
    except ValueError:
        raise ValueError(f"{name} must be a number, not {raw!r}") from None


def _env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"{name} must be true or false, not {raw!r}")


application = make_app(
    tokens_per_second=_env_float("PLAYGROUND_SIM_TOKENS_PER_SECOND", 40.0),
    first_token_delay=_env_float("PLAYGROUND_SIM_FIRST_TOKEN_DELAY", 0.3),
    record=_env_bool("PLAYGROUND_SIM_RECORD", False),
)


def main(argv: Sequence[str] | None = None) -> None:
    """`python -m chat.simulator.app`: serve the simulator alone with Daphne."""
    parser = argparse.ArgumentParser(
        prog="python -m chat.simulator.app", description="Serve the simulated upstream with Daphne."
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9000)
    parser.add_argument("--tps", type=float, default=40.0, help="tokens per second (default 40)")
    parser.add_argument(
        "--first-token-delay", type=float, default=0.3, help="seconds (default 0.3)"
    )
    parser.add_argument("--record", action="store_true", help="serve /_sim/requests")
    args = parser.parse_args(argv)

    import logging

    from daphne.endpoints import build_endpoint_description_strings
    from daphne.server import Server

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    app = make_app(
        tokens_per_second=args.tps, first_token_delay=args.first_token_delay, record=args.record
    )
    endpoints = build_endpoint_description_strings(host=args.host, port=args.port)
    Server(application=app, endpoints=endpoints).run()


if __name__ == "__main__":
    main()
