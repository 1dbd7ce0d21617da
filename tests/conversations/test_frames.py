"""What a page socket accepts as a frame (pure)."""

from __future__ import annotations

import json

import pytest

from chat.api import params
from chat.conversations import composer, frames


@pytest.mark.parametrize(
    ("text", "data", "refusal"),
    [
        ('{"action": "send"}', None, ""),
        ("[1, 2]", None, frames.NOT_A_FORM),
        ('"send"', None, frames.NOT_A_FORM),
        ("null", None, frames.NOT_A_FORM),
        ("{", None, frames.NOT_A_FORM),
        ("[" * 100_000 + "]" * 100_000, None, frames.NOT_A_FORM),
        (None, b"{}", frames.BINARY),
        (None, None, frames.NOT_A_FORM),
    ],
)
def test_it_reads_only_one_json_object(text, data, refusal):
    assert frames.read_frame(text, data)[1] == refusal


def test_it_refuses_a_frame_over_the_limit_in_bytes_not_characters():
    emoji = "😀" * (frames.MAX_FRAME_BYTES // 4 + 1)  # 4 bytes each in UTF-8
    content, refusal = frames.read_frame(json.dumps({"prompt": emoji}, ensure_ascii=False), None)
    assert content == {}
    assert refusal.startswith("That message is too big to send: 4.0 MB, at most 4.0 MB")


def test_the_longest_prompts_the_app_accepts_fit_in_a_frame():
    # The worst JSON escaping of a character is six bytes (\u0001); the server's own limit
    # is above the app's, so the app always sees the frame and can answer it.
    worst = 6 * (composer.MAX_PROMPT_CHARS + composer.MAX_SYSTEM_PROMPT_CHARS)
    settings = sum(len(name) + 64 for name in params.PARAMS)
    assert worst + settings < frames.MAX_FRAME_BYTES < frames.SERVER_MAX_FRAME_BYTES
