"""The byte-level parser of server-sent events (the HTML spec's event-stream format).

Bytes in, events out: feed `SSEParser` the body of a `text/event-stream` response as
it arrives, in pieces split anywhere, and it hands back each event once its blank line
has arrived (the worked example is on the class). It knows nothing of HTTP or of chat
completions: `events.py` reads the data of each event.

Pure: no Django, no I/O.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

_LINE_END = re.compile(r"\r\n|\r|\n")


@dataclass(frozen=True)
class SSEEvent:
    """One dispatched server-sent event. `event` is None when no `event:` field was sent."""

    event: str | None
    data: str
    id: str | None


class SSEParser:
    """Incremental server-sent-events parser, per the HTML spec's event-stream rules.

    Feed it bytes as they arrive, split anywhere (even inside a UTF-8 character or
    between the CR and LF of one line break); it returns the events completed so far.
    `close()` returns a last event that the stream ended without its blank line; the
    spec would drop it, but an upstream that closes right after its final chunk should
    not lose that chunk.

    >>> parser = SSEParser()
    >>> parser.feed(b': keep-alive\\r\\ndata: {"a":')
    []
    >>> parser.feed(b' 1}\\r')
    []
    >>> parser.feed(b'\\n\\r\\nevent: error\\ndata:line one\\ndata: line two\\n\\ndata: [DONE]')
    [SSEEvent(event=None, data='{"a": 1}', id=None), \
SSEEvent(event='error', data='line one\\nline two', id=None)]
    >>> parser.close()
    [SSEEvent(event=None, data='[DONE]', id=None)]
    """

    def __init__(self) -> None:
        # utf-8-sig drops the one byte-order mark the spec allows at the start.
        self._decoder = codecs.getincrementaldecoder("utf-8-sig")(errors="replace")
        self._line = ""  # text after the last line break, still waiting for its own
        self._after_cr = False  # the text so far ended in CR: a leading LF belongs to it
        self._data: list[str] = []
        self._event: str | None = None
        self._id: str | None = None  # the spec keeps the last id across events

    def feed(self, data: bytes) -> list[SSEEvent]:
        return self._feed_text(self._decoder.decode(data))

    def close(self) -> list[SSEEvent]:
        events = self._feed_text(self._decoder.decode(b"", final=True))
        if self._line:
            self._take_line(self._line, events)
            self._line = ""
        self._dispatch(events)
        return events

    def _feed_text(self, text: str) -> list[SSEEvent]:
        if not text:
            return []
        if self._after_cr and text[0] == "\n":
            text = text[1:]
        self._after_cr = False
        if _LINE_END.search(text) is None:
            self._line += text  # the common case of a line arriving in pieces
            return []
        events: list[SSEEvent] = []
        buffer, start = self._line + text, 0
        for match in _LINE_END.finditer(buffer):
            self._take_line(buffer[start : match.start()], events)
            start = match.end()
        self._line = buffer[start:]
        # A CR at the very end may be the first half of a CRLF split across chunks.
        self._after_cr = buffer.endswith("\r")
        return events

    def _take_line(self, line: str, events: list[SSEEvent]) -> None:
        if not line:
            self._dispatch(events)
            return
        if line.startswith(":"):
            return  # a comment, typically a keep-alive
        field, colon, value = line.partition(":")
        if colon and value.startswith(" "):
            value = value[1:]
        if field == "data":
            self._data.append(value)
        elif field == "event":
            self._event = value or None
        elif field == "id" and "\0" not in value:
            self._id = value
        # `retry` and unknown fields are ignored: reconnecting is not ours to do here.

    def _dispatch(self, events: list[SSEEvent]) -> None:
        if self._data:
            events.append(SSEEvent(self._event, "\n".join(self._data), self._id))
        self._data = []
        self._event = None
