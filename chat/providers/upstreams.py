"""Which upstream answers, and which models it offers."""

from __future__ import annotations

import asyncio
import logging
import threading
from dataclasses import dataclass, field
from typing import TypeAlias
from urllib.parse import urlsplit

import httpx
from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.cache import cache

from chat.api import failures, params, upstream
from chat.models import Conversation
from chat.models import Provider as ProviderRow
from chat.providers import netguard, pinning, secrets
from chat.simulator import access

log = logging.getLogger(__name__)

SIMULATOR_NAME = "Built-in simulator"
SIMULATOR_PATH = access.PREFIX + "/v1"
# The panel's Provider select: "" is the server's default, SIMULATOR_CHOICE the
# built-in simulator, and a number one of the person's own providers (by id).
DEFAULT_CHOICE = ""
SIMULATOR_CHOICE = "simulator"
NOT_YOURS = "That provider is not one of yours (or it was deleted): choose another."

# Where this server listens: chat.web.server_address(request), or an ASGI scope's
# "server" (Daphne gives [host, port]); None when unknown.
ServerAddress: TypeAlias = tuple[str, int | None] | list | None


@dataclass(frozen=True)
class Provider:
    name: str
    base_url: str
    is_simulator: bool
    api_key: str | None = field(default=None, repr=False)
    # A person's own provider: its models are its own list, and its host is checked
    # (chat.providers.netguard) before every request; the server's own upstreams are not.
    is_personal: bool = False
    model_ids: tuple[str, ...] = ()
    # Why it cannot be used at all (its key no longer decrypts); shown on the card.
    refusal: str | None = None

    @property
    def credential(self) -> str | None:
        """The key the upstream client sends: the provider's own, or for the built-in
        simulator this process's key, so that it can tell the app's calls from an
        outsider's (chat.simulator.access). Never shown: "view code" names a variable."""
        return access.APP_KEY if self.is_simulator else self.api_key


def simulator_base(server: ServerAddress) -> str:
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


def simulator(server: ServerAddress) -> Provider:
    """The built-in simulator, served by this very server (see simulator_base)."""
    return Provider(SIMULATOR_NAME, simulator_base(server), is_simulator=True)


def configured(server: ServerAddress) -> Provider:
    """The server's provider: PLAYGROUND_API_BASE, or the simulator when it is unset."""
    base = settings.PLAYGROUND_API_BASE
    if not base:
        return simulator(server)
    return Provider(
        urlsplit(base).hostname or base,
        base,
        is_simulator=False,
        api_key=settings.PLAYGROUND_API_KEY or None,
    )


async def available_models(provider: Provider) -> list[str]:
    """The provider's /models, cached; the documented models when it cannot be read.
    A person's provider offers the list kept with it (fetched on its page, editable)."""
    if provider.is_personal:
        return list(provider.model_ids) or list(params.DEFAULT_MODELS)
    key = f"models:{provider.base_url}"
    models = await cache.aget(key)
    if models is None:
        try:
            async with make_client(provider) as client:
                models = await upstream.list_models(client, provider.base_url, provider.credential)
        except failures.UpstreamFailure as failure:
            log.warning("model list unavailable from %s: %s", provider.name, failure.error.kind)
            return list(params.DEFAULT_MODELS)
        models = models or list(params.DEFAULT_MODELS)
        await cache.aset(key, models, settings.PLAYGROUND_MODELS_CACHE_SECONDS)
    return models


def models_at_once(provider: Provider) -> list[str]:
    """What a page's model select offers, without waiting for the upstream: the cached
    list, else the documented models while a background fetch fills the cache for the
    next page (an upstream that never answers must not hold every page for seconds)."""
    if provider.is_personal:
        return list(provider.model_ids) or list(params.DEFAULT_MODELS)
    models = cache.get(f"models:{provider.base_url}")
    if models is not None:
        return models
    with _FETCHING_LOCK:
        if provider.base_url in _FETCHING:
            return list(params.DEFAULT_MODELS)
        _FETCHING.add(provider.base_url)
    # A thread with its own event loop: a sync view's loop may be gone when it returns.
    threading.Thread(target=_fetch_models, args=(provider,), daemon=True).start()
    return list(params.DEFAULT_MODELS)


_FETCHING: set[str] = set()  # base URLs whose model list is being fetched
_FETCHING_LOCK = threading.Lock()


def _fetch_models(provider: Provider) -> None:
    try:
        asyncio.run(available_models(provider))
    except Exception:  # a background refresh: the next page simply tries again
        log.exception("fetching the model list of %s failed", provider.name)
    finally:
        with _FETCHING_LOCK:
            _FETCHING.discard(provider.base_url)


