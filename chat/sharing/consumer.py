"""A "Live" share link's socket: read-only, for anyone holding the link.

It watches the conversation's generations through the same hub as the owner's tabs
(chat/conversations/hub.py) and shows them on the share page: the path as the link
shows it (chat.sharing.conversations.live_snapshot), re-rendered when a generation
starts or ends, and the streaming text as it arrives. It never acts: whatever the page
sends is ignored, and there is no stop, edit or send to offer.

The link is checked on connect (it opens for the page's view ticket, and "Live" is on)
and again whenever it may have changed: the owner revoked it or changed its limits
(chat.sharing.notices), it reached its expiry, or a generation started or ended. Once
it no longer opens the page is told so and the socket closes.
"""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.html import escape

from chat.conversations import hub
from chat.conversations.forwarding import StreamForwarding, live_panes, partial, shown_for
from chat.models import ShareLink
from chat.sharing import links, notices
from chat.sharing.conversations import live_snapshot

PAGE = "sharing/shared.html"
# Application close code (4000-4999): the link no longer opens.
LINK_CLOSED = 4404
CLOSED_NOTE = "This link no longer opens."


class SharedConversationConsumer(StreamForwarding):
    # The page knows panes by their live numbers, never by message ids.
    by_message_id = False

    async def connect(self) -> None:
        self.token = str(self.scope["url_route"]["kwargs"]["token"])
        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        self.ticket = (query.get("view") or [""])[0]
        link = await _open_link(self.token, self.ticket)
        if link is None:
            await self.close()  # before accept: the handshake is refused
            return
        self.include_reasoning = self.shows_reasoning = link.include_reasoning
        self.conversation_id = link.conversation_id
        self.shown: dict[int, list[int]] = {}
        # Message id -> the number the page knows its panes by (never the database id).
        self.live_ids: dict[int, int] = {}
        self.group = notices.link_group(self.token)
        self.expiry: asyncio.Task[None] | None = None
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        if link.expires_at is not None:
            delay = (link.expires_at - timezone.now()).total_seconds()
            self.expiry = asyncio.get_running_loop().create_task(self._expire(delay))
        await self._watch()

    async def disconnect(self, code: int) -> None:
        if self.expiry is not None:
            self.expiry.cancel()
        await self._unwatch()
        if getattr(self, "group", None):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive(
        self, text_data: str | None = None, bytes_data: bytes | None = None, **kwargs: Any
    ) -> None:
        """Read-only: a frame from the page changes nothing and is not answered."""

    # -- the link ------------------------------------------------------------

    async def share_changed(self, event: dict[str, Any]) -> None:
        if await self._still_open():
            await self._render()

    async def _expire(self, delay: float) -> None:
        await asyncio.sleep(max(delay, 0) + 0.05)
        await self._still_open()

    async def _still_open(self) -> bool:
        link = await _open_link(self.token, self.ticket)
        if link is not None:
            return True
        await self.send(text_data=partial("#shared-live-note", "innerHTML", escape(CLOSED_NOTE)))
        await self.close(code=LINK_CLOSED)
        await self._unwatch()  # nothing more reaches this page, even before it hangs up
        return False

    # -- the conversation's generations (through this process's hub) ---------

    async def page_join(self, event: dict[str, Any]) -> None:
        await self._render()
        await self._control({"type": "gen.sync"})

    async def gen_started(self, event: dict[str, Any]) -> None:
        if await self._still_open():
            await self._render()

    gen_done = gen_started
    gen_path = gen_started

    async def gen_delta(self, event: dict[str, Any]) -> None:
        """The new text of the answers the page shows streaming, under their page
        numbers; reasoning only when the link shares it. A gap asks for a snapshot."""
        texts = []
        for part in event["parts"]:
            shown = self.shown.get(part["id"])
            if shown is None:
                continue  # not on the shared path, or not rendered yet (it will be)
            if part["reasoning_offset"] > shown[0] or part["content_offset"] > shown[1]:
                await self._control({"type": "gen.sync", "message_ids": [part["id"]]})
                continue
            reasoning = part["reasoning"][shown[0] - part["reasoning_offset"] :]
            content = part["content"][shown[1] - part["content_offset"] :]
            shown[0] += len(reasoning)
            shown[1] += len(content)
            texts.append((self.live_ids[part["id"]], self._reasoning(reasoning), content))
        frame = hub.frame_of(texts)
        if frame:
            await self.send(text_data=frame)

    async def gen_snapshot(self, event: dict[str, Any]) -> None:
        parts: list[str] = []
        for part in event["parts"]:
            if part["id"] not in self.shown:
                continue
            self.shown[part["id"]] = shown_for(part["reasoning"], part["content"])
            reasoning = part["reasoning"] if self.include_reasoning else None
            parts += live_panes(self.live_ids[part["id"]], reasoning, part["content"])
        if parts:
            await self.send(text_data="".join(parts))

    async def gen_tools(self, event: dict[str, Any]) -> None:
        """Tool calls show once the answer is done (the re-render after it)."""

    async def gen_status(self, event: dict[str, Any]) -> None:
        """The owner's status lines ("Retrying in 7 s…") are not the share's."""

    def _pane_number(self, pk: int) -> int:
        return self.live_ids[pk]

    def _reasoning(self, text: str) -> str:
        return text if self.include_reasoning else ""

    async def _render(self) -> None:
        link = await _open_link(self.token, self.ticket)
        if link is None:
            return
        html, self.shown = await _render_messages(link, self.live_ids)
        await self.send(text_data=html)


async def _open_link(token: str, ticket: str) -> ShareLink | None:
    """The link while it opens for this page's view with "Live" on, else None."""
    link = await database_sync_to_async(links.opening)(ShareLink.objects.all(), token, ticket)
    return link if link is not None and link.live else None


@database_sync_to_async
def _render_messages(link: ShareLink, live_ids: dict[int, int]) -> tuple[str, dict[int, list[int]]]:
    shared, shown = live_snapshot(link.conversation, link.include_reasoning, live_ids)
    context = {"shared": shared, "token": link.token, "ticket": links.ticket(link.token)}
    html = render_to_string(f"{PAGE}#messages", context)
    return partial("#shared-messages", "innerHTML", html), shown
