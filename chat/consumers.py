"""The conversation and comparison sockets: thin. They check who asks, validate, start
or stop generations, and forward the generations' events as small HTML fragments."""

from __future__ import annotations

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.template.loader import render_to_string
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

from chat import actions, branches, cards, comparisons, composer, generation, params, providers
from chat.models import Comparison, Conversation, Message

PAGE = "chat/conversation.html"
COMPARE_PAGE = "compare/comparison.html"


class StreamForwarding:
    """Forwards a generation's gen.delta and gen.snapshot events as <hx-partial> appends.

    The consumer sets `conversation_id` (whose generations it watches) and `shown`:
    per streaming message on the page, how many characters of reasoning and answer it
    shows. Deltas carry offsets, so what the page already has is never shown twice, and
    a gap asks the generation for a snapshot instead of leaving a hole.
    """

    conversation_id: int
    shown: dict[int, list[int]]

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

    async def _control(self, event: dict) -> None:
        await self.channel_layer.group_send(generation.control_group(self.conversation_id), event)


class ConversationConsumer(StreamForwarding, AsyncJsonWebsocketConsumer):
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
        verb, _, ident = str(content.get("action") or "send").partition(":")
        if verb == "stop":
            await self._control({"type": "gen.stop"})
            return
        message = None
        if ident:
            message = await _message_of(conversation, ident)
            if message is None:
                await self._show_errors({"prompt": "That message is not in this conversation."})
                return
        handler = self._ACTIONS.get((verb, message is not None))
        if handler is None:
            await self._show_errors({"prompt": f"Unknown action {verb!r}."})
            return
        await handler(self, conversation, message, content)

    async def _send(self, conversation: Conversation, _message, content: dict) -> None:
        submission = await self._valid_submission(conversation, content)
        if submission is None:
            return
        conversation.system_prompt = submission.system_prompt
        parent = await Message.objects.filter(pk=conversation.current_leaf_id).afirst()
        await actions.send_prompt(
            conversation,
            submission.prompt,
            submission.settings,
            self._provider(conversation),
            parent,
        )
        await self._accepted(submission)

    async def _edit(self, conversation: Conversation, message: Message, content: dict) -> None:
        if message.role != Message.Role.USER:
            await self._show_errors({"prompt": "Only your own prompts can be edited."})
            return
        text = content.get(f"edit-{message.pk}")
        submission = await self._valid_submission(
            conversation, {**content, "prompt": text}, f"edit-{message.pk}"
        )
        if submission is None:
            return
        parent = await Message.objects.filter(pk=message.parent_id).afirst()
        await actions.send_prompt(
            conversation,
            submission.prompt,
            submission.settings,
            self._provider(conversation),
            parent,
        )
        await self._accepted(submission, cleared=False)

    async def _regenerate(
        self, conversation: Conversation, message: Message, content: dict
    ) -> None:
        submission = await self._valid_submission(conversation, {**content, "prompt": "-"})
        if submission is None or not await self._is_answer(message):
            return
        await actions.regenerate(
            conversation, message, self._provider(conversation), submission.settings
        )
        await self._accepted(submission, cleared=False)

    async def _rerun(self, conversation: Conversation, message: Message, content: dict) -> None:
        if not await self._is_answer(message) or not await self._idle(conversation):
            return
        await actions.regenerate(conversation, message, self._provider(conversation), None)

    async def _continue(self, conversation: Conversation, message: Message, content: dict) -> None:
        if not await self._is_answer(message) or not await self._idle(conversation):
            return
        await actions.continue_answer(conversation, message, self._provider(conversation))

    async def _switch(self, conversation: Conversation, message: Message, content: dict) -> None:
        await actions.switch(conversation, message)

    _ACTIONS = {
        ("send", False): _send,
        ("edit", True): _edit,
        ("regenerate", True): _regenerate,
        ("rerun", True): _rerun,
        ("continue", True): _continue,
        ("switch", True): _switch,
    }

    async def _valid_submission(
        self, conversation: Conversation, content: dict, prompt_field: str = "prompt"
    ):
        """The form read and checked; None (with messages shown) when it cannot go.
        Points `conversation` (unsaved) at the provider chosen, which must be theirs."""
        submission = composer.read_submission(content)
        if "prompt" in submission.errors and prompt_field != "prompt":
            submission.errors[prompt_field] = submission.errors.pop("prompt")
        own, refused = await providers.achosen(self.user, submission.provider)
        if refused:
            submission.errors["provider"] = refused
        if submission.errors:
            await self._show_errors(submission.errors)
            return None
        if await self._conversation() is None or not await self._idle(conversation):
            return None
        conversation.provider = own
        return submission

    async def _idle(self, conversation: Conversation) -> bool:
        if await _is_streaming_id(conversation.pk):
            await self._show_errors(
                {"prompt": "An answer is still streaming: wait for it or press Stop."}
            )
            return False
        return True

    async def _is_answer(self, message: Message) -> bool:
        if message.role != Message.Role.ASSISTANT:
            await self._show_errors({"prompt": "That is not an answer."})
            return False
        return True

    async def _accepted(self, submission, cleared: bool = True) -> None:
        await self._show_errors({}, advice=params.advice(submission.settings))
        if cleared:
            await self.send_json({"event": "sent"})

    def _provider(self, conversation: Conversation):
        return providers.for_conversation(conversation, self.scope.get("server"))

    async def _show_errors(self, errors: dict[str, str], advice: list[str] | None = None) -> None:
        """Every field's message slot is rewritten, so fixed fields lose their message."""
        names = [*params.PARAMS, "prompt", "system_prompt", "provider"]
        names += [name for name in errors if name not in names]
        parts = [
            _partial(f"#error-{name}", "innerHTML", escape(errors.get(name, ""))) for name in names
        ]
        if advice is not None:
            lines = mark_safe("".join(format_html("<p>{}</p>", line) for line in advice))  # noqa: S308
            parts.append(_partial("#advice", "innerHTML", lines))
        await self.send(text_data="".join(parts))
        if errors:
            await self.send_json({"event": "invalid", "fields": sorted(errors)})

    # -- from the generation (through the channel layer) --------------------

    async def gen_started(self, event: dict) -> None:
        await self._render_path()
        await self.send_json({"event": "streaming", "active": True})

    async def gen_path(self, event: dict) -> None:
        await self._render_path()

    async def _render_path(self) -> None:
        """The visible path, re-rendered: a new branch or batch can change any of it."""
        conversation = await self._conversation()
        if conversation is None:
            return
        html, title, shown = await _render_messages(conversation)
        self.shown.update(shown)
        await self.send(
            text_data=_partial("#messages", "innerHTML", html)
            + _partial("#title-input", "outerHTML", title)
            # htmx sets the document's title from a <title> in what it swaps.
            + format_html("<title>{} · Reasoning Playground</title>", conversation.display_title)
        )

    async def gen_done(self, event: dict) -> None:
        for pk in event["message_ids"]:
            self.shown.pop(pk, None)
        await self._render_path()
        still_streaming = await _is_streaming_id(self.conversation_id)
        await self.send_json({"event": "streaming", "active": still_streaming})

    async def _conversation(self) -> Conversation | None:
        # With its provider: providers.for_conversation reads it without a query.
        return (
            await Conversation.objects.owned_by(self.user)
            .select_related("provider")
            .filter(pk=self.conversation_id)
            .afirst()
        )


