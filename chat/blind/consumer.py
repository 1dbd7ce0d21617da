"""A blind A/B trial's socket: the comparison's socket, rendering the trial's partials,
which show neither side's model nor settings until the vote."""

from __future__ import annotations

from channels.db import database_sync_to_async
from django.template.loader import render_to_string

from chat.blind import trials
from chat.compare.consumer import ComparisonConsumer
from chat.conversations.forwarding import partial, shown_for
from chat.models import BlindTrial, Comparison, Message


class BlindTrialConsumer(ComparisonConsumer):
    """Streams a trial's two answers as the comparison's socket does; `pk` is the trial's."""

    async def _comparison(self) -> Comparison | None:
        trial = await (
            BlindTrial.objects.owned_by(self.user)
            .select_related("comparison")
            .filter(pk=self.comparison_id)
            .afirst()
        )
        return trial.comparison if trial is not None else None

    async def _frames(
        self, comparison: Comparison, message_ids: list[int] | None
    ) -> tuple[str, dict[int, list[int]]]:
        return await _render_trial(comparison, message_ids)


@database_sync_to_async
def _render_trial(
    comparison: Comparison, message_ids: list[int] | None
) -> tuple[str, dict[int, list[int]]]:
    trial = BlindTrial.objects.select_related("comparison").get(comparison=comparison)
    context = trials.page_context(trial)
    shown = context["view"]
    assert isinstance(shown, trials.TrialView)
    wanted = set(message_ids or [])
    parts = []
    if message_ids is None:
        html = render_to_string(f"{trials.PAGE}#sides", context)
        parts.append(partial("#sides", "innerHTML", html))
    for side in shown.sides:
        if side.run is not None and side.run.message.pk in wanted:
            html = render_to_string(f"{trials.PAGE}#side", {**context, "side": side})
            parts.append(partial(f"#message-{side.run.message.pk}", "outerHTML", html))
    choices = render_to_string(f"{trials.PAGE}#vote-choices", context)
    parts.append(partial("#vote-choices", "innerHTML", choices))
    streaming = {
        side.run.message.pk: shown_for(side.run.message.reasoning, side.run.message.content)
        for side in shown.sides
        if side.run is not None
        and side.run.message.status == Message.Status.STREAMING
        and (message_ids is None or side.run.message.pk in wanted)
    }
    return "".join(parts), streaming
