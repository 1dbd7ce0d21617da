"""The byte-level SSE parser (chat/api/sse.py): every line ending, split anywhere."""

from __future__ import annotations

import doctest
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import chat.api.sse
from chat.api.events import ContentDelta, Finish, ReasoningDelta, events_from_sse
from chat.api.sse import SSEEvent, SSEParser
from tests.api.samples import chunk, sse_event


def test_the_docstring_examples_hold() -> None:
    assert doctest.testmod(chat.api.sse).failed == 0


def _parse_whole(raw: bytes) -> list[SSEEvent]:
    parser = SSEParser()
    return parser.feed(raw) + parser.close()


def _parse_pieces(pieces: list[bytes]) -> list[SSEEvent]:
    parser = SSEParser()
    events = []
    for piece in pieces:
        events += parser.feed(piece)
    return events + parser.close()


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param(b"data: a\n\n", [sse_event("a")], id="LF"),
        pytest.param(b"data: a\r\n\r\n", [sse_event("a")], id="CRLF"),
        pytest.param(b"data: a\r\r", [sse_event("a")], id="CR"),
        pytest.param(b"data: a\r\n\ndata: b\r\r", [sse_event("a"), sse_event("b")], id="mixed"),
        pytest.param(b"data:a\n\n", [sse_event("a")], id="no space after colon"),
        pytest.param(b"data:  a\n\n", [sse_event(" a")], id="only one space is stripped"),
        pytest.param(b"data: a\ndata: b\n\n", [sse_event("a\nb")], id="multi-line data"),
        pytest.param(b"data\n\n", [sse_event("")], id="field without colon"),
        pytest.param(b": keep-alive\n\ndata: a\n\n", [sse_event("a")], id="comment"),
        pytest.param(b"data: a\n: ping\ndata: b\n\n", [sse_event("a\nb")], id="comment inside"),
        pytest.param(
            b"event: error\nid: 7\ndata: x\n\n", [sse_event("x", "error", "7")], id="event and id"
        ),
        pytest.param(
            b"event: ping\ndata: a\n\ndata: b\n\n",
            [sse_event("a", "ping"), sse_event("b")],
            id="event type resets after dispatch",
        ),
        pytest.param(
            b"id: 1\ndata: a\n\ndata: b\n\n",
            [sse_event("a", id="1"), sse_event("b", id="1")],
            id="last id persists",
        ),
        pytest.param(b"id: a\0b\ndata: x\n\n", [sse_event("x")], id="id with NUL is ignored"),
        pytest.param(b"retry: 10\nfoo: bar\ndata: a\n\n", [sse_event("a")], id="unknown fields"),
        pytest.param(b"\n\n\r\n", [], id="blank lines only"),
        pytest.param(b"event: x\n\n", [], id="no data, no event"),
        pytest.param(b"\xef\xbb\xbfdata: a\n\n", [sse_event("a")], id="byte-order mark"),
        pytest.param(b"data: [DONE]\n\n", [sse_event("[DONE]")], id="done"),
        pytest.param("data: é中😀\n\n".encode(), [sse_event("é中😀")], id="multi-byte"),
        pytest.param(b"data: tail", [sse_event("tail")], id="trailing event at close"),
        pytest.param(b"data: tail\n", [sse_event("tail")], id="trailing event without blank"),
    ],
)
def test_it_parses_event_streams(raw: bytes, expected: list[SSEEvent]) -> None:
    assert _parse_whole(raw) == expected
    assert _parse_pieces([raw[i : i + 1] for i in range(len(raw))]) == expected


def test_it_waits_for_the_blank_line_before_dispatching() -> None:
    parser = SSEParser()
    assert parser.feed(b"data: tail\n") == []
    assert parser.close() == [sse_event("tail")]


def test_a_crlf_split_between_chunks_is_one_line_break() -> None:
    parser = SSEParser()
    assert parser.feed(b"data: a\r") == []
    assert parser.feed(b"\n") == []  # the LF completes the CR, it is not a blank line
    assert parser.feed(b"\r") == [sse_event("a")]
    assert parser.feed(b"\ndata: b\n\n") == [sse_event("b")]


def test_a_character_split_across_chunks_is_decoded_whole() -> None:
    raw = "data: 中\n\n".encode()
    assert _parse_pieces([raw[:7], raw[7:8], raw[8:]]) == [sse_event("中")]


TEXT = st.text(
    alphabet=st.sampled_from(list('ab z\n"\\{}:é中😀')) | st.characters(codec="utf-8"),
    min_size=1,
    max_size=12,
)
DELTAS = st.lists(
    st.tuples(st.sampled_from(["reasoning_content", "reasoning", "content"]), TEXT), max_size=8
)


@st.composite
def split_streams(draw: st.DrawFn) -> tuple[list[tuple[str, str]], bytes, list[bytes]]:
    """A valid stream of reasoning/content chunks, then the same bytes cut anywhere."""
    deltas = draw(DELTAS)
    eol = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    prefix = draw(st.sampled_from(["data: ", "data:"]))
    lines = []
    for kind, text in deltas:
        if draw(st.booleans()):
            lines.append(": keep-alive" + eol)
        lines.append(prefix + json.dumps(chunk(**{kind: text}), ensure_ascii=False) + eol + eol)
    finish = {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
    lines.append(prefix + json.dumps(finish) + eol + eol + prefix + "[DONE]" + eol + eol)
    raw = "".join(lines).encode()
    cuts = sorted(draw(st.lists(st.integers(0, len(raw)), max_size=20)))
    pieces = [raw[a:b] for a, b in zip([0, *cuts], [*cuts, len(raw)], strict=True)]
    return deltas, raw, pieces


# A busy machine makes examples slow, not wrong: no deadline, no speed check.
@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(split_streams())
def test_any_split_of_a_stream_gives_the_same_events(stream) -> None:
    deltas, raw, pieces = stream
    whole = _parse_whole(raw)
    assert _parse_pieces(pieces) == whole
    typed = [event for sse in whole for event in events_from_sse(sse)]
    assert typed == [
        ReasoningDelta(0, text) if kind != "content" else ContentDelta(0, text)
        for kind, text in deltas
    ] + [Finish(0, "stop")]
