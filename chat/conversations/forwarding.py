"""What every socket that shows streams shares: the htmx fragment, and forwarding a
generation's deltas, renders and snapshots to the panes of the page."""

from __future__ import annotations

from typing import Any

from django.template.loader import render_to_string
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString

from chat.conversations import hub, live_markdown, owner
from chat.conversations.guarded import GuardedSocket

# Where a pane's render state is in a socket's `shown` entry (see shown_for).
_RENDERED = {"r": 2, "a": 4}
_RAW = {"r": 0, "a": 1}


def partial(target: str, swap: str, html: SafeString) -> str:
    # Targets are built here from ids, never from model output; html is escaped or rendered.
    return format_html(
        '<hx-partial hx-target="{}" hx-swap="{}">{}</hx-partial>', target, swap, html
    )


def shown_for(reasoning: str, content: str) -> list[int]:
    """What a page shows of a streaming answer whose panes it was sent rendered from this
    text (live_markdown.pane_html): [reasoning and answer characters shown, then per pane
    where its finished blocks end and how much its render covers (plain prose: none, it
    is shown raw)].

    >>> shown_for("Think.", "One\\n\\n**Two**")
    [6, 12, 0, 0, 5, 12]
    """
    return [
        len(reasoning),
        len(content),
        *live_markdown.state_of(reasoning),
        *live_markdown.state_of(content),
    ]


def live_panes(pane_number: int, reasoning: str | None, content: str) -> list[str]:
    """The partials that show a streaming answer's panes rendered as they are now
    (reasoning None: the page does not show it)."""
    panes = (
        [("answer", content)]
        if reasoning is None
        else [("reasoning", reasoning), ("answer", content)]
    )
    return [
        partial(
            f"#{name}-text-{pane_number}",
            "innerHTML",
            # The card's renderer's sanitised HTML, as the template's live_markdown filter.
            SafeString(live_markdown.pane_html(text)),
        )
        for name, text in panes
    ]


def _tool_calls(pk: int, calls: list[dict[str, Any]]) -> str:
    html = render_to_string(
        "conversations/_tool_calls.html", {"pk": pk, "calls": calls, "live": True}
    )
    return partial(f"#tool-calls-{pk}", "innerHTML", SafeString(html))


def _refusal(pk: int, text: str) -> str:
    html = render_to_string("conversations/_refusal.html", {"refusal": text})
    return partial(f"#refusal-{pk}", "innerHTML", SafeString(html))


