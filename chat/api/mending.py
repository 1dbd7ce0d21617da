"""Upstream text made storable: split surrogate pairs joined, lone ones replaced, NUL dropped.

JSON may spell a character outside the Basic Multilingual Plane as two `\\uXXXX`
escapes, and a server that cuts its stream between them sends each half in its own
chunk: `json.loads` then gives two strings each holding a lone surrogate, which
neither UTF-8 nor PostgreSQL accepts. PostgreSQL's text columns refuse NUL too. Text
that cannot be saved would fail the save of everything that arrived with it, so
every piece of model output goes through here first.

>>> mender = StreamMender()
>>> mender.mend(("content", 0), "Hi \\ud83d")
'Hi '
>>> mender.mend(("content", 0), "\\ude00!")
'😀!'
>>> storable("a\\x00b\\udc00")
'ab\\ufffd'

Pure: no Django, no I/O.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Hashable

from chat.api.events import (
    ContentDelta,
    Event,
    Finish,
    ReasoningDelta,
    RefusalDelta,
    ToolCallDelta,
)
from chat.api.failures import UpstreamError

REPLACEMENT = "\ufffd"
_HIGH_SURROGATES = ("\ud800", "\udbff")


def is_text(value: str) -> bool:
    """Whether `value` can be stored and sent upstream as it is: JSON (a form, a socket
    frame) can carry lone surrogates, which UTF-8 cannot encode.

    >>> is_text("fine 😀"), is_text("lone \\udc00")
    (True, False)
    """
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def storable(text: str) -> str:
    """The text with surrogate pairs combined, lone surrogates as U+FFFD, NUL dropped."""
    if "\x00" in text:
        text = text.replace("\x00", "")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        # UTF-16 round trip: "surrogatepass" writes each surrogate as its own code unit,
        # so a pair becomes one character again and a lone half cannot be decoded.
        return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    return text


def _ends_high(text: str) -> bool:
    return bool(text) and _HIGH_SURROGATES[0] <= text[-1] <= _HIGH_SURROGATES[1]


class StreamMender:
    """Mends the pieces of several streams of text (one per key), pieces split anywhere.

    A piece ending in the first half of a surrogate pair keeps that half back until the
    next piece of the same stream; `flush` gives what is still held (as U+FFFD, since
    its second half never came).
    """

    def __init__(self) -> None:
        self._held: dict[Hashable, str] = {}

    def mend(self, key: Hashable, piece: str) -> str:
        text = self._held.pop(key, "") + piece
        if _ends_high(text):
            self._held[key] = text[-1]
            text = text[:-1]
        return storable(text)

    def flush(self, key: Hashable) -> str:
        return REPLACEMENT if self._held.pop(key, "") else ""

    def held(self) -> list[Hashable]:
        """The keys of the streams holding back half a pair."""
        return list(self._held)


class EventMender:
    """Mends the text of a chat completion's events, as `StreamMender` does, per choice
    and per field (reasoning, answer, each tool call's arguments).

    >>> mender = EventMender()
    >>> mender.feed(ContentDelta(0, "\\ud83d"))
    []
    >>> mender.feed(Finish(0, "stop"))
    [ContentDelta(index=0, text='\\ufffd'), Finish(index=0, reason='stop')]
    """

    def __init__(self) -> None:
        self._text = StreamMender()

    def feed(self, event: Event) -> list[Event]:
        if isinstance(event, ReasoningDelta):
            return self._delta(event, ("reasoning", event.index))
        if isinstance(event, ContentDelta):
            return self._delta(event, ("content", event.index))
        if isinstance(event, RefusalDelta):
            return self._delta(event, ("refusal", event.index))
        if isinstance(event, ToolCallDelta):
            arguments = self._text.mend(("tool", event.index, event.call_index), event.arguments)
            return [
                dataclasses.replace(
                    event,
                    id=event.id and storable(event.id),
                    name=event.name and storable(event.name),
                    arguments=arguments,
                )
            ]
        if isinstance(event, Finish):
            finish = dataclasses.replace(event, reason=storable(event.reason))
            return [*self._flush(lambda key: key[1] == event.index), finish]
        if isinstance(event, UpstreamError):
            return [*self.close(), _storable_error(event)]
        return [event]

    def close(self) -> list[Event]:
        """What is still held back, once the stream has ended."""
        return self._flush(lambda key: True)

    def _delta(
        self, event: ReasoningDelta | ContentDelta | RefusalDelta, key: tuple[str, int]
    ) -> list[Event]:
        text = self._text.mend(key, event.text)
        return [dataclasses.replace(event, text=text)] if text else []

    def _flush(self, wanted: Callable[[tuple[object, ...]], bool]) -> list[Event]:
        events: list[Event] = []
        for key in self._text.held():
            if not (isinstance(key, tuple) and wanted(key)):
                continue
            text = self._text.flush(key)
            if key[0] == "reasoning":
                events.append(ReasoningDelta(key[1], text))
            elif key[0] == "content":
                events.append(ContentDelta(key[1], text))
            elif key[0] == "refusal":
                events.append(RefusalDelta(key[1], text))
            else:
                events.append(ToolCallDelta(key[1], key[2], None, None, text))
        return events


def _storable_error(error: UpstreamError) -> UpstreamError:
    # The error text quotes the upstream and is saved with the message.
    return dataclasses.replace(
        error,
        message=storable(error.message),
        type=error.type and storable(error.type),
        code=error.code and storable(error.code),
        param=error.param and storable(error.param),
    )
