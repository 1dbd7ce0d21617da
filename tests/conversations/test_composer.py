"""What the composer submits, read the same way from a socket frame and a form post."""

from __future__ import annotations

import pytest

from chat.conversations.composer import MAX_PROMPT_CHARS, read_submission


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"prompt": ""}, "prompt", "Write a message first."),
        ({"prompt": "  \n "}, "prompt", "Write a message first."),
        ({"prompt": "x" * (MAX_PROMPT_CHARS + 1)}, "prompt", "too long"),
        ({"prompt": "bad \ud800"}, "prompt", "not valid text"),
        ({"prompt": "ok", "system_prompt": "\udfff"}, "system_prompt", "not valid text"),
        ({"prompt": "ok", "temperature": "hot"}, "temperature", "must be a number"),
        ({"prompt": "nul \x00 here"}, "prompt", "contains a NUL character"),
        ({"prompt": "ok", "system_prompt": "\x00"}, "system_prompt", "contains a NUL character"),
    ],
)
def test_bad_submissions_say_what_is_wrong(data, field, message):
    assert message in read_submission(data).errors[field]


def test_an_unchecked_stream_box_means_no_streaming():
    assert read_submission({"prompt": "Hi"}).settings["stream"] is False
    assert read_submission({"prompt": "Hi", "stream": "true"}).settings["stream"] is True


def test_repeated_fields_take_the_last_value():
    submission = read_submission({"prompt": ["old", "new"], "temperature": ["0.1", "0.4"]})
    assert submission.prompt == "new" and submission.settings["temperature"] == 0.4


def test_the_prompt_is_kept_as_written():
    assert read_submission({"prompt": "  two\n\nlines  "}).prompt == "  two\n\nlines  "