class StreamForwarding(GuardedSocket):
    """A socket that shows a conversation's generations: their events come from this
    process's hub (chat/conversations/hub.py) into the socket's inbox, handled in order.

    The consumer sets `conversation_id` (whose generations it watches) and `shown`:
    per streaming message on the page, how many characters of reasoning and answer it
    shows. Deltas carry offsets, so what the page already has is never shown twice, and
    a gap asks the generation for a snapshot instead of leaving a hole.
    """

    conversation_id: int
    shown: dict[int, list[int]]
    inbox: hub.Inbox | None = None
    # Whether the page knows panes by their message ids (then frames built once for every
    # socket of the process fit it) and shows reasoning; a share page does neither.
    by_message_id = True
    shows_reasoning = True

    def _pane_number(self, pk: int) -> int:
        return pk

    async def _watch(self) -> None:
        """Start receiving the conversation's events (once accepted: they are sent).
        The first event handled is the consumer's own `page_join` (what a page that
        connects is sent), so nothing a generation sends can overtake it."""
        self.inbox = hub.Inbox(self.conversation_id, self._on_event)
        self.inbox.put({"type": "page.join"})
        await hub.HUB.watch(self.inbox)

    async def page_join(self, event: dict[str, Any]) -> None:
        raise NotImplementedError

    async def _unwatch(self) -> None:
        if self.inbox is not None:
            await hub.HUB.unwatch(self.inbox)
            self.inbox = None

    async def _on_event(self, event: dict[str, Any]) -> None:
        handler = getattr(self, event["type"].replace(".", "_"), None)
        if handler is not None:
            await handler(event)

    async def gen_delta(self, event: dict[str, Any]) -> None:
        parts = event["parts"]
        if all(self._in_step(part) for part in parts):
            # The usual case: one frame, built once, for every socket of the process.
            for part in parts:
                self._advance(part["id"], len(part["reasoning"]), len(part["content"]))
            await self.send(text_data=hub.delta_frame(event))
            return
        texts = []
        for part in parts:
            shown = self.shown.get(part["id"])
            if shown is None:
                continue  # this page has not had its snapshot yet; it will
            if part["reasoning_offset"] > shown[0] or part["content_offset"] > shown[1]:
                # A gap (a batch missed): ask for a snapshot rather than show holes.
                await self._control({"type": "gen.sync", "message_ids": [part["id"]]})
                continue
            reasoning = part["reasoning"][shown[0] - part["reasoning_offset"] :]
            content = part["content"][shown[1] - part["content_offset"] :]
            self._advance(part["id"], len(reasoning), len(content))
            texts.append((part["id"], reasoning, content))
        frame = hub.frame_of(texts)
        if frame:
            await self.send(text_data=frame)

    def _in_step(self, part: dict[str, Any]) -> bool:
        shown = self.shown.get(part["id"])
        return shown is not None and shown[:2] == [part["reasoning_offset"], part["content_offset"]]

    async def gen_render(self, event: dict[str, Any]) -> None:
        """The panes' Markdown rendered since the last render (hub.render_frame). A page
        that is not where the render starts gets what it lacks of it, nothing when it is
        ahead, and a snapshot when it missed a render."""
        parts = event["parts"]
        if self.by_message_id and all(self._render_fit(part) == "fits" for part in parts):
            for part in parts:
                self._rendered(part)
            await self.send(text_data=hub.render_frame(event))
            return
        renders = []
        for part in parts:
            if part["pane"] == "r" and not self.shows_reasoning:
                continue
            fit = self._render_fit(part)
            if fit == "gap":
                await self._control({"type": "gen.sync", "message_ids": [part["id"]]})
            if fit not in ("fits", "partly"):
                continue  # not shown, or ahead of this render, or its text not here yet
            done = self.shown[part["id"]][_RENDERED[part["pane"]]]
            blocks = [block for block in part["blocks"] if block[0] > done]
            self._rendered(part)
            number = self._pane_number(part["id"])
            renders.append((number, part["pane"], blocks, part["tail"], part["upto"]))
        frame = hub.render_frame_of(renders)
        if frame:
            await self.send(text_data=frame)

    def _render_fit(self, part: dict[str, Any]) -> str:
        """How a render fits the page: "fits" (it shows the pane rendered up to where
        the render starts, and the text up to where it ends), "partly" (some of its
        blocks are shown already), "gap" (it missed a render), or "" (not shown, ahead,
        or its text not here yet)."""
        shown = self.shown.get(part["id"])
        if shown is None:
            return ""
        done, upto = shown[_RENDERED[part["pane"]] : _RENDERED[part["pane"]] + 2]
        if done < part["start"]:
            return "gap"
        ends = [part["start"], *(end for end, _ in part["blocks"])]
        if done not in ends or not upto <= part["upto"] <= shown[_RAW[part["pane"]]]:
            return ""
        # A plain paragraph is set from the page's raw text: all of it must be raw there.
        begins = dict(zip(ends[1:], ends, strict=False))
        if any(html is None and begins[end] < upto for end, html in part["blocks"] if end > done):
            return "gap"
        return "fits" if done == part["start"] else "partly"

    def _rendered(self, part: dict[str, Any]) -> None:
        shown = self.shown[part["id"]]
        at = _RENDERED[part["pane"]]
        end = part["blocks"][-1][0] if part["blocks"] else shown[at]
        shown[at : at + 2] = [end, part["upto"]]

    def _advance(self, pk: int, reasoning: int, content: int) -> None:
        shown = self.shown[pk]
        shown[0] += reasoning
        shown[1] += content

    async def gen_snapshot(self, event: dict[str, Any]) -> None:
        parts: list[str] = []
        status = escape(event.get("status") or "")
        for part in event["parts"]:
            self.shown[part["id"]] = shown_for(part["reasoning"], part["content"])
            parts += live_panes(part["id"], part["reasoning"], part["content"])
            parts.append(partial(f"#gen-status-{part['id']}", "innerHTML", status))
            if part.get("refusal"):
                parts.append(_refusal(part["id"], part["refusal"]))
            if part.get("tools"):
                parts.append(_tool_calls(part["id"], part["tools"]))
        await self.send(text_data="".join(parts))

    async def gen_tools(self, event: dict[str, Any]) -> None:
        """A streaming answer's tool calls so far, each published whole (they are small,
        and a whole list needs no offsets): the card's list is replaced."""
        if event["id"] in self.shown:  # a card this page shows as streaming
            await self.send(text_data=_tool_calls(event["id"], event["calls"]))

    async def gen_refusal(self, event: dict[str, Any]) -> None:
        """A streaming answer's refusal so far (the API's `refusal` field, while `content`
        stays null), marked as a refusal on its card; replaced whole as it grows."""
        if event["id"] in self.shown:  # a card this page shows as streaming
            await self.send(text_data=_refusal(event["id"], event["text"]))

    async def gen_status(self, event: dict[str, Any]) -> None:
        """A generation's status line on its cards ("Retrying in 7 s…"), or cleared."""
        text = escape(event["text"])
        parts = [partial(f"#gen-status-{pk}", "innerHTML", text) for pk in event["message_ids"]]
        await self.send(text_data="".join(parts))

    async def _control(self, event: dict[str, Any]) -> None:
        """To the conversation's generations, wherever they run; saying which process
        asks, so a generation elsewhere knows this one watches."""
        await self.channel_layer.group_send(
            hub.control_group(self.conversation_id), {**event, "origin": owner.owner()}
        )
