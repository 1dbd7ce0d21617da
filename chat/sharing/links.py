"""What the owner's side of every kind of share link does the same way: revoking one,
and going back to the page the form was on."""

from __future__ import annotations

from typing import TypeVar

from django.contrib import messages as flash
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.http import url_has_allowed_host_and_scheme

from chat.models.sharing import AbstractShareLink, ShareLinkQuerySet
from chat.web import AuthedRequest

_Link = TypeVar("_Link", bound=AbstractShareLink)


def revoke(request: AuthedRequest, links: ShareLinkQuerySet[_Link], token: str) -> _Link:
    """Revoke the person's link behind `token` (anyone else's is a 404), and say so."""
    link = get_object_or_404(links.owned_by(request.user), token=token)
    link.revoke()
    flash.success(request, "Revoked: the link no longer opens.")
    return link


def back(request: AuthedRequest, fallback: str) -> HttpResponse:
    """To the page the form was on (`next`, one of ours), else to `fallback`."""
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect(fallback)