class ComparisonConsumer(StreamForwarding, AsyncJsonWebsocketConsumer):
    """A comparison page's socket: every run's stream, "Stop all" and a column's "Stop"."""

    async def connect(self) -> None:
        self.user = self.scope["user"]
        self.comparison_id = int(self.scope["url_route"]["kwargs"]["pk"])
        comparison = await self._comparison() if self.user.is_authenticated else None
        if comparison is None or comparison.conversation_id is None:
            await self.close()  # before accept: the handshake is refused
            return
        # The runs are generations of the comparison's hidden conversation.
        self.conversation_id = comparison.conversation_id
        self.group = generation.conversation_group(self.conversation_id)
        self.shown: dict[int, list[int]] = {}
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        await self._render(comparison, None)
        await self._control({"type": "gen.sync"})

    async def disconnect(self, code: int) -> None:
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content: dict, **kwargs) -> None:
        comparison = await self._comparison()
        if comparison is None:
            await self.close()
            return
        verb, _, column = str(content.get("action") or "").partition(":")
        if verb == "stop":
            await comparisons.stop(comparison, int(column) if column.isdigit() else None)

    async def gen_started(self, event: dict) -> None:
        await self._render(await self._comparison(), event["message_ids"])

    async def gen_done(self, event: dict) -> None:
        await self._render(await self._comparison(), event["message_ids"])

    async def _render(self, comparison: Comparison | None, message_ids: list[int] | None) -> None:
        """Re-render the runs that changed (all of them on connect), their columns' heads,
        the summary and Stop all; streaming text shown is counted from what was saved."""
        if comparison is None:
            return
        html, shown = await _render_comparison(comparison, message_ids)
        if message_ids is None:
            self.shown = shown
        else:
            for pk in message_ids:
                self.shown.pop(pk, None)
            self.shown.update(shown)
        await self.send(text_data=html)

    async def _comparison(self) -> Comparison | None:
        return await Comparison.objects.owned_by(self.user).filter(pk=self.comparison_id).afirst()


