"""May this person start another answer now? The checks every generation start makes
(send, edit, regenerate, run again, continue, a prompt's run, a comparison's run), and
the tokens a finished one spent on the server's key.

Each refusal is a sentence for the person, saying when to try again.
"""

from __future__ import annotations

from asgiref.sync import async_to_sync
from django.conf import settings
from django.utils import timezone

from chat.limits import rules, store
from chat.models import STALE_AFTER, Message


async def arefusal(owner_id: int, *, spends_server_key: bool) -> str | None:
    """Why `owner_id` may not start an answer now, or None (and the start is counted).

    `spends_server_key`: the answer goes to the server's own upstream (its key, or the
    simulator), not to one of the person's own providers; only those count toward the
    daily token budget.
    """
    running_cap = settings.PLAYGROUND_CONCURRENT_GENERATIONS
    if running_cap and await arunning(owner_id) >= running_cap:
        return rules.too_many_running(running_cap)
    budget = settings.PLAYGROUND_TOKENS_PER_DAY
    if budget and spends_server_key:
        spent, wait = await store.atokens_today(str(owner_id))
        if spent >= budget:
            return rules.out_of_tokens(budget, wait)
    # Counted last, so a start refused above does not use up the minute as well.
    per_minute = settings.PLAYGROUND_STARTS_PER_MINUTE
    if per_minute:
        count, wait = await store.ahit("starts", str(owner_id), rules.MINUTE)
        if count > per_minute:
            return rules.too_many_starts(per_minute, wait)
    return None


refusal = async_to_sync(arefusal)


async def arunning(owner_id: int) -> int:
    """The person's generations streaming now, in every server process: read from the
    database, where each writes its answers at least every few seconds, so one whose
    process died stops counting once it looks stale. Comparison runs have their own cap
    (PLAYGROUND_COMPARE_CONCURRENCY) and are not counted here."""
    fresh_since = timezone.now() - STALE_AFTER
    batches = (
        Message.objects.filter(
            conversation__owner_id=owner_id,
            conversation__hidden=False,
            status=Message.Status.STREAMING,
            updated_at__gt=fresh_since,
        )
        .order_by()
        .values("batch")
        .distinct()
    )
    return await batches.acount()


async def acount_spent(owner_id: int, usages: list[dict | None]) -> None:
    """Add a finished request's tokens (its choices' usage) to the person's day."""
    await store.aadd_tokens(str(owner_id), rules.usage_tokens(usages))
