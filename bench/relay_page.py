"""What one page of bench/relay.py is shown, rebuilt from the frames its socket receives.

Accepts both wire formats of the app's deltas:
- htmx fragments: `<hx-partial hx-target="#answer-text-17" hx-swap="beforeend">escaped
  text</hx-partial>` appends, the same with hx-swap="innerHTML" replaces (a snapshot),
  and any larger fragment (a whole `#messages` re-render) that holds the elements
  `#answer-text-17` / `#reasoning-text-17`: a live one (class "stream-text") replaces
  the text, a finished one (class "rendered", markdown) is kept apart as the final card;
- data-only JSON frames `{"a17": "raw answer text", "r17": "raw reasoning text"}`,
  appended as they are; render frames (`{"A17": [...]}`, Markdown rendered while it
  streams) change no text and are only counted.

Every upstream delta carries its sequence number and emit time (relay_upstream.TOKEN), so
each one is timed the moment its last character reaches the page.

    >>> page = Page(sent_at=100.0)
    >>> page.apply('<hx-partial hx-target="#reasoning-text-3" hx-swap="beforeend">'
    ...            '00000@0000000100.250000 </hx-partial>', now=100.5)
    >>> page.texts[("r", 3)], page.lags, page.first_delta
    ('00000@0000000100.250000 ', [0.25], 0.5)
    >>> page.apply('{"a3": "00001@0000000100.300000 "}', now=100.5)
    >>> page.apply('{"event": "streaming", "active": false}', now=101.0)
    >>> page.ended, page.text(3)
    (True, ('00000@0000000100.250000 ', '00001@0000000100.300000 '))
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

from relay_upstream import TOKEN

PARTIAL = re.compile(r"<hx-partial\s([^>]*)>(.*?)</hx-partial>", re.S)
ATTRIBUTE = re.compile(r'([\w:-]+)="([^"]*)"')
# The panes' element ids, long (today's) and short (a compact format's), by pane.
TARGET = re.compile(r"#(?:(reasoning|answer)-text-|([ar]))(\d+)$")
DATA_KEY = re.compile(r"([ar])(\d+)$")
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source"}


def _pane(long: str | None, short: str | None) -> str:
    return "r" if (long == "reasoning" or short == "r") else "a"


class _Cards(HTMLParser):
    """The text of every #reasoning-text-N / #answer-text-N element (or #rN / #aN), and
    its class."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: dict[tuple[str, int], tuple[str, str]] = {}
        self._open: list[tuple[tuple[str, int], str, list[str], int]] = []
        self._depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in VOID:
            return
        self._depth += 1
        values = dict(attrs)
        match = re.fullmatch(r"(?:(reasoning|answer)-text-|([ar]))(\d+)", values.get("id") or "")
        if match:
            key = (_pane(match.group(1), match.group(2)), int(match.group(3)))
            self._open.append((key, values.get("class") or "", [], self._depth))

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            return
        if self._open and self._open[-1][3] == self._depth:
            key, css, parts, _ = self._open.pop()
            self.found[key] = (css, "".join(parts))
        self._depth -= 1

    def handle_data(self, data: str) -> None:
        for _, _, parts, _ in self._open:
            parts.append(data)


