"""Sign-up throttling: at most PLAYGROUND_SIGNUPS_PER_HOUR new accounts per address."""

from __future__ import annotations

from asgiref.sync import async_to_sync
from axes.helpers import get_client_ip_address  # type: ignore[import-untyped]
from django.conf import settings
from django.http import HttpRequest

from chat.limits import rules, store

HOUR = 60 * 60


def refusal(request: HttpRequest) -> str | None:
    """Why this address may not create another account now (and the attempt is counted),
    or None. The address is the one django-axes reads for sign-ins."""
    per_hour = settings.PLAYGROUND_SIGNUPS_PER_HOUR
    if not per_hour:
        return None
    address = get_client_ip_address(request) or "unknown"
    count, wait = async_to_sync(store.ahit)("signups", address, HOUR)
    return rules.too_many_signups(wait) if count > per_hour else None
