"""Markdown rendered while it streams (chat.conversations.live_markdown): where blocks
end, and that the blocks and tail sent add up to the finished card's HTML."""

from __future__ import annotations

import pytest

from chat.conversations.live_markdown import (
    LivePane,
    block_ends,
    block_html,
    rendered_now,
    state_of,
)
from chat.conversations.rendering import render_markdown

DOCUMENTS = {
    "heading, paragraph, bullets": (
        "### Tides\n\nThe **moon** pulls the sea.\nTwice a day.\n\n"
        "- **Idea:** start small.\n- **Practice:** check each step.\n"
    ),
    "a loose list stays one list": "Intro.\n\n- one\n\n- two\n\n  still two\n\n- three\n\nAfter.",
    "a list under a paragraph": "Intro:\n- a\n\n- b\n\nEnd.",
    "an ordered list": "1. first\n\n2. second\n\n10) other\n\nDone.",
    "a fence with blank lines": (
        "Code:\n\n```python\ndef f():\n\n    return 1\n\n\nx = 2\n```\n\nAfter."
    ),
    "a tilde fence holding backticks": "~~~\n```\n\nnot closed\n~~~\n\nText.",
    "an unclosed fence": "Start.\n\n```js\nlet a = 1;\n\nlet b = 2;\n",
    "indented code": "Para.\n\n    code one\n\n    code two\n\nPara two.",
    "a table and a quote": "| a | b |\n|---|--:|\n| 1 | 2 |\n\n> quoted\n\n> again\n\nText *em*.",
    "headings and a rule": "# One\n\nText\n===\n\n---\n\n## Two\n\nBody with `code`.",
    "untrusted html": "<script>alert(1)</script>\n\n<b>bold?</b> [x](javascript:alert(1))\n\nok",
    "blank lines at the start": "\n\n\nHello\n\n\n\nWorld\n",
}


@pytest.mark.parametrize(
    ("text", "ends"),
    [
        ("One\n\nTwo", [5]),
        ("One\n\nTwo\n\n", [5]),
        ("One\n\n", []),  # the next block has not begun
        ("One\n\n  indented", []),
        ("- a\n\n- b", []),  # a loose list
        ("- a\n\n-", []),  # "-" may still become an item
        ("Para\n\n- a", [6]),  # a list after a paragraph is a block of its own
        ("Para\n\n12", []),  # "12" may still become "12. item"
        ("Para\n\n12 monkeys", [6]),
        ("- a\n\nText", [5]),
        ("```\na\n\nb\n```\n\nc", [14]),
        ("```\na\n\nb", []),
        ("\n\nHi", []),  # nothing before the blank lines: no empty block
    ],
)
def test_it_ends_blocks_only_where_nothing_can_continue_them(text: str, ends: list[int]) -> None:
    assert block_ends(text) == ends


def _stream(text: str, step: int) -> tuple[str, list[int]]:
    """The HTML a page shows for `text` arriving `step` characters at a time, and the
    size of each update; each update starts where the blocks sent before end."""
    pane = LivePane()
    sent_to = 0
    done, tail, sizes = "", "", []
    for end in range(step, len(text) + step, step):
        # The last one is the render once the text stops arriving: its whole tail.
        update = pane.update(text[:end], whole=end >= len(text))
        if update is None:
            continue
        assert update.start == sent_to
        sent_to = update.blocks[-1][0] if update.blocks else sent_to
        done += block_html(text, update)
        tail = update.tail
        sizes.append(sum(len(html or "") for _, html in update.blocks) + len(update.tail))
    rest = text[pane.upto :]
    if rest.strip():
        # Not rendered: a plain paragraph, which the page shows as its raw text.
        assert (tail, pane.upto) == ("", pane.done)
        assert render_markdown(rest) == f"<p>{rest.strip()}</p>\n"
        tail = render_markdown(rest)
    return done + tail, sizes


@pytest.mark.parametrize("name", DOCUMENTS)
@pytest.mark.parametrize("step", [1, 3, 17, 1000])
def test_the_blocks_sent_add_up_to_the_finished_card(name: str, step: int) -> None:
    text = DOCUMENTS[name]
    shown, _ = _stream(text, step)
    # Rendered while streaming, or at once: what the page shows is the card's HTML.
    if text.strip():
        assert shown == render_markdown(text)


