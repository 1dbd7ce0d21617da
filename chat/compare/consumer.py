"""A comparison's socket: every run's stream, "Stop all" and a column's "Stop"."""

from __future__ import annotations

from channels.db import database_sync_to_async
from django.template.loader import render_to_string
from django.utils.html import escape

from chat.compare import results, runs
from chat.conversations.forwarding import StreamForwarding, partial, shown_for
from chat.models import Comparison, Message

COMPARE_PAGE = "compare/comparison.html"


class ComparisonConsumer(StreamForwarding):
    """A comparison page's socket: every run's stream, "Stop all" and a column's "Stop"."""

    async def connect(self) -> None:
        # AuthMiddlewareStack puts a user (perhaps anonymous) in every scope.
        self.user = self.scope.get("user")
        self.comparison_id = int(self.scope["url_route"]["kwargs"]["pk"])
        signed_in = self.user is not None and self.user.is_authenticated
        comparison = await self._comparison() if signed_in else None
        if comparison is None or comparison.conversation_id is None:
            await self.close()  # before accept: the handshake is refused
            return
        # The runs are generations of the comparison's hidden conversation.
        self.conversation_id = comparison.conversation_id
        self.shown: dict[int, list[int]] = {}
        await self._join_sessions()
        await self.accept()
        await self._watch()

    async def page_join(self, event: dict) -> None:
        await self._render(await self._comparison(), None)
        await self._control({"type": "gen.sync"})

    async def disconnect(self, code: int) -> None:
        await self._unwatch()
        await self._leave_sessions()

    async def _refuse(self, message: str) -> None:
        await self.send(text_data=partial("#error-socket", "innerHTML", escape(message)))

    async def receive_json(self, content: dict, **kwargs: object) -> None:
        comparison = await self._comparison()
        if comparison is None:
            await self.close()
            return
        verb, _, column = str(content.get("action") or "").partition(":")
        if verb == "stop":
            await runs.stop(comparison, int(column) if column.isdigit() else None)

    async def gen_started(self, event: dict) -> None:
        await self._render(await self._comparison(), event["message_ids"])

    async def gen_done(self, event: dict) -> None:
        await self._render(await self._comparison(), event["message_ids"])

    async def gen_path(self, event: dict) -> None:
        # A run gained a choice (the upstream returned more than asked for): all again.
        await self._render(await self._comparison(), None)

    async def _render(self, comparison: Comparison | None, message_ids: list[int] | None) -> None:
        """Re-render the runs that changed (all of them on connect), their columns' heads,
        the summary and Stop all; streaming text shown is counted from what was saved."""
        if comparison is None:
            return
        html, shown = await self._frames(comparison, message_ids)
        if message_ids is None:
            self.shown = shown
        else:
            for pk in message_ids:
                self.shown.pop(pk, None)
            self.shown.update(shown)
        await self.send(text_data=html)

    async def _frames(
        self, comparison: Comparison, message_ids: list[int] | None
    ) -> tuple[str, dict[int, list[int]]]:
        """The partials to send, and what they show of streaming answers (a blind A/B
        trial's socket renders its own page's partials here)."""
        return await _render_comparison(comparison, message_ids)

    async def _comparison(self) -> Comparison | None:
        return await Comparison.objects.owned_by(self.user).filter(pk=self.comparison_id).afirst()


@database_sync_to_async
def _render_comparison(
    comparison: Comparison, message_ids: list[int] | None
) -> tuple[str, dict[int, list[int]]]:
    view = results.results(comparison)
    context = results.page_context(comparison, view)
    wanted = set(message_ids or [])
    parts = []
    if message_ids is None:
        html = render_to_string(f"{COMPARE_PAGE}#columns", context)
        parts.append(partial("#columns", "innerHTML", html))
    for column in view.columns:
        changed = [run for run in column.runs if run.message.pk in wanted]
        if not changed:
            continue
        for run in changed:
            html = render_to_string(f"{COMPARE_PAGE}#run-card", {**context, "run": run})
            parts.append(partial(f"#message-{run.message.pk}", "outerHTML", html))
        html = render_to_string(f"{COMPARE_PAGE}#column-head", {**context, "column": column})
        parts.append(partial(f"#column-head-{column.number}", "outerHTML", html))
    summary = render_to_string(f"{COMPARE_PAGE}#summary", context)
    stop_all = render_to_string(f"{COMPARE_PAGE}#stop-all", context)
    parts += [
        partial("#summary", "innerHTML", summary),
        partial("#stop-all", "outerHTML", stop_all),
    ]
    shown = {
        run.message.pk: shown_for(run.message.reasoning, run.message.content)
        for run in view.runs
        if run.message.status == Message.Status.STREAMING
        and (message_ids is None or run.message.pk in wanted)
    }
    return "".join(parts), shown