@dataclass
class Page:
    sent_at: float
    texts: dict[tuple[str, int], str] = field(default_factory=dict)
    rendered: dict[tuple[str, int], str] = field(default_factory=dict)
    lags: list[float] = field(default_factory=list)
    first_delta: float | None = None
    frames: int = 0
    bytes: int = 0
    started: bool = False
    ended: bool = False
    refused: str = ""
    _scanned: dict[tuple[str, int], int] = field(default_factory=dict)
    _seen: set[tuple[str, int]] = field(default_factory=set)

    def apply(self, frame: str, now: float) -> None:
        self.frames += 1
        self.bytes += len(frame.encode())
        if frame.startswith("{"):
            self._apply_data(json.loads(frame), now)
            return
        for attributes, body in PARTIAL.findall(frame):
            attrs = dict(ATTRIBUTE.findall(attributes))
            target = TARGET.match(attrs.get("hx-target", ""))
            swap = attrs.get("hx-swap", "innerHTML")
            if target and swap in ("beforeend", "innerHTML"):
                key = (_pane(target.group(1), target.group(2)), int(target.group(3)))
                # A snapshot's pane is HTML (its Markdown rendered, the rest raw); the
                # bench's text is plain, so what the page shows is its text content.
                text = html.unescape(re.sub(r"<[^>]*>", "", body))
                if swap == "beforeend":
                    self.append(key, text, now)
                else:
                    self._replace(key, text, now)
            elif "id=" in body:  # cards, or a pane swapped whole (outerHTML)
                self._apply_cards(body, now)

    def _apply_data(self, data: object, now: float) -> None:
        if not isinstance(data, dict):
            return
        if "event" in data:
            if data["event"] == "streaming":
                if data.get("active"):
                    self.started = True
                elif self.started or self.lags:
                    self.ended = True
            elif data["event"] == "invalid":
                self.refused = ",".join(data.get("fields") or []) or "invalid"
            return
        for name, text in data.items():
            key = DATA_KEY.match(name)
            if key and isinstance(text, str):
                self.append((key.group(1), int(key.group(2))), text, now)

    def _apply_cards(self, body: str, now: float) -> None:
        cards = _Cards()
        cards.feed(body)
        cards.close()
        for key, (css, text) in cards.found.items():
            if "rendered" in css.split():
                self.rendered[key] = text
            else:
                self._replace(key, text, now)

    def append(self, key: tuple[str, int], text: str, now: float) -> None:
        self.texts[key] = self.texts.get(key, "") + text
        self._scan(key, now)

    def _replace(self, key: tuple[str, int], text: str, now: float) -> None:
        old = self.texts.get(key, "")
        if not text.startswith(old[: self._scanned.get(key, 0)]):
            self._scanned[key] = 0  # rewritten: seen tokens are not timed again
        self.texts[key] = text
        self._scan(key, now)

    def _scan(self, key: tuple[str, int], now: float) -> None:
        text = self.texts[key]
        position = self._scanned.get(key, 0)
        # A token matches only once its padding arrived, so a split one waits.
        for token in TOKEN.finditer(text, position):
            seen = (key[0], int(token.group(1)))
            if seen not in self._seen:
                self._seen.add(seen)
                self.lags.append(now - float(token.group(2)))
                if self.first_delta is None:
                    self.first_delta = now - self.sent_at
            position = token.end()
        self._scanned[key] = position

    def message_ids(self) -> set[int]:
        return {pk for _, pk in self.texts} | {pk for _, pk in self.rendered}

    def text(self, pk: int) -> tuple[str, str]:
        """(reasoning, answer) as the page shows them live."""
        return self.texts.get(("r", pk), ""), self.texts.get(("a", pk), "")


def verdict(page: Page, reasoning: str, content: str) -> str:
    """The outcome: "ok", or what went wrong between what was sent and what the page shows:
    "stuck" (no end), "refused", "lost", "duplicated", "garbled" (out of order or changed).

    >>> page = Page(sent_at=0.0, ended=True, texts={("r", 1): "x", ("a", 1): "y"})
    >>> verdict(page, "x", "y"), verdict(page, "x", "yz")
    ('ok', 'lost')
    """
    if page.refused:
        return "refused"
    if not page.ended:
        return "stuck"
    ids = page.message_ids()
    shown = page.text(next(iter(ids))) if len(ids) == 1 else ("", "")
    if shown == (reasoning, content):
        return "ok"
    got = [t.group(1) for part in shown for t in TOKEN.finditer(part)]
    if len(got) != len(set(got)):
        return "duplicated"
    short = sum(map(len, shown)) < len(reasoning) + len(content)
    if short or len(got) < len(TOKEN.findall(reasoning + content)) or len(ids) != 1:
        return "lost"
    return "garbled"
