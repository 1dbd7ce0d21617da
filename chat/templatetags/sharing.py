"""Template filters of share links: whether one opens now, as its owner's list says it."""

from __future__ import annotations

from django import template
from django.utils import timezone

from chat.models.sharing import AbstractShareLink
from chat.sharing import access, links

register = template.Library()


@register.filter
def share_state(link: AbstractShareLink) -> str:
    """ "open", "revoked", "expired" or "exhausted" (chat.sharing.access.Verdict)."""
    return access.decide(links.state(link), timezone.now()).value
