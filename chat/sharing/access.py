"""Whether a share link opens, and the owner's limits on it: the rule alone, no Django.

A link opens until it is revoked, until its expiry passes, and, with a view limit, for
that many page views. A closed link answers like one that never existed (a 404), so a
stranger cannot tell a revoked link from an expired or exhausted one.

The image and socket requests of a page are part of its view: they are let in with the
page's view ticket even when that view was the last one allowed (otherwise a link
limited to one view would show its page without its images).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

# The expiry choices, as the forms name them, and how long each lasts (None: never).
EXPIRY_CHOICES: dict[str, timedelta | None] = {
    "1d": timedelta(days=1),
    "7d": timedelta(days=7),
    "30d": timedelta(days=30),
    "never": None,
}
EXPIRY_LABELS = {"1d": "1 day", "7d": "7 days", "30d": "30 days", "never": "Never"}
# On an update, the expiry the link has is kept unless another is chosen.
KEEP = "keep"
MAX_VIEW_LIMIT = 1_000_000


class Verdict(enum.Enum):
    OPEN = "open"
    REVOKED = "revoked"
    EXPIRED = "expired"
    EXHAUSTED = "exhausted"


@dataclass(frozen=True)
class LinkState:
    """What of a link the rule reads."""

    revoked_at: datetime | None
    expires_at: datetime | None
    view_limit: int | None
    views: int


def decide(link: LinkState, now: datetime, *, within_view: bool = False) -> Verdict:
    """Whether `link` opens at `now`: for a new page view, or (`within_view`) for a
    request of a page view already counted (its images, its live socket).

    >>> from datetime import timezone as tz
    >>> now = datetime(2026, 1, 2, tzinfo=tz.utc)
    >>> decide(LinkState(None, None, 3, 3), now)
    <Verdict.EXHAUSTED: 'exhausted'>
    >>> decide(LinkState(None, None, 3, 3), now, within_view=True)
    <Verdict.OPEN: 'open'>
    """
    if link.revoked_at is not None:
        return Verdict.REVOKED
    if link.expires_at is not None and now >= link.expires_at:
        return Verdict.EXPIRED
    if not within_view and link.view_limit is not None and link.views >= link.view_limit:
        return Verdict.EXHAUSTED
    return Verdict.OPEN


@dataclass(frozen=True)
class Limits:
    """The limits a form asks for. `expiry` is a key of EXPIRY_CHOICES, or KEEP."""

    expiry: str
    view_limit: int | None

    def expires_at(self, now: datetime, current: datetime | None = None) -> datetime | None:
        """When the link stops opening: counted from `now`, or `current` when kept."""
        if self.expiry == KEEP:
            return current
        lasts = EXPIRY_CHOICES[self.expiry]
        return None if lasts is None else now + lasts


def read_limits(form: Mapping[str, str], *, default_expiry: str = "never") -> tuple[Limits, str]:
    """The limits from a form's `expiry` and `view_limit`, and what is wrong with them
    ("" when nothing is). An empty view limit means any number of views.

    >>> read_limits({"expiry": "7d", "view_limit": "10"})
    (Limits(expiry='7d', view_limit=10), '')
    >>> read_limits({"expiry": "2d", "view_limit": ""})[1]
    'Choose an expiry: 1 day, 7 days, 30 days or never.'
    """
    expiry = (form.get("expiry") or default_expiry).strip()
    if expiry not in EXPIRY_CHOICES and expiry != KEEP:
        return Limits(default_expiry, None), "Choose an expiry: 1 day, 7 days, 30 days or never."
    text = (form.get("view_limit") or "").strip()
    if not text:
        return Limits(expiry, None), ""
    if not text.isdigit() or not 1 <= int(text) <= MAX_VIEW_LIMIT:
        problem = f"The view limit is a whole number from 1 to {MAX_VIEW_LIMIT:,}, or empty."
        return Limits(expiry, None), problem
    return Limits(expiry, int(text)), ""


def views_left(link: LinkState) -> int | None:
    """How many page views the link has left (None: no limit)."""
    if link.view_limit is None:
        return None
    return max(link.view_limit - link.views, 0)