@pytest.mark.parametrize("name", DOCUMENTS)
def test_a_render_from_scratch_is_the_finished_card(name: str) -> None:
    text = DOCUMENTS[name]
    pane, blocks, tail = rendered_now(text)
    raw = text[pane.upto :]  # shown as it is: whitespace, or a plain paragraph
    assert blocks + tail + (render_markdown(raw) if raw.strip() else "") == render_markdown(text)
    # What a socket counts for a page rendered so (chat.conversations.forwarding).
    assert (pane.done, pane.upto) == state_of(text)


def test_each_block_is_sent_once_and_the_tail_stays_within_a_few_times_its_size() -> None:
    paragraphs = [f"Paragraph {n} with **bold** and `code` " + "word " * 200 for n in range(5)]
    text = "\n\n".join(paragraphs)
    shown, sizes = _stream(text, 1)
    assert shown == render_markdown(text)
    # A character at a time: the re-sent tails grow geometrically, never once per character.
    assert sum(sizes) < 5 * len(shown)
    assert len(sizes) < 100


def test_it_sends_nothing_without_new_text_or_growth() -> None:
    pane = LivePane()
    assert pane.update("") is None
    first = pane.update("Some *text*")
    assert first is not None
    assert first.tail == "<p>Some <em>text</em></p>\n"
    assert pane.update("Some *text*") is None
    assert pane.update("Some *text*, m") is None  # grown by less than half
    assert pane.update("Some *text*, mno") is None
    # The text stopped growing: its tail is rendered, however little it grew.
    assert pane.update("Some *text*, mno") is not None
    assert pane.update("Some *text*, mno") is None
    grown = pane.update("Some *text*, mno, and more")
    assert grown is not None
    assert (grown.start, grown.blocks, grown.upto) == (0, [], 26)
    assert grown.tail == "<p>Some <em>text</em>, mno, and more</p>\n"


def test_a_plain_paragraph_is_left_to_the_raw_text() -> None:
    # Prose with no Markdown in it renders as the paragraph its raw text shows as: none
    # of its HTML is sent, only where it ends once it is finished.
    pane = LivePane()
    assert pane.update("Just words") is None
    assert pane.update("Just words, more words") is None
    assert (pane.done, pane.upto) == (0, 0)
    assert not pane.behind("Just words, more words")  # nothing left to render
    assert pane.behind("Just words, more words *and")
    update = pane.update("Just words, more words\n\nNext")
    assert update is not None
    # Its raw text is on the page: it is set as a paragraph there, not sent again.
    assert (update.blocks, update.tail, update.upto) == ([(24, None)], "", 24)
    assert block_html("Just words, more words\n\nNext", update) == "<p>Just words, more words</p>\n"
    assert pane.update("Just words, more words\n\nNext **bold**") is not None


def test_a_finished_block_is_sent_as_soon_as_the_next_one_begins() -> None:
    pane = LivePane()
    pane.update("First **one**")
    update = pane.update("First **one**\n\nS *x*")
    assert update is not None
    assert update.blocks == [(15, "<p>First <strong>one</strong></p>\n")]
    assert update.tail == "<p>S <em>x</em></p>\n"
    assert (pane.done, pane.upto) == (15, 20)
    later = pane.update("First **one**\n\nS *x*, and longer")
    assert later is not None
    assert (later.start, later.blocks) == (15, [])


def test_trailing_whitespace_stays_raw_until_more_text_follows() -> None:
    # The renderer drops a paragraph's trailing space: covered, "in" + raw "the" would
    # read "inthe" until the next render.
    pane = LivePane()
    update = pane.update("Hides *in* ")
    assert update is not None
    assert (update.tail, update.upto) == ("<p>Hides <em>in</em></p>\n", 10)
    assert pane.update("Hides *in* ") is None


def test_a_short_tail_is_sent_again_once_raw_markdown_follows_it() -> None:
    pane = LivePane()
    pane.update("Some *text* here and there")
    # Plain words after the render read the same raw: they wait for growth.
    assert pane.update("Some *text* here and there, then") is None
    # A `**` would show as syntax: the tail is rendered again at once.
    update = pane.update("Some *text* here and there, then **b")
    assert update is not None
    assert update.upto == len("Some *text* here and there, then **b")
