"""The ASGI stack: HTTP (the simulator under /sim/, then Django) and websockets."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, cast

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "playground.settings")

from django.core.asgi import get_asgi_application

django_application = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.conf import settings  # noqa: E402

from chat.conversations import recovery  # noqa: E402
from chat.routing import websocket_urlpatterns  # noqa: E402
from chat.simulator import access  # noqa: E402
from chat.simulator import app as simulator  # noqa: E402
from chat.simulator.asgi import Receive, Send  # noqa: E402
from playground.origins import SiteOriginValidator  # noqa: E402

if TYPE_CHECKING:
    from channels.routing import _ExtendedURLPattern

SIMULATOR_PREFIX = access.PREFIX

simulator_application = simulator.make_app(
    prefix=SIMULATOR_PREFIX,
    tokens_per_second=settings.PLAYGROUND_SIM_TOKENS_PER_SECOND,
    first_token_delay=settings.PLAYGROUND_SIM_FIRST_TOKEN_DELAY,
    record=settings.PLAYGROUND_SIM_RECORD,
    # Public only while it is the server's upstream; else for the app and loopback.
    gate=access.Gate(access.APP_KEY, public=lambda: not settings.PLAYGROUND_API_BASE),
)


async def http_application(scope: dict[str, Any], receive: Receive, send: Send) -> None:
    # Daphne has no startup hook (no ASGI lifespan): a process's first request starts
    # its watch for generations whose server died, and its save-before-stopping.
    recovery.ensure_started()
    if scope["path"].startswith(SIMULATOR_PREFIX + "/"):
        return await simulator_application(scope, receive, send)
    return await django_application(scope, receive, send)


def watching(app: Any) -> Any:
    """A process that only ever receives websockets (a tab reconnecting to a restarted
    server) must watch for dead generations too, not only one that serves HTTP."""

    async def application(scope: dict[str, Any], receive: Receive, send: Send) -> None:
        if recovery.served_by_daphne():  # in-process socket tests have no server to watch
            recovery.ensure_started()
        return await app(scope, receive, send)

    return application


application = ProtocolTypeRouter(
    {
        "http": http_application,
        "websocket": watching(
            SiteOriginValidator(
                # channels' stubs type routes as their own URL-pattern subclass (one whose
                # callback is an ASGI app), which django.urls.path() is not typed to return.
                AuthMiddlewareStack(
                    URLRouter(cast("list[_ExtendedURLPattern | URLRouter]", websocket_urlpatterns))
                )
            )
        ),
    }
)
