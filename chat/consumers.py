"""The conversation socket: thin. It checks who asks, validates, starts or stops
a generation, and forwards the generation's events as small HTML fragments."""

from __future__ import annotations

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.template.loader import render_to_string
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

from chat import cards, composer, generation, params, providers
from chat.models import Conversation, Message

PAGE = "chat/conversation.html"


class ConversationConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        self.user = self.scope["user"]
        self.conversation_id = int(self.scope["url_route"]["kwargs"]["pk"])
        # Closing before accept refuses the handshake (HTTP 403).
        if not self.user.is_authenticated or await self._conversation() is None:
            await self.close()
            return
        self.group = generation.conversation_group(self.conversation_id)
        # Per message: how many characters of reasoning and answer this page shows.
        self.shown: dict[int, list[int]] = {}
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        # Running generations answer with a snapshot, so a (re)connected page catches up.
        await self._control({"type": "gen.sync"})

    async def disconnect(self, code: int) -> None:
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    # -- from the browser ---------------------------------------------------

    async def receive_json(self, content: dict, **kwargs) -> None:
        conversation = await self._conversation()
        if conversation is None:  # deleted, or not theirs: nothing more for this socket
            await self.close()
            return
        action = content.get("action", "send")
        if action == "stop":
            await self._control({"type": "gen.stop"})
        elif action == "send":
            await self._send_prompt(conversation, content)
        else:
            await self._show_errors({"prompt": f"Unknown action {action!r}."})

    async def _send_prompt(self, conversation: Conversation, content: dict) -> None:
        submission = composer.read_submission(content)
        if submission.errors:
            await self._show_errors(submission.errors)
            return
        if await _is_streaming(conversation):
            await self._show_errors(
                {"prompt": "An answer is still streaming: wait for it or press Stop."}
            )
            return
        conversation.system_prompt = submission.system_prompt
        provider = providers.configured(self.scope.get("server"))
        await generation.begin(conversation, submission.prompt, submission.settings, provider)
        await self._show_errors({}, advice=params.advice(submission.settings))
        await self.send_json({"event": "sent"})

    async def _show_errors(self, errors: dict[str, str], advice: list[str] | None = None) -> None:
        """Every field's message slot is rewritten, so fixed fields lose their message."""
        parts = [
            _partial(f"#error-{name}", "innerHTML", escape(errors.get(name, "")))
            for name in [*params.PARAMS, "prompt", "system_prompt"]
        ]
        if advice is not None:
            lines = mark_safe("".join(format_html("<p>{}</p>", line) for line in advice))  # noqa: S308
            parts.append(_partial("#advice", "innerHTML", lines))
        await self.send(text_data="".join(parts))
        if errors:
            await self.send_json({"event": "invalid", "fields": sorted(errors)})

    # -- from the generation (through the channel layer) --------------------

    async def gen_started(self, event: dict) -> None:
        html, title = await _render_turn(event["message_ids"])
        for message_id in event["message_ids"]:
            self.shown[message_id] = [0, 0]
        await self.send(
            text_data=_partial("#messages [data-empty-state]", "beforebegin", html)
            + _partial("#title-input", "outerHTML", title)
        )
        await self.send_json({"event": "streaming", "active": True})

    async def gen_delta(self, event: dict) -> None:
        parts = []
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
                    parts.append(_partial(f"#{target}-{part['id']}", "beforeend", escape(new)))
                    shown[slot] += len(new)
        if parts:
            await self.send(text_data="".join(parts))

    async def gen_snapshot(self, event: dict) -> None:
        parts = []
        for part in event["parts"]:
            self.shown[part["id"]] = [len(part["reasoning"]), len(part["content"])]
            parts.append(
                _partial(f"#reasoning-text-{part['id']}", "innerHTML", escape(part["reasoning"]))
            )
            parts.append(
                _partial(f"#answer-text-{part['id']}", "innerHTML", escape(part["content"]))
            )
        await self.send(text_data="".join(parts))

    async def gen_done(self, event: dict) -> None:
        rendered, removed = await _render_cards(event["message_ids"])
        parts = [_partial(f"#message-{pk}", "outerHTML", html) for pk, html in rendered]
        parts += [_partial(f"#message-{pk}", "delete", mark_safe("")) for pk in removed]
        for pk in event["message_ids"]:
            self.shown.pop(pk, None)
        await self.send(text_data="".join(parts))
        still_streaming = await _is_streaming_id(self.conversation_id)
        await self.send_json({"event": "streaming", "active": still_streaming})

    # -- helpers ------------------------------------------------------------

    async def _control(self, event: dict) -> None:
        await self.channel_layer.group_send(generation.control_group(self.conversation_id), event)

    async def _conversation(self) -> Conversation | None:
        return await Conversation.objects.owned_by(self.user).filter(pk=self.conversation_id).afirst()


def _partial(target: str, swap: str, html: SafeString) -> str:
    # Targets are built here from ids, never from model output; html is escaped or rendered.
    return format_html(
        '<hx-partial hx-target="{}" hx-swap="{}">{}</hx-partial>', target, swap, html
    )


async def _is_streaming(conversation: Conversation) -> bool:
    return await _is_streaming_id(conversation.pk)


async def _is_streaming_id(conversation_id: int) -> bool:
    async for message in Message.objects.filter(
        conversation_id=conversation_id, status=Message.Status.STREAMING
    ):
        if not message.is_stale:
            return True
    return False


@database_sync_to_async
def _render_turn(message_ids: list[int]) -> tuple[SafeString, SafeString]:
    messages = list(Message.objects.filter(pk__in=message_ids).select_related("conversation"))
    turn = cards.turns(messages)
    # Each piece is a rendered template, safe by construction.
    html = mark_safe("".join(render_to_string(f"{PAGE}#turn", {"turn": t}) for t in turn))  # noqa: S308
    conversation = messages[0].conversation
    title = render_to_string(f"{PAGE}#title-input", {"conversation": conversation})
    return html, title


@database_sync_to_async
def _render_cards(message_ids: list[int]) -> tuple[list[tuple[int, SafeString]], list[int]]:
    messages = {m.pk: m for m in Message.objects.filter(pk__in=message_ids)}
    count = len(messages)
    rendered = [
        (pk, render_to_string(f"{PAGE}#assistant-card", cards.card(message, count)))
        for pk, message in messages.items()
    ]
    return rendered, [pk for pk in message_ids if pk not in messages]