def for_conversation(conversation: Conversation, server: ServerAddress) -> Provider:
    """The upstream a conversation talks to: the person's own provider when it has one,
    else the simulator when chosen, else the server's (PLAYGROUND_API_BASE, or the simulator).

    Reads `conversation.provider`: async callers load it with select_related("provider").
    The simulator, when chosen over a configured server default, is recorded as
    conversation.settings["provider"] == "simulator" (Conversation.provider stays null).
    """
    own = conversation.provider if conversation.provider_id else None
    if own is not None and own.owner_id == conversation.owner_id:
        return personal(own)
    if (conversation.settings or {}).get("provider") == SIMULATOR_CHOICE:
        return simulator(server)
    return configured(server)


def personal(row: ProviderRow) -> Provider:
    """A person's provider with its key decrypted, for the server's use only."""
    api_key, refusal = None, None
    if row.api_key_encrypted:
        try:
            api_key = secrets.decrypt(row.api_key_encrypted)
        except secrets.Undecryptable:
            refusal = (
                f"The API key of the provider {row.name} cannot be decrypted (the server's "
                "encryption keys changed): enter it again on the Providers page."
            )
    return Provider(
        row.name,
        row.base_url,
        is_simulator=False,
        api_key=api_key,
        is_personal=True,
        model_ids=tuple(row.model_ids or ()),
        refusal=refusal,
    )


def is_guarded(provider: Provider) -> bool:
    """Whether requests to this provider connect only to addresses checked as they connect."""
    return provider.is_personal and not settings.PLAYGROUND_ALLOW_PRIVATE_UPSTREAMS


def make_client(provider: Provider) -> httpx.AsyncClient:
    """A client for this provider (the caller closes it)."""
    return make_guarded_client() if is_guarded(provider) else upstream.make_client()


def make_personal_client() -> httpx.AsyncClient:
    """A client for a person's provider (the caller closes it)."""
    if settings.PLAYGROUND_ALLOW_PRIVATE_UPSTREAMS:
        return upstream.make_client()
    return make_guarded_client()


def make_guarded_client(connections: int = upstream.CONNECTIONS) -> httpx.AsyncClient:
    """A client that connects only to public addresses, checked as it connects, so a
    name that resolves elsewhere the second time (DNS rebinding) cannot lead it inside."""
    transport = pinning.CheckedTransport(upstream.limits(connections))
    return upstream.make_client(transport, connections)


async def refusal(provider: Provider) -> str | None:
    """Why a request must not go to this provider, checked just before it would: a
    person's provider whose host (resolved now, not when it was saved) is not public."""
    if provider.refusal or not provider.is_personal:
        return provider.refusal
    try:
        await netguard.acheck_base_url(
            provider.base_url, allow_private=settings.PLAYGROUND_ALLOW_PRIVATE_UPSTREAMS
        )
    except netguard.Refused as refused:
        return f"Not sent to the provider {provider.name}: {refused}"
    return None


def options(owner, server: ServerAddress) -> list[tuple[str, str]]:
    """The Provider select: (value, label) for the server's default, the simulator when
    that is not the default, and each of the person's own providers."""
    default = configured(server)
    choices = [(DEFAULT_CHOICE, default.name)]
    if not default.is_simulator:
        choices.append((SIMULATOR_CHOICE, SIMULATOR_NAME))
    choices += [(str(row.pk), row.name) for row in ProviderRow.objects.filter(owner_id=owner.pk)]
    return choices


def choice_of(conversation: Conversation) -> str:
    """The select's value for what a conversation uses now."""
    if conversation.provider_id:
        return str(conversation.provider_id)
    if (conversation.settings or {}).get("provider") == SIMULATOR_CHOICE:
        return SIMULATOR_CHOICE
    return DEFAULT_CHOICE


def chosen(owner, choice: str) -> tuple[ProviderRow | None, str | None]:
    """The person's provider a (well-formed) choice names, and a message when it names
    someone else's or one that is gone: (row, None), (None, None) or (None, NOT_YOURS)."""
    if not choice.isdigit():
        return None, None
    row = ProviderRow.objects.filter(owner_id=owner.pk, pk=int(choice)).first()
    return (row, None) if row is not None else (None, NOT_YOURS)


achosen = sync_to_async(chosen)


def for_choice(owner, choice: str, server: ServerAddress) -> Provider:
    """The upstream a Provider-select value names for `owner` ("" is the server's default,
    "simulator", or one of the owner's own provider ids; anything else: the default)."""
    if choice == SIMULATOR_CHOICE:
        return simulator(server)
    row, _ = chosen(owner, choice)
    return personal(row) if row is not None else configured(server)
