"""A conversation's socket: thin. It checks who asks, validates, starts or stops
generations, and forwards their events as small HTML fragments."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any, ClassVar
from urllib.parse import parse_qs

from channels.auth import UserLazyObject
from channels.db import database_sync_to_async
from django.conf import settings
from django.template.loader import render_to_string
from django.utils.html import escape, format_html

from chat.api import guidance, params
from chat.conversations import (
    actions,
    attachments,
    cards,
    composer,
    recovery,
    redraws,
    tool_calls,
)
from chat.conversations.composer import Submission
from chat.conversations.forwarding import StreamForwarding, partial
from chat.conversations.generation import Generation
from chat.limits import rules
from chat.models import Conversation, Message
from chat.providers import upstreams
from chat.providers.upstreams import Provider

PAGE = "conversations/conversation.html"

_MessageAction = Callable[
    ["ConversationConsumer", Conversation, Message, dict[str, Any]], Awaitable[None]
]


class ConversationConsumer(StreamForwarding):
    user: UserLazyObject

    async def connect(self) -> None:
        user = self.scope.get("user")
        self.conversation_id = int(self.scope["url_route"]["kwargs"]["pk"])
        # Closing before accept refuses the handshake (HTTP 403).
        if user is None or not user.is_authenticated:
            await self.close()
            return
        self.user = user
        # Staff are shown where an unknown cost is fixed (the admin's price table).
        # The lazy user was loaded by is_authenticated above; its stub lacks is_staff.
        self.staff = bool(getattr(user, "is_staff", False))
        if await self._conversation() is None:
            await self.close()
            return
        # Per message: how many characters of reasoning and answer this page shows.
        self.shown: dict[int, list[int]] = {}
        # The signatures of the turns the page shows (chat.conversations.tree.Step), when
        # known: then a change sends only the turns that changed.
        self.turns: list[str] | None = None
        self.title: str | None = None  # the title input last sent (none yet: unknown)
        rate = settings.PLAYGROUND_SOCKET_MESSAGES_PER_SECOND
        self.frames = rules.FrameBucket(rate, time.monotonic()) if rate else None
        self.flooding = False
        await self._join_sessions()
        await self.accept()
        await self._watch()

    async def page_join(self, event: dict[str, Any]) -> None:
        # A page reconnecting after its server died: its answers end interrupted now
        # (this socket is told through the hub), not after the heartbeat check.
        await recovery.sweep(self.conversation_id)
        streaming = await _is_streaming_id(self.conversation_id)
        conversation = await self._conversation()
        version = self._version()  # the page's render, or none from another client
        if conversation is None:
            return
        if version and await _page_version(conversation) == version:
            # The page shows the path as it is now (Send/Stop included).
            self.turns = await _signatures(conversation)
        elif version:
            # Changed since the page was rendered (an answer ended while it was away):
            # its path again, as it is now, with Send/Stop.
            await self._render_path(streaming=streaming)
        elif streaming:
            # A page (re)connecting mid-stream shows Stop; the snapshot catches up its text.
            await self.send(text_data=_composer_actions(streaming=True))
        # Running generations answer with a snapshot, so a (re)connected page catches up.
        await self._control({"type": "gen.sync"})

    def _version(self) -> str:
        """The page version its socket's URL carries (?v=, from the page's render)."""
        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        return (query.get("v") or [""])[0]

    async def disconnect(self, code: int) -> None:
        await self._unwatch()
        await self._leave_sessions()

    # -- from the browser ---------------------------------------------------

    async def receive(
        self, text_data: str | None = None, bytes_data: bytes | None = None, **kwargs: Any
    ) -> None:
        """Frames beyond PLAYGROUND_SOCKET_MESSAGES_PER_SECOND are dropped unread; the
        page is told once per burst, beside Send."""
        if self.frames is not None and not self.frames.take(time.monotonic()):
            if not self.flooding:
                self.flooding = True
                await self._show_errors({"prompt": rules.SOCKET_FLOOD})
            return
        self.flooding = False
        await super().receive(text_data, bytes_data, **kwargs)

    async def _refuse(self, message: str) -> None:
        await self._show_errors({"prompt": message})

    async def receive_json(self, content: dict[str, Any], **kwargs: Any) -> None:
        conversation = await self._conversation()
        if conversation is None:  # deleted, or not theirs: nothing more for this socket
            await self.close()
            return
        verb, _, ident = str(content.get("action") or "send").partition(":")
        if verb == "stop":
            await self._control({"type": "gen.stop"})
            # No generation answers when its server is gone: end what it left streaming.
            await recovery.sweep(self.conversation_id)
            return
        if not ident:
            if verb == "send":
                async with actions.claimed(conversation.pk) as mine:
                    if not mine:
                        await self._show_errors({"prompt": actions.STARTING})
                        return
                    await self._send(conversation, content)
            else:
                await self._show_errors({"prompt": f"Unknown action {verb!r}."})
            return
        message = await _message_of(conversation, ident)
        if message is None:
            await self._show_errors({"prompt": "That message is not in this conversation."})
            return
        handler = self._ON_MESSAGE.get(verb)
        if handler is None:
            await self._show_errors({"prompt": f"Unknown action {verb!r}."})
            return
        if verb == "switch":
            await handler(self, conversation, message, content)
            return
        async with actions.claimed(conversation.pk) as mine:
            if not mine:
                await self._show_errors({"prompt": actions.STARTING})
                return
            await handler(self, conversation, message, content)

    async def _send(self, conversation: Conversation, content: dict[str, Any]) -> None:
        # The images first: a key that is not the sender's own pending upload stops
        # the send before anything is checked further or saved.
        images, refused = await attachments.aclaim(
            self.user, attachments.keys_of(content.get("attachment"))
        )
        if refused:
            await self._show_errors({"attachments": refused})
            return
        submission = await self._valid_submission(conversation, content)
        if submission is None:
            return
        conversation.system_prompt = submission.system_prompt
        parent = await _message_or_none(conversation.current_leaf_id)
        run = await actions.send_prompt(
            conversation,
            submission.prompt,
            submission.settings,
            self._provider(conversation),
            parent,
            images,
        )
        await self._accepted(submission, run)

    async def _edit(
        self, conversation: Conversation, message: Message, content: dict[str, Any]
    ) -> None:
        if message.role != Message.Role.USER:
            await self._show_errors({"prompt": "Only your own prompts can be edited."})
            return
        text = content.get(f"edit-{message.pk}")
        submission = await self._valid_submission(
            conversation, {**content, "prompt": text}, f"edit-{message.pk}"
        )
        if submission is None:
            return
        parent = await _message_or_none(message.parent_id)
        run = await actions.send_prompt(
            conversation,
            submission.prompt,
            submission.settings,
            self._provider(conversation),
            parent,
            # The edited prompt keeps its images.
            [a async for a in message.attachments.all()],
        )
        await self._accepted(submission, run, cleared=False)

    async def _regenerate(
        self, conversation: Conversation, message: Message, content: dict[str, Any]
    ) -> None:
        submission = await self._valid_submission(conversation, {**content, "prompt": "-"})
        if submission is None or not await self._is_answer(message):
            return
        run = await actions.regenerate(
            conversation, message, self._provider(conversation), submission.settings
        )
        await self._accepted(submission, run, cleared=False)

    async def _rerun(
        self, conversation: Conversation, message: Message, content: dict[str, Any]
    ) -> None:
        if not await self._is_answer(message) or not await self._idle(conversation):
            return
        if not await self._within_limits(conversation):
            return
        await actions.regenerate(conversation, message, self._provider(conversation), None)

    async def _continue(
        self, conversation: Conversation, message: Message, content: dict[str, Any]
    ) -> None:
        if not await self._is_answer(message):
            return
        refused = actions.continue_refusal(message)
        if refused:  # beside Send, where the person looks; nothing starts
            await self._show_errors({"prompt": refused})
            return
        if not await self._idle(conversation) or not await self._within_limits(conversation):
            return
        await actions.continue_answer(conversation, message, self._provider(conversation))

    async def _switch(
        self, conversation: Conversation, message: Message, content: dict[str, Any]
    ) -> None:
        await actions.switch(conversation, message)

    async def _results(
        self, conversation: Conversation, message: Message, content: dict[str, Any]
    ) -> None:
        """ "Send results": the person's result for each of an answer's tool calls, and the
        model's answer to them, with the panel's settings as they are now."""
        slot = f"results-{message.pk}"
        if message.role != Message.Role.ASSISTANT or not message.tool_calls:
            await self._show_errors({"prompt": "That answer has no tool calls to answer."})
            return
        results, problem = tool_calls.read_results(message.pk, message.tool_calls, content)
        if problem:
            await self._show_errors({slot: problem})
            return
        submission = await self._valid_submission(conversation, {**content, "prompt": "-"})
        if submission is None:
            return
        run = await actions.send_results(
            conversation, message, results, submission.settings, self._provider(conversation)
        )
        await self._accepted(submission, run, cleared=False)

    # The actions on one message ("regenerate:42"); a plain "send" has none.
    _ON_MESSAGE: ClassVar[dict[str, _MessageAction]] = {
        "edit": _edit,
        "regenerate": _regenerate,
        "rerun": _rerun,
        "continue": _continue,
        "switch": _switch,
        "results": _results,
    }

    async def _valid_submission(
        self, conversation: Conversation, content: dict[str, Any], prompt_field: str = "prompt"
    ) -> Submission | None:
        """The form read and checked; None (with messages shown) when it cannot go.
        Points `conversation` (unsaved) at the provider chosen, which must be theirs."""
        submission = composer.read_submission(content)
        if "prompt" in submission.errors and prompt_field != "prompt":
            submission.errors[prompt_field] = submission.errors.pop("prompt")
        own, refused = await upstreams.achosen(self.user, submission.provider)
        if refused:
            submission.errors["provider"] = refused
        if "tools" in submission.errors and prompt_field not in submission.errors:
            # Where the person looks when Send does nothing, not only in the side panel.
            submission.errors[prompt_field] = submission.errors["tools"]
        if submission.errors:
            await self._show_errors(submission.errors)
            return None
        if await self._conversation() is None or not await self._idle(conversation):
            return None
        conversation.provider = own
        if not await self._within_limits(conversation):
            return None
        return submission

    async def _idle(self, conversation: Conversation) -> bool:
        await recovery.sweep(conversation.pk)
        if await _is_streaming_id(conversation.pk):
            await self._show_errors(
                {"prompt": "An answer is still streaming: wait for it or press Stop."}
            )
            return False
        return True

    async def _within_limits(self, conversation: Conversation) -> bool:
        """The person's limits (chat/limits/), shown beside Send when one refuses."""
        refused = await actions.refusal(conversation, self._provider(conversation))
        if refused:
            await self._show_errors({"prompt": refused})
            return False
        return True

    async def _is_answer(self, message: Message) -> bool:
        if message.role != Message.Role.ASSISTANT:
            await self._show_errors({"prompt": "That is not an answer."})
            return False
        return True

    async def _accepted(
        self, submission: Submission, run: Generation, cleared: bool = True
    ) -> None:
        # The advice reads the messages actually sent (system prompt and every turn), so
        # JSON mode says "does not mention JSON" only when nothing sent does.
        messages = run.body.get("messages") or []
        await self._show_errors({}, advice=guidance.advice(submission.settings, messages))
        if cleared:
            await self.send_json({"event": "sent"})

    def _provider(self, conversation: Conversation) -> Provider:
        return upstreams.for_conversation(conversation, self.scope.get("server"))

    async def _show_errors(self, errors: dict[str, str], advice: list[str] | None = None) -> None:
        """The fields' message slots: the new messages, and the ones shown before emptied
        (every slot, until the socket knows: the page may show messages of its render)."""
        shown = getattr(self, "errors_shown", None)
        names = [*params.PARAMS, "prompt", "system_prompt", "provider"] if shown is None else []
        names += [name for name in [*(shown or ()), *errors] if name not in names]
        self.errors_shown = set(errors)
        parts = [
            partial(f"#error-{name}", "innerHTML", escape(errors.get(name, ""))) for name in names
        ]
        # Beside Send: the parameters' messages, unless the prompt's slot repeats one.
        summary = cards.param_summary(
            {k: v for k, v in errors.items() if v != errors.get(prompt_slot(errors))}
        )
        html = render_to_string(f"{PAGE}#param-summary", {"summary": summary})
        parts.append(partial("#param-summary", "innerHTML", html))
        if advice is not None:
            lines = render_to_string(f"{PAGE}#advice", {"advice": advice})
            parts.append(partial("#advice", "innerHTML", lines))
        await self.send(text_data="".join(parts))
        if errors:
            await self.send_json({"event": "invalid", "fields": sorted(errors)})

    # -- from the generation (through this process's hub) --------------------

    # A generation's start and end re-render the path and the composer's Send/Stop; the
    # data event after them says the same for scripts and tests that wait for the end.

    async def gen_started(self, event: dict[str, Any]) -> None:
        await self._render_path(streaming=True)
        await self.send_json({"event": "streaming", "active": True})

    async def listing_changed(self, event: dict[str, Any]) -> None:
        # In this tab or another: the sidebar redraws itself (conversation.js).
        await self.send_json({"event": "listed"})

    async def gen_path(self, event: dict[str, Any]) -> None:
        await self._render_path(streaming=await _is_streaming_id(self.conversation_id))

    async def gen_done(self, event: dict[str, Any]) -> None:
        for pk in event["message_ids"]:
            self.shown.pop(pk, None)
        still_streaming = await _is_streaming_id(self.conversation_id)
        await self._render_path(streaming=still_streaming, ended=event["message_ids"])
        await self.send_json({"event": "streaming", "active": still_streaming})

    async def _render_path(self, *, streaming: bool, ended: list[int] | None = None) -> None:
        """The visible path brought up to date, and Send/Stop as `streaming` says. Only
        what changed is sent: the turns from where the path changed (a new prompt, a
        new batch, another branch) and the turns holding answers that `ended`; the whole
        path when the socket does not know what the page shows."""
        conversation = await self._conversation()
        if conversation is None:
            return
        html, title, self.turns, shown = await redraws.render_changes(
            conversation, self.turns, set(ended or ()), staff=self.staff
        )
        self.shown.update(shown)
        # The title only when it changed: a person typing a new name while an answer
        # ends keeps what they typed.
        retitle = partial("#title-input", "outerHTML", title) if title != self.title else ""
        self.title = title
        await self.send(
            text_data=html
            + retitle
            + _composer_actions(streaming=streaming)
            # htmx sets the document's title from a <title> in what it swaps.
            + format_html("<title>{} · Reasoning Playground</title>", conversation.display_title)
        )

    async def _conversation(self) -> Conversation | None:
        # With its provider: upstreams.for_conversation reads it without a query.
        return (
            await Conversation.objects.owned_by(self.user)
            .select_related("provider")
            .filter(pk=self.conversation_id)
            .afirst()
        )


_page_version = database_sync_to_async(Conversation.page_version)


async def _is_streaming_id(conversation_id: int) -> bool:
    async for message in Message.objects.filter(
        conversation_id=conversation_id, status=Message.Status.STREAMING
    ):
        if not message.is_stale:
            return True
    return False


def prompt_slot(errors: dict[str, str]) -> str:
    """The slot beside Send that holds an error: the prompt's or an edited prompt's."""
    return next((name for name in errors if name == "prompt" or name.startswith("edit-")), "")


def _composer_actions(*, streaming: bool) -> str:
    html = render_to_string(f"{PAGE}#composer-actions", {"streaming": streaming})
    return partial("#composer-actions", "outerHTML", html)


@database_sync_to_async
def _signatures(conversation: Conversation) -> list[str]:
    return [step.signature for step in conversation.steps()]


async def _message_or_none(pk: int | None) -> Message | None:
    return None if pk is None else await Message.objects.filter(pk=pk).afirst()


async def _message_of(conversation: Conversation, ident: str) -> Message | None:
    if not ident.isdigit():
        return None
    return await conversation.messages.filter(pk=int(ident)).afirst()
