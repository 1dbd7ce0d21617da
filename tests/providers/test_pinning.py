"""DNS rebinding: a name checked as public and then resolved again to an inside address
never gets a connection (chat/providers/pinning.py).

The inside is a real server on 127.0.0.1 that records every request it gets; the name
is resolved by a resolver that answers a public address the first time and 127.0.0.1
after, as a rebinding DNS server does.
"""

from __future__ import annotations

import asyncio
import socket
from collections import Counter
from collections.abc import AsyncIterator

import pytest
from asgiref.sync import sync_to_async
from django.test import Client
from django.urls import reverse

from chat.api import upstream
from chat.api.failures import UpstreamFailure
from chat.models import Message, Provider
from chat.providers import netguard, pinning, secrets
from tests.api.canned import CannedServer
from tests.sockets import connect, form, frames_until, is_done, recorded

PUBLIC = "93.184.215.14"
NAME = "rebind.example"
KEY = "sk-rebind-Zq8wX2cV5bN7"


def rebinding_resolver(inside: str = "127.0.0.1"):
    """getaddrinfo for NAME: public the first time, `inside` every time after."""
    lookups: Counter[str] = Counter()

    def resolve(host, port, *args, **kwargs):
        host = host.decode() if isinstance(host, bytes) else host
        lookups[host] += 1
        address = PUBLIC if lookups[host] == 1 else inside
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, int(port or 0)))]

    return resolve


@pytest.fixture
async def inside() -> AsyncIterator[CannedServer]:
    """A server on the inside that must never be reached: it records what it gets."""
    canned = CannedServer()
    listener = await asyncio.start_server(canned.handle, "127.0.0.1", 0)
    canned.port = listener.sockets[0].getsockname()[1]
    async with listener:
        yield canned
        listener.close()


async def test_a_name_that_turns_private_on_the_second_lookup_is_never_connected_to(inside):
    resolve = rebinding_resolver()
    base_url = f"http://{NAME}:{inside.port}/v1"
    netguard.check_base_url(base_url, resolve=resolve)  # the check sees the public answer
    transport = pinning.CheckedTransport(upstream.limits(), resolve=resolve)
    async with upstream.make_client(transport) as client:
        with pytest.raises(UpstreamFailure) as failure:
            await upstream.list_models(client, base_url, KEY)
    assert failure.value.error.kind == "connection"
    assert f"The host {NAME} is a private, local or reserved address (127.0.0.1)" in str(
        failure.value
    )
    assert inside.requests == []


@pytest.mark.parametrize("address", ["169.254.169.254", "::ffff:127.0.0.1", "10.0.0.1"])
async def test_every_inside_answer_is_refused_as_the_connection_opens(inside, address):
    resolve = rebinding_resolver(inside=address)
    resolve(NAME, 80)  # the public answer went to the check
    transport = pinning.CheckedTransport(upstream.limits(), resolve=resolve)
    async with upstream.make_client(transport) as client:
        events = [
            event
            async for event in upstream.stream_chat(
                client, f"http://{NAME}:{inside.port}/v1", KEY, {"stream": True}
            )
        ]
    assert len(events) == 1 and events[0].kind == "connection"
    assert "private, local or reserved" in events[0].message
    assert inside.requests == []


async def test_an_address_typed_as_the_host_is_checked_as_well(inside):
    transport = pinning.CheckedTransport(upstream.limits())
    async with upstream.make_client(transport) as client:
        with pytest.raises(UpstreamFailure) as failure:
            await upstream.list_models(client, f"http://127.0.0.1:{inside.port}/v1", KEY)
    assert "private, local or reserved" in str(failure.value)
    assert inside.requests == []


# --- through the pages and the socket ------------------------------------------------------


@pytest.fixture
def rebinding_dns(monkeypatch):
    """The system resolver, with NAME served by a rebinding DNS server: the only stand-in
    here is the DNS answer itself (every other name resolves as usual)."""
    real, rebinding = socket.getaddrinfo, rebinding_resolver()

    def getaddrinfo(host, *args, **kwargs):
        name = host.decode() if isinstance(host, bytes) else host
        return rebinding(host, *args, **kwargs) if name == NAME else real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


@pytest.fixture
def guarded(settings):
    settings.PLAYGROUND_ALLOW_PRIVATE_UPSTREAMS = False


def _inside_url(simulator_url: str) -> str:
    """The simulator (on 127.0.0.1) under the rebinding name."""
    return simulator_url.replace("127.0.0.1", NAME)


@pytest.mark.django_db
@pytest.mark.usefixtures("guarded", "rebinding_dns")
def test_adding_a_provider_whose_name_rebinds_fetches_nothing_from_inside(
    alice, upstream_is_simulator
):
    client = Client()
    client.force_login(alice)
    data = {"name": "Rebind", "base_url": _inside_url(upstream_is_simulator), "api_key": KEY}
    response = client.post(reverse("chat-providers"), {**data, "models": ""}, follow=True)
    page = response.content.decode()
    assert "The model list could not be fetched" in page
    assert "private, local or reserved address (127.0.0.1)" in page
    assert recorded(upstream_is_simulator) == []


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("close_thread_connections", "guarded", "rebinding_dns")
async def test_a_generation_to_a_name_that_rebinds_never_reaches_inside(
    alice, alice_cookie, conversation, upstream_is_simulator
):
    row = await Provider.objects.acreate(
        owner=alice,
        name="Rebind",
        base_url=_inside_url(upstream_is_simulator),
        api_key_encrypted=secrets.encrypt(KEY),
        api_key_last4=secrets.last4(KEY),
    )
    ws = await connect(alice_cookie, conversation.pk)
    await ws.send_json_to(form("Hello", provider=str(row.pk)))
    await frames_until(ws, is_done)
    await ws.disconnect()
    answer = await Message.objects.aget(conversation=conversation, role="assistant")
    assert answer.status == "error"
    assert "private, local or reserved address (127.0.0.1)" in answer.error
    assert await sync_to_async(recorded)(upstream_is_simulator) == []
