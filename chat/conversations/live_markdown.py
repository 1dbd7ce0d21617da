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

What it costs on the wire: each finished block once, and the tail again only as it
grows by half, or while short as soon as raw Markdown follows it; a tail of plain prose
is never sent (the page shows its raw text as the paragraph it renders as).

Everything here is pure: `render` is the card's own renderer (rendering.render_markdown)
unless a test passes another.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass

from chat.conversations.rendering import render_markdown

# The tail is sent again only once it has grown by half since it was last sent, so the
# bytes spent on one block's re-renders stay within a few times its size (a geometric
# series), however slowly it streams.
TAIL_GROWTH = 1.5
# A tail up to this many characters is also sent again as soon as the raw text after its
# last render holds Markdown (a `*`, a backtick, a line break...), which would show as
# syntax until then; plain words read the same raw or rendered, and wait.
TAIL_EAGER = 1024

_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})(.*)")
_LIST_ITEM = re.compile(r"(?:[-+*]|\d{1,9}[.)])(?:[ \t]|$)")
# What a list item's marker may still become while its line is arriving.
_MARKER_SO_FAR = re.compile(r"(?:[-+*]|\d{1,9}[.)]?)")
# What raw text shows otherwise than its render: Markdown syntax, an entity, a line break.
_NOT_PLAIN = re.compile(r"[\\`*_\[\]<>&!#|~\n]| {2}")

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
    (where it ends, its HTML), to append once, its HTML None for a plain paragraph whose
    raw text the page shows already (the page sets it as a paragraph itself); the tail's
    HTML, to replace the tail shown; `upto`, how much of the text they cover."""

    start: int
    blocks: list[tuple[int, str | None]]
    tail: str
    upto: int


@dataclass
class LivePane:
    """What one pane (an answer or its reasoning) has been sent rendered so far."""

    done: int = 0  # the text before it is in finished blocks, sent
    upto: int = 0  # the text before it is rendered (blocks and the tail last sent)
    seen: int = 0  # the text's length at the last update asked for
    plain: int = 0  # how much of the text a tail found plain (not sent) covered

    def update(
        self, text: str, render: Render = render_markdown, *, whole: bool = False
    ) -> Update | None:
        """The render of `text` (the pane's text so far) since the last one, or None when
        there is nothing worth sending: no new text, or no block finished and the tail
        neither grown by TAIL_GROWTH nor (while short) followed by raw Markdown. Once the
        text stops growing between two updates (or with `whole`), the tail is rendered
        however little it grew.

        A tail that renders as a plain paragraph (prose with no Markdown in it) is not
        sent: the page shows its raw text as that paragraph (static/css/app.css), so
        prose costs no re-sent tails."""
        whole = whole or len(text) == self.seen
        self.seen = len(text)
        covered = _covered(text)
        if covered <= max(self.upto, self.plain):
            return None
        ends = block_ends(text, self.done)
        end = ends[-1] if ends else self.done
        last = max(self.upto, self.plain)
        grown = covered - end >= TAIL_GROWTH * (last - self.done) or (
            covered - end <= TAIL_EAGER and _NOT_PLAIN.search(text, last, covered) is not None
        )
        if not (ends or grown or whole):
            return None
        blocks: list[tuple[int, str | None]] = []
        begin = self.done
        for block_end in ends:
            block = render(text[begin:block_end])
            # The page shows a plain paragraph's raw text as that paragraph already, when
            # no render covered any of it: its HTML would be the same text again.
            plain = begin >= self.upto and _is_plain(text[begin:block_end].rstrip(), block)
            blocks.append((block_end, None if plain else block))
            begin = block_end
        tail = render(text[end:covered]) if covered > end else ""
        self.plain = 0
        if tail and _is_plain(text[end:covered], tail):
            tail, self.plain, covered = "", covered, end
            if not blocks and self.upto == end:
                return None  # what the page shows is this already
        update = Update(self.done, blocks, tail, covered)
        self.done, self.upto = end, covered
        return update

    def behind(self, text: str) -> bool:
        """Whether some of `text` is neither rendered nor known to be plain prose."""
        return _covered(text) > max(self.upto, self.plain)


def _is_plain(text: str, rendered: str) -> bool:
    """Whether `rendered`, the render of `text`, is the paragraph its raw text shows as:
    no Markdown in it, and no line break or run of spaces (the raw text keeps those)."""
    return "\n" not in text and "  " not in text and rendered == _paragraph(text)


def _paragraph(text: str) -> str:
    return "<p>" + html.escape(text, quote=False) + "</p>\n"


def rendered_now(text: str, render: Render = render_markdown) -> tuple[LivePane, str, str]:
    """A pane rendered from scratch (a page's first render, or a snapshot): its state,
    the HTML of its finished blocks and of its tail; the text after `upto` is shown raw."""
    pane = LivePane()
    update = pane.update(text, render, whole=True)
    if update is None:
        return pane, "", ""
    return pane, block_html(text, update), update.tail


def block_html(text: str, update: Update) -> str:
    """The HTML of an update's finished blocks, plain paragraphs included."""
    parts = []
    begin = update.start
    for end, block in update.blocks:
        parts.append(_paragraph(text[begin:end].rstrip()) if block is None else block)
        begin = end
    return "".join(parts)


def state_of(text: str) -> tuple[int, int]:
    """Where the finished blocks of a pane rendered from scratch end, and how much of
    the text its render covers.

    >>> state_of("One\\n\\n**Two**")
    (5, 12)
    >>> state_of("One\\n\\nTwo")  # a plain tail is shown raw
    (5, 5)
    """
    pane, _, _ = rendered_now(text)
    return pane.done, pane.upto


def pane_html(text: str, render: Render = render_markdown) -> str:
    """A streaming pane's content as a page is first sent it: the finished blocks, then
    the tail (data-upto: how many characters the render covers), then the raw text after
    it, where what arrives later is appended (static/js/stream.js). Safe HTML: the
    renderer's, and the raw text escaped.

    >>> print(pane_html("Hi *there*"))
    <div class="md-tail" data-upto="10"><p>Hi <em>there</em></p>
    <span class="stream-raw"></span></div>
    >>> pane_html("Hi <b>")
    '<div class="md-tail" data-upto="0"><span class="stream-raw">Hi &lt;b&gt;</span></div>'
    """
    pane, blocks, tail = rendered_now(text, render)
    raw = html.escape(text[pane.upto :], quote=False)
    return (
        f'{blocks}<div class="md-tail" data-upto="{pane.upto}">{tail}'
        f'<span class="stream-raw">{raw}</span></div>'
    )


def _covered(text: str) -> int:
    """How much of the text a render covers: not its trailing whitespace, which the
    renderer would drop, so it stays in the raw text after the render ("in" rendered,
    then " the" raw, reads "in the")."""
    return len(text.rstrip())
