"""What every kind of share link does the same way.

The public side: the one lookup every share view uses (chat.sharing.access decides,
this counts the view). The owner's side: revoking with a confirmation and an undo,
changing a link's expiry and view limit, and going back to the page the form was on.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar
from urllib.parse import urlencode, urlsplit, urlunsplit

from django.contrib import messages as flash
from django.core import signing
from django.db.models import F, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme

from chat.models.sharing import AbstractShareLink, ShareLinkQuerySet
from chat.sharing import access
from chat.web import AuthedRequest

_Link = TypeVar("_Link", bound=AbstractShareLink)

# A page view's ticket lets its images and live socket in even when that view was the
# last one allowed; it lasts long enough for a page left open, not for ever.
TICKET_SECONDS = 24 * 3600
_TICKET_SALT = "chat.sharing.view"
CLOSED = "No such share link."  # the same for revoked, expired and exhausted


def state(link: AbstractShareLink) -> access.LinkState:
    return access.LinkState(link.revoked_at, link.expires_at, link.view_limit, link.views)


# -- the public side ---------------------------------------------------------


def view_or_404(links: ShareLinkQuerySet[_Link], token: str) -> _Link:
    """The link behind `token` for a new page view, counted; a 404 when it is closed.

    The count is one UPDATE that also checks the limit, so two views at once can never
    both take a link's last view.
    """
    link = get_object_or_404(links.live(token))
    now = timezone.now()
    if access.decide(state(link), now) is not access.Verdict.OPEN:
        raise Http404(CLOSED)
    counted = (
        type(link)
        ._default_manager.filter(pk=link.pk, revoked_at__isnull=True)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        .filter(Q(view_limit__isnull=True) | Q(views__lt=F("view_limit")))
        .update(views=F("views") + 1, last_viewed_at=now)
    )
    if not counted:
        raise Http404(CLOSED)
    link.views += 1
    link.last_viewed_at = now
    return link


def within_view_or_404(links: ShareLinkQuerySet[_Link], token: str, ticket: str) -> _Link:
    """The link behind `token` for a request of a page view (an image, a copy), not
    counted; with the view's `ticket` it opens even if that view was the last."""
    link = opening(links, token, ticket)
    if link is None:
        raise Http404(CLOSED)
    return link


def opening(links: ShareLinkQuerySet[_Link], token: str, ticket: str) -> _Link | None:
    """The link behind `token` if it opens for a request of a page view, else None."""
    link = links.live(token).first()
    if link is None:
        return None
    verdict = access.decide(state(link), timezone.now(), within_view=is_ticket(token, ticket))
    return link if verdict is access.Verdict.OPEN else None


def ticket(token: str) -> str:
    """The ticket of one page view of the link behind `token` (its images carry it)."""
    return signing.TimestampSigner(salt=f"{_TICKET_SALT}:{token}").sign("v")


def is_ticket(token: str, ticket: str) -> bool:
    if not ticket:
        return False
    try:
        signing.TimestampSigner(salt=f"{_TICKET_SALT}:{token}").unsign(
            ticket, max_age=TICKET_SECONDS
        )
    except signing.BadSignature:
        return False
    return True


def ticket_of(request: HttpRequest) -> str:
    """The view ticket a request carries (`?view=`, or the form a copy page posts)."""
    return request.GET.get("view") or request.POST.get("view") or ""


# -- the owner's side --------------------------------------------------------


def revoke(
    request: AuthedRequest,
    links: ShareLinkQuerySet[_Link],
    token: str,
    fallback: Callable[[_Link], str],
) -> HttpResponse:
    """Ask first (GET); then stop the link at once (POST), restorable for UNDO_WINDOW
    from the page the form was on. Anyone else's link is a 404."""
    link = get_object_or_404(links.owned_by(request.user), token=token)
    back_to = _next(request) or fallback(link)
    if request.method == "GET":
        context = {"link": link, "next": back_to, "cancel": back_to}
        return render(request, "sharing/revoke_confirm.html", context)
    link.revoke()
    return redirect(_with_query(back_to, revoked=link.token))


def restore(
    request: AuthedRequest,
    links: ShareLinkQuerySet[_Link],
    token: str,
    fallback: Callable[[_Link], str],
) -> HttpResponse:
    """Undo a revoke made less than UNDO_WINDOW ago; later, or anyone else's, is a 404."""
    link = get_object_or_404(links.restorable(request.user), token=token)
    link.restore()
    flash.success(request, "Restored: the link opens again at the same URL.")
    return redirect(_next(request) or fallback(link))


def just_revoked(request: AuthedRequest, links: ShareLinkQuerySet[_Link]) -> _Link | None:
    """The link the page was sent back with (`?revoked=`), while Undo can bring it back."""
    token = request.GET.get("revoked")
    return links.restorable(request.user).filter(token=token).first() if token else None


def read_limits(
    request: AuthedRequest, *, default_expiry: str = "never"
) -> tuple[access.Limits, str]:
    return access.read_limits(request.POST, default_expiry=default_expiry)


def limits_fields(limits: access.Limits, now: datetime) -> dict[str, Any]:
    """The model fields a new link gets from the form's limits."""
    return {"expires_at": limits.expires_at(now), "view_limit": limits.view_limit}


def change_limits(
    request: AuthedRequest,
    links: ShareLinkQuerySet[_Link],
    token: str,
    fallback: Callable[[_Link], str],
    **more: object,
) -> HttpResponse:
    """Set an open link's expiry (from now, or kept) and view limit; the views so far
    stay counted. `more` are other fields the kind changes with them ("Live")."""
    link = get_object_or_404(links.owned_by(request.user).live(token))
    limits, problem = read_limits(request, default_expiry=access.KEEP)
    if problem:
        flash.error(request, problem)
        return back(request, fallback(link))
    link.expires_at = limits.expires_at(timezone.now(), link.expires_at)
    link.view_limit = limits.view_limit
    for name, value in more.items():
        setattr(link, name, value)
    stamps = [f.name for f in link._meta.concrete_fields if getattr(f, "auto_now", False)]
    link.save(update_fields=["expires_at", "view_limit", *more, *stamps])
    flash.success(request, "Saved: the link's expiry and view limit are as shown below.")
    return back(request, fallback(link))


def back(request: AuthedRequest, fallback: str) -> HttpResponse:
    """To the page the form was on (`next`, one of ours), else to `fallback`."""
    return redirect(_next(request) or fallback)


def _next(request: AuthedRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return ""


def _with_query(url: str, **extra: str) -> str:
    """`url` with `extra` in its query (any earlier `revoked` replaced), its fragment kept."""
    parts = urlsplit(url)
    kept = [pair for pair in parts.query.split("&") if pair and pair.split("=")[0] not in extra]
    query = "&".join([*kept, urlencode(extra)])
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))
