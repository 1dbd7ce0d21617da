"""What a page shows of its answers, reassembled from its socket's frames as htmx would
apply them: the text of each message's reasoning and answer panes.

A pane's text arrives three ways, and all are read:
- `<hx-partial hx-target="#answer-text-17" hx-swap="beforeend">escaped text</hx-partial>`
  appends (a delta), `hx-swap="innerHTML"` replaces (a snapshot, on connect or after a gap);
- a data-only JSON frame `{"a17": "raw answer text", "r17": "raw reasoning text"}`
  appends unescaped text to message 17's panes (compact deltas).
A snapshot of a live pane is its Markdown rendered up to `data-upto` characters, then its
raw text (chat.conversations.live_markdown.pane_html): the pane's text here is that raw
text, and `covered` says how much of the answer the render before it covers. Render
frames (`{"A17": [...]}`) change no text; they and whole re-renders of `#messages` are
left out.
"""

from __future__ import annotations

import html
import json
import re
from collections import defaultdict

PARTIAL = re.compile(
    r'<hx-partial hx-target="#(answer|reasoning)-text-(\d+)" hx-swap="(beforeend|innerHTML)">'
    r"(.*?)</hx-partial>",
    re.S,
)
COMPACT_KEY = re.compile(r"([ar])(\d+)")
LIVE_PANE = re.compile(r'data-upto="(\d+)".*<span class="stream-raw">(.*?)</span>', re.S)
PANES = {"a": "answer", "r": "reasoning"}


class PageText:
    """The panes' text of one page, fed its frames in order."""

    def __init__(self) -> None:
        self.panes: dict[tuple[str, int], str] = defaultdict(str)
        # Per pane: the characters a snapshot showed rendered, before its raw text.
        self.covered: dict[tuple[str, int], int] = defaultdict(int)
        self.appended = 0  # deltas applied: proof the stream was live on this page

    def feed(self, frame: str) -> None:
        if frame.startswith("{"):
            self._feed_compact(json.loads(frame))
            return
        for pane, pk, swap, text in PARTIAL.findall(frame):
            key = (pane, int(pk))
            if swap == "innerHTML":
                live = LIVE_PANE.search(text)
                self.covered[key] = int(live[1]) if live else 0
                self.panes[key] = html.unescape(live[2] if live else text)
            else:
                self.panes[key] += html.unescape(text)
                self.appended += 1

    def _feed_compact(self, data: object) -> None:
        if not isinstance(data, dict):
            return
        for key, text in data.items():
            found = COMPACT_KEY.fullmatch(key)
            if found and isinstance(text, str):
                self.panes[(PANES[found[1]], int(found[2]))] += text
                self.appended += 1

    def answer(self, pk: int) -> str:
        return self.panes[("answer", pk)]

    def reasoning(self, pk: int) -> str:
        return self.panes[("reasoning", pk)]
