"""Markdown rendered while it streams: the text cut into blocks at blank lines outside
fenced code, each finished block rendered once, and the unfinished last one (the tail)
rendered again as it grows.

A block is finished once the line after its blank line has begun and cannot continue it:
it starts at the line's first column (an indented line may be a list item's paragraph or
indented code), and it is no list item while a list is open (a loose list's next item).
Rendered one by one, the blocks then give the HTML the whole text gives, so the finished
card shows what the last live render showed (link reference definitions are the
exception: one written after the link it serves applies only to the finished card).

    >>> block_ends("### Tides\\n\\nThe **moon** pulls.\\n\\n- high\\n\\n- low\\n\\nSo")
    [11, 32, 47]
    >>> pane = LivePane()
    >>> pane.update("Hi **there**\\n\\n- one", render=str.upper)
    Update(start=0, blocks=[(14, 'HI **THERE**\\n\\n')], tail='- ONE', upto=19)

Everything here is pure: `render` is the card's own renderer (rendering.render_markdown)
unless a test passes another.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from chat.conversations.rendering import render_markdown

# The tail is sent again only once it has grown by half since it was last sent, so the
# bytes spent on one block's re-renders stay within a few times its size (a geometric
# series), however slowly it streams.
TAIL_GROWTH = 1.5

_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})(.*)")
_LIST_ITEM = re.compile(r"(?:[-+*]|\d{1,9}[.)])(?:[ \t]|$)")
# What a list item's marker may still become while its line is arriving.
_MARKER_SO_FAR = re.compile(r"(?:[-+*]|\d{1,9}[.)]?)")

Render = Callable[[str], str]


def block_ends(text: str, start: int = 0) -> list[int]:
    """The offsets after `start` (0 or an offset this returned) where a finished block
    of `text` ends and the next begins."""
    ends: list[int] = []
    fence: tuple[str, int] | None = None  # the open fence's character and length
    blank_before = in_list = content = False
    pos = start
    while pos <= len(text):
        newline = text.find("\n", pos)
        whole = newline != -1
        line = text[pos:newline] if whole else text[pos:]
        if fence is not None:
            if _closes(line, fence):
                fence = None
        elif line.strip():
            starts = _starts(line, whole)
            if starts is None:
                break  # its first characters do not tell yet
            item = starts == "item"
            if starts and blank_before and content and not (item and in_list):
                ends.append(pos)
                in_list = False
            if starts:
                in_list = in_list or item
            fence = _opens(line)
            content = True
        blank_before = fence is None and not line.strip()
        if not whole:
            break
        pos = newline + 1
    return ends


def _starts(line: str, whole: bool) -> str | None:
    """ "item" for a list item, "block" for another unindented line, "" for an indented
    one; None while a line still arriving may become either."""
    if line[0] in " \t":
        return ""
    if not whole and _MARKER_SO_FAR.fullmatch(line.rstrip("\r")):
        return None
    return "item" if _LIST_ITEM.match(line) else "block"


def _opens(line: str) -> tuple[str, int] | None:
    match = _FENCE.match(line)
    if match is None or (match.group(1)[0] == "`" and "`" in match.group(2)):
        return None
    return match.group(1)[0], len(match.group(1))


def _closes(line: str, fence: tuple[str, int]) -> bool:
    match = _FENCE.match(line)
    return (
        match is not None
        and match.group(1)[0] == fence[0]
        and len(match.group(1)) >= fence[1]
        and not match.group(2).strip()
    )


@dataclass(frozen=True)
class Update:
    """One pane's render since the last: the blocks finished after `start`, each as
    (where it ends, its HTML), to append once; the tail's HTML, to replace the tail
    shown; `upto`, how much of the text the blocks and tail cover."""

    start: int
    blocks: list[tuple[int, str]]
    tail: str
    upto: int


@dataclass
class LivePane:
    """What one pane (an answer or its reasoning) has been sent rendered so far."""

    done: int = 0  # the text before it is in finished blocks, sent
    upto: int = 0  # the text before it is rendered (blocks and the tail last sent)
    seen: int = 0  # the text's length at the last update asked for

    def update(
        self, text: str, render: Render = render_markdown, *, whole: bool = False
    ) -> Update | None:
        """The render of `text` (the pane's text so far) since the last one, or None when
        there is nothing worth sending: no new text, or no block finished and the tail
        not grown by TAIL_GROWTH. Once the text stops growing between two updates (or
        with `whole`), the tail is rendered however little it grew."""
        whole = whole or len(text) == self.seen
        self.seen = len(text)
        covered = _covered(text)
        if covered <= self.upto:
            return None
        ends = block_ends(text, self.done)
        end = ends[-1] if ends else self.done
        grown = covered - end >= TAIL_GROWTH * (self.upto - self.done)
        if not (ends or grown or whole):
            return None
        blocks = []
        begin = self.done
        for block_end in ends:
            blocks.append((block_end, render(text[begin:block_end])))
            begin = block_end
        tail = render(text[end:covered]) if covered > end else ""
        update = Update(self.done, blocks, tail, covered)
        self.done, self.upto = end, covered
        return update


def rendered_now(text: str, render: Render = render_markdown) -> tuple[LivePane, str, str]:
    """A pane rendered from scratch (a page's first render, or a snapshot): its state
    and the HTML of its finished blocks and of its tail."""
    pane = LivePane()
    update = pane.update(text, render, whole=True)
    if update is None:
        return pane, "", ""
    return pane, "".join(html for _, html in update.blocks), update.tail


def state_of(text: str) -> tuple[int, int]:
    """Where the finished blocks of a pane rendered from scratch end, and how much it
    covers (rendered_now's state, without rendering).

    >>> state_of("One\\n\\nTwo")
    (5, 8)
    """
    ends = block_ends(text)
    return (ends[-1] if ends else 0), _covered(text)


def _covered(text: str) -> int:
    """How much of the text a render covers: not its trailing whitespace, which the
    renderer would drop, so it stays in the raw text after the render ("in" rendered,
    then " the" raw, reads "in the")."""
    return len(text.rstrip())


def pane_html(text: str, render: Render = render_markdown) -> str:
    """A streaming pane's content as a page is first sent it: the finished blocks, then
    the tail (data-upto: how many characters the render covers; what arrives later
    goes to the raw text after it, static/js/stream.js). Safe HTML: the renderer's.

    >>> print(pane_html("Hi *there*"))
    <div class="md-tail" data-upto="10"><p>Hi <em>there</em></p>
    </div><span class="stream-raw"></span>
    """
    pane, blocks, tail = rendered_now(text, render)
    return (
        f'{blocks}<div class="md-tail" data-upto="{pane.upto}">{tail}</div>'
        '<span class="stream-raw"></span>'
    )
