"""Which upstream answers, and which models it offers."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from django.conf import settings
from django.core.cache import cache

from chat import params, upstream

log = logging.getLogger(__name__)

SIMULATOR_NAME = "Built-in simulator"
SIMULATOR_PATH = "/sim/v1"


@dataclass(frozen=True)
class Provider:
    name: str
    base_url: str
    is_simulator: bool
    api_key: str | None = field(default=None, repr=False)


def simulator_base(server: tuple[str, int | None] | list | None) -> str:
    """The simulator's URL on this very server, from the ASGI scope's `server`."""
    if not server or server[1] is None:
        host, port = "127.0.0.1", 8000
    else:
        host, port = server[0], server[1]
    if host in ("", "0.0.0.0"):  # noqa: S104 - a bind-all address, never used to listen here
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}{SIMULATOR_PATH}"


def configured(server: tuple[str, int | None] | list | None) -> Provider:
    """The server's provider: PLAYGROUND_API_BASE, or the simulator when it is unset."""
    base = settings.PLAYGROUND_API_BASE
    if not base:
        return Provider(SIMULATOR_NAME, simulator_base(server), is_simulator=True)
    return Provider(
        urlsplit(base).hostname or base,
        base,
        is_simulator=False,
        api_key=settings.PLAYGROUND_API_KEY or None,
    )


async def available_models(provider: Provider) -> list[str]:
    """The provider's /models, cached; the documented models when it cannot be read."""
    key = f"models:{provider.base_url}"
    models = await cache.aget(key)
    if models is None:
        try:
            models = await upstream.list_models(
                upstream.make_client(), provider.base_url, provider.api_key
            )
        except upstream.UpstreamFailure as failure:
            log.warning("model list unavailable from %s: %s", provider.name, failure.error.kind)
            return list(params.DEFAULT_MODELS)
        models = models or list(params.DEFAULT_MODELS)
        await cache.aset(key, models, settings.PLAYGROUND_MODELS_CACHE_SECONDS)
    return models


def for_conversation(conversation, server: tuple[str, int | None] | list | None) -> Provider:
    """The upstream a conversation talks to: the person's own provider when it has one,
    else the server's (PLAYGROUND_API_BASE, or the simulator)."""
    return configured(server)
