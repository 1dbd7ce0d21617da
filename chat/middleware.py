"""Headers every response gets: a strict Content-Security-Policy, and no caching of a
signed-in person's pages."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from asgiref.sync import iscoroutinefunction
from django.http import HttpRequest, HttpResponseBase
from django.utils.cache import patch_cache_control
from django.utils.decorators import sync_and_async_middleware

POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        # Rendered model output never loads remote images; data: is for our own icons.
        "img-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


@sync_and_async_middleware
def content_security_policy(get_response):
    if iscoroutinefunction(get_response):

        async def middleware(request):
            response = await get_response(request)
            response.headers.setdefault("Content-Security-Policy", POLICY)
            return response

    else:

        def middleware(request):
            response = get_response(request)
            response.headers.setdefault("Content-Security-Policy", POLICY)
            return response

    return middleware


# The next handler: a response, or under ASGI an awaitable of one.
_Handler = Callable[[HttpRequest], Any]


@sync_and_async_middleware
def private_pages_not_stored(get_response: _Handler) -> _Handler:
    """A signed-in person's pages hold their prompts, answers and settings: no cache
    (a shared proxy, the browser's disk or its back/forward cache) may keep a copy
    for whoever uses the machine or the proxy next, even after they sign out."""
    if iscoroutinefunction(get_response):

        async def not_stored_async(request: HttpRequest) -> HttpResponseBase:
            response: HttpResponseBase = await get_response(request)
            if (await request.auser()).is_authenticated:
                _not_stored(response)
            return response

        return not_stored_async

    def not_stored(request: HttpRequest) -> HttpResponseBase:
        response: HttpResponseBase = get_response(request)
        if request.user.is_authenticated:
            _not_stored(response)
        return response

    return not_stored


def _not_stored(response: HttpResponseBase) -> None:
    # patch_cache_control drops a conflicting "public" and keeps what else a view set.
    patch_cache_control(response, no_store=True, private=True)
