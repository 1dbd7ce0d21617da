"""The reassembly of a page's text from its frames (tests/pages.py), which the
two-process test relies on: every way a pane's text arrives, applied as htmx would."""

from __future__ import annotations

import json

import pytest

from tests.pages import PageText


def delta(pane: str, pk: int, text: str, swap: str = "beforeend") -> str:
    return f'<hx-partial hx-target="#{pane}-text-{pk}" hx-swap="{swap}">{text}</hx-partial>'


@pytest.mark.parametrize(
    ("frames", "reasoning", "answer"),
    [
        (
            [delta("reasoning", 17, "Think"), delta("answer", 17, "a &lt;b&gt; &amp; c")],
            "Think",
            "a <b> & c",
        ),
        (
            [delta("answer", 17, "old", "innerHTML"), delta("answer", 17, "new", "innerHTML")],
            "",
            "new",
        ),
        ([delta("answer", 17, "Hel", "innerHTML") + delta("answer", 17, "lo")], "", "Hello"),
        (
            [json.dumps({"r17": "<raw>", "a17": "x &amp; y"}), json.dumps({"a17": "!"})],
            "<raw>",
            "x &amp; y!",
        ),
        ([delta("answer", 17, "Snap", "innerHTML"), json.dumps({"a17": "shot"})], "", "Snapshot"),
        (
            [
                delta(
                    "answer",
                    17,
                    '<p>Done</p><div class="md-tail" data-upto="9"><p><em>x</em></p>'
                    '<span class="stream-raw"> &amp; y</span></div>',
                    "innerHTML",
                ),
                json.dumps({"A17": [[], "<p><em>x</em> &amp; y</p>", 13]}),
                json.dumps({"a17": "!"}),
            ],
            "",
            " & y!",
        ),
        (
            [json.dumps({"event": "streaming", "active": False}), delta("answer", 18, "other")],
            "",
            "",
        ),
    ],
    ids=[
        "escaped-deltas",
        "snapshot-replaces",
        "one-frame",
        "compact-json",
        "snapshot-then-json",
        "live-snapshot-renders-json",
        "ignored",
    ],
)
def test_a_pages_text_is_what_its_frames_write(frames, reasoning, answer):
    page = PageText()
    for frame in frames:
        page.feed(frame)
    assert page.reasoning(17) == reasoning
    assert page.answer(17) == answer
    if "data-upto" in "".join(frames):
        assert page.covered[("answer", 17)] == 9  # rendered, before the raw text


def test_only_appends_count_as_live_deltas():
    page = PageText()
    page.feed(delta("answer", 17, "all so far", "innerHTML"))
    assert page.appended == 0
    page.feed(json.dumps({"a17": " more"}))
    page.feed(delta("reasoning", 17, "and"))
    assert page.appended == 2
