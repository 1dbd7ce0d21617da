"""Request helpers every feature's views share: what the request asks for, and who serves it."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import wraps
from typing import TYPE_CHECKING, ParamSpec, Protocol, TypeVar

from django.http import HttpRequest, HttpResponse

if TYPE_CHECKING:
    # For the annotation only: at run time this module needs no app to be loaded.
    from django.contrib.auth.models import User

# Pages anyone with a link may read: kept out of search engines, referrers and caches.
PUBLIC_HEADERS = {
    "X-Robots-Tag": "noindex, nofollow",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}

_Params = ParamSpec("_Params")


class _Addressable(Protocol):
    def get_absolute_url(self) -> str: ...


_Item = TypeVar("_Item", bound=_Addressable)


class AuthedRequest(HttpRequest):
    """The request a login_required view gets: its user is signed in, never anonymous.

    For type checking only: annotate such a view's request with it, Django passes an
    ordinary request.
    """

    user: User


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


def with_absolute_urls(request: HttpRequest, items: Iterable[_Item]) -> list[tuple[_Item, str]]:
    """Each item with its full URL (scheme and host too), as a person copies it to send on."""
    return [(item, request.build_absolute_uri(item.get_absolute_url())) for item in items]


def public_page(view: Callable[_Params, HttpResponse]) -> Callable[_Params, HttpResponse]:
    """A page shown to anyone holding its link: sent with PUBLIC_HEADERS."""

    @wraps(view)
    def wrapper(*args: _Params.args, **kwargs: _Params.kwargs) -> HttpResponse:
        response = view(*args, **kwargs)
        for name, value in PUBLIC_HEADERS.items():
            response.headers[name] = value
        return response

    return wrapper
