"""Request helpers every feature's views share: what the request asks for, and who serves it."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TypeVar

from django.http import HttpRequest, HttpResponse

# Pages anyone with a link may read: kept out of search engines, referrers and caches.
PUBLIC_HEADERS = {
    "X-Robots-Tag": "noindex, nofollow",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}

View = TypeVar("View", bound=Callable[..., HttpResponse])


def is_htmx(request: HttpRequest) -> bool:
    """An htmx request that wants a fragment; restoring history asks for the whole page
    (`HX-Request-Type: full`, or htmx 2's history-restore header)."""
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-Request-Type") != "full"
        and "HX-History-Restore-Request" not in request.headers
    )


def server_address(request: HttpRequest) -> tuple[str, int | None]:
    """Where this server listens, as the request reached it (the simulator is served here)."""
    try:
        port = int(request.META.get("SERVER_PORT") or 0) or None
    except ValueError:
        port = None
    return (request.META.get("SERVER_NAME", "127.0.0.1"), port)


def public_page(view: View) -> View:
    """A page shown to anyone holding its link: sent with PUBLIC_HEADERS."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        response = view(request, *args, **kwargs)
        for name, value in PUBLIC_HEADERS.items():
            response.headers[name] = value
        return response

    return wrapper  # type: ignore[return-value]