@database_sync_to_async
def _render_comparison(
    comparison: Comparison, message_ids: list[int] | None
) -> tuple[str, dict[int, list[int]]]:
    view = comparisons.results(comparison)
    context = comparisons.page_context(comparison, view)
    wanted = set(message_ids or [])
    parts = []
    if message_ids is None:
        html = render_to_string(f"{COMPARE_PAGE}#columns", context)
        parts.append(_partial("#columns", "innerHTML", html))
    for column in view.columns:
        changed = [run for run in column.runs if run.message.pk in wanted]
        if not changed:
            continue
        for run in changed:
            html = render_to_string(f"{COMPARE_PAGE}#run-card", {**context, "run": run})
            parts.append(_partial(f"#message-{run.message.pk}", "outerHTML", html))
        html = render_to_string(f"{COMPARE_PAGE}#column-head", {**context, "column": column})
        parts.append(_partial(f"#column-head-{column.number}", "outerHTML", html))
    summary = render_to_string(f"{COMPARE_PAGE}#summary", context)
    stop_all = render_to_string(f"{COMPARE_PAGE}#stop-all", context)
    parts += [
        _partial("#summary", "innerHTML", summary),
        _partial("#stop-all", "outerHTML", stop_all),
    ]
    shown = {
        run.message.pk: [len(run.message.reasoning), len(run.message.content)]
        for run in view.runs
        if run.message.status == Message.Status.STREAMING
        and (message_ids is None or run.message.pk in wanted)
    }
    return "".join(parts), shown


def _partial(target: str, swap: str, html: SafeString) -> str:
    # Targets are built here from ids, never from model output; html is escaped or rendered.
    return format_html(
        '<hx-partial hx-target="{}" hx-swap="{}">{}</hx-partial>', target, swap, html
    )


async def _is_streaming_id(conversation_id: int) -> bool:
    async for message in Message.objects.filter(
        conversation_id=conversation_id, status=Message.Status.STREAMING
    ):
        if not message.is_stale:
            return True
    return False


@database_sync_to_async
def _render_messages(
    conversation: Conversation,
) -> tuple[SafeString, SafeString, dict[int, list[int]]]:
    steps = branches.steps(conversation)
    html = render_to_string(f"{PAGE}#messages", {"turns": cards.turns(steps)})
    title = render_to_string(f"{PAGE}#title-input", {"conversation": conversation})
    # Streaming text shown so far, so later deltas are appended from the right place.
    shown = {
        m.pk: [len(m.reasoning), len(m.content)]
        for step in steps
        for m in step.choices
        if m.status == Message.Status.STREAMING
    }
    return html, title, shown


async def _message_of(conversation: Conversation, ident: str) -> Message | None:
    if not ident.isdigit():
        return None
    return await conversation.messages.filter(pk=int(ident)).afirst()
