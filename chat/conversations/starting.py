"""Where a person starts: their untouched conversation, or a new one carrying on from
their last settings. Reading never creates: only a POST (sign-up, sign-in, the start
page's button) makes a conversation."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chat.api import params
from chat.models import Conversation

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def untouched(user: User) -> Conversation | None:
    """The person's newest conversation with nothing sent yet, if any."""
    return (
        Conversation.objects.owned_by(user)
        .filter(started_at__isnull=True, hidden=False)
        .order_by("-created_at")
        .first()
    )


def carry_on(user: User) -> Conversation:
    """A new conversation with the settings, system prompt and provider last used."""
    latest = (
        Conversation.objects.owned_by(user).filter(hidden=False).order_by("-updated_at").first()
    )
    return Conversation.objects.create(
        owner=user,
        settings=latest.settings if latest else params.default_settings(),
        system_prompt=latest.system_prompt if latest else "",
        provider_id=latest.provider_id if latest else None,
    )


def untouched_or_new(user: User) -> Conversation:
    """Reuse an untouched conversation rather than pile them up."""
    return untouched(user) or carry_on(user)
