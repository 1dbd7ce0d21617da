"""What every socket that shows streams shares: the htmx fragment, and forwarding a
generation's deltas and snapshots to the panes of the page."""

from __future__ import annotations

from typing import Any

from django.utils.html import escape, format_html
from django.utils.safestring import SafeString

from chat.conversations import generation
from chat.conversations.guarded import GuardedSocket


def partial(target: str, swap: str, html: SafeString) -> str:
    # Targets are built here from ids, never from model output; html is escaped or rendered.
    return format_html(
        '<hx-partial hx-target="{}" hx-swap="{}">{}</hx-partial>', target, swap, html
    )


class StreamForwarding(GuardedSocket):
    """A socket that forwards a generation's gen.delta and gen.snapshot events as
    <hx-partial> appends.

    The consumer sets `conversation_id` (whose generations it watches) and `shown`:
    per streaming message on the page, how many characters of reasoning and answer it
    shows. Deltas carry offsets, so what the page already has is never shown twice, and
    a gap asks the generation for a snapshot instead of leaving a hole.
    """

    conversation_id: int
    shown: dict[int, list[int]]

    async def gen_delta(self, event: dict[str, Any]) -> None:
        parts: list[str] = []
        for part in event["parts"]:
            shown = self.shown.get(part["id"])
            if shown is None:
                continue  # this page has not had its snapshot yet; it will
            for slot, field, target in (
                (0, "reasoning", "reasoning-text"),
                (1, "content", "answer-text"),
            ):
                text, offset = part[field], part[f"{field}_offset"]
                if offset > shown[slot]:
                    # A gap (a batch missed): ask for a snapshot rather than show holes.
                    await self._control({"type": "gen.sync", "message_ids": [part["id"]]})
                    break
                new = text[shown[slot] - offset :]
                if new:
                    parts.append(partial(f"#{target}-{part['id']}", "beforeend", escape(new)))
                    shown[slot] += len(new)
        if parts:
            await self.send(text_data="".join(parts))

    async def gen_snapshot(self, event: dict[str, Any]) -> None:
        parts: list[str] = []
        for part in event["parts"]:
            self.shown[part["id"]] = [len(part["reasoning"]), len(part["content"])]
            parts.append(
                partial(f"#reasoning-text-{part['id']}", "innerHTML", escape(part["reasoning"]))
            )
            parts.append(
                partial(f"#answer-text-{part['id']}", "innerHTML", escape(part["content"]))
            )
        await self.send(text_data="".join(parts))

    async def gen_status(self, event: dict[str, Any]) -> None:
        """A generation's status line on its cards ("Retrying in 7 s…"), or cleared."""
        text = escape(event["text"])
        parts = [partial(f"#gen-status-{pk}", "innerHTML", text) for pk in event["message_ids"]]
        await self.send(text_data="".join(parts))

    async def _control(self, event: dict[str, Any]) -> None:
        await self.channel_layer.group_send(generation.control_group(self.conversation_id), event)
