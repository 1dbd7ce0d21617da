"""Upstream text made storable (chat/api/mending.py): pure, table-driven."""

from __future__ import annotations

import pytest

from chat.api.events import ContentDelta, Finish, ReasoningDelta, RefusalDelta, ToolCallDelta
from chat.api.failures import UpstreamError
from chat.api.mending import EventMender, StreamMender, storable


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("plain", "plain"),
        ("a\x00b", "ab"),
        ("\ud83d\ude00", "😀"),  # a pair held as two code points joins into one
        ("x\ud83d", "x\ufffd"),
        ("\ude00y", "\ufffdy"),
        ("\x00\udc00", "\ufffd"),
    ],
)
def test_storable_text_encodes_as_utf8_without_nul(text, expected):
    assert storable(text) == expected
    storable(text).encode("utf-8")


def test_a_pair_split_across_pieces_is_joined():
    mender = StreamMender()
    assert mender.mend("a", "smile \ud83d") == "smile "
    assert mender.mend("b", "other") == "other"  # streams do not mix
    assert mender.mend("a", "\ude00 done") == "😀 done"
    assert mender.held() == []


def test_a_high_half_never_completed_becomes_a_replacement_character():
    mender = StreamMender()
    assert mender.mend("a", "\ud83d") == ""
    assert mender.mend("a", "no low half") == "\ufffdno low half"
    assert mender.mend("a", "\ud83d") == ""
    assert mender.flush("a") == "\ufffd"


def test_events_are_mended_per_choice_and_field():
    mender = EventMender()
    fed = [
        ReasoningDelta(0, "think \ud83d"),
        ContentDelta(1, "\ud83e"),
        ReasoningDelta(0, "\ude00"),
        ToolCallDelta(0, 0, "call\x00", "f", '{"a": "\ud83d'),
        ToolCallDelta(0, 0, None, None, '\ude00"}'),
        Finish(1, "stop"),
    ]
    out = [event for event in fed for event in mender.feed(event)] + mender.close()
    assert out == [
        ReasoningDelta(0, "think "),
        ReasoningDelta(0, "😀"),
        ToolCallDelta(0, 0, "call", "f", '{"a": "'),
        ToolCallDelta(0, 0, None, None, '😀"}'),
        ContentDelta(1, "\ufffd"),
        Finish(1, "stop"),
    ]


def test_an_error_after_half_a_pair_keeps_the_text_storable():
    mender = EventMender()
    assert mender.feed(ContentDelta(0, "cut \ud83d")) == [ContentDelta(0, "cut ")]
    out = mender.feed(UpstreamError("stream", "bad \udc00 \x00news"))
    assert out == [ContentDelta(0, "\ufffd"), UpstreamError("stream", "bad \ufffd news")]


def test_a_refusal_is_mended_like_the_answer():
    mender = EventMender()
    assert mender.feed(RefusalDelta(0, "No \ud83d")) == [RefusalDelta(0, "No ")]
    assert mender.feed(RefusalDelta(0, "\ude45.")) == [RefusalDelta(0, "\U0001f645.")]
    assert mender.feed(RefusalDelta(0, "\ud83d")) == []
    assert mender.feed(Finish(0, "stop")) == [RefusalDelta(0, "\ufffd"), Finish(0, "stop")]
