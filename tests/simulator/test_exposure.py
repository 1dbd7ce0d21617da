"""The simulator mounted in the app: who may use it, what it may be asked, and that
writing a long answer never holds up the server's other requests."""

from __future__ import annotations

import asyncio
import contextlib
import time

import httpx
import pytest
from channels.testing import WebsocketCommunicator
from django.db import connections

from chat.api import upstream
from chat.api.events import ContentDelta, Finish
from chat.models import Message
from chat.providers import upstreams
from chat.simulator.options import MAX_MARKER_TOKENS
from playground.asgi import application
from tests import conftest
from tests.simulator.client import ask, post
from tests.sockets import ORIGIN, form, frames_until, is_done

# A production-configured app: its upstream is a real API, not the simulator.
PRODUCTION_BASE = "https://api.example.invalid/v1"
OUTSIDER = ("203.0.113.7", 51000)  # a public address (TEST-NET-3)
COMPLETIONS = "/sim/v1/chat/completions"
HUGE = f"A long story [[sim:reasoning={MAX_MARKER_TOKENS},words={MAX_MARKER_TOKENS}]]"


def _production_application():
    # Runs in the forked server, which then reads this on every request.
    from django.conf import settings

    settings.PLAYGROUND_API_BASE = PRODUCTION_BASE
    return conftest._playground_application()


@pytest.fixture(scope="module")
def production_url(django_db_setup, django_db_blocker):
    """The whole app, configured with a real PLAYGROUND_API_BASE, on a real port."""
    with django_db_blocker.unblock():
        connections.close_all()
        with conftest._daphne(_production_application, "the production app") as port:
            yield f"http://127.0.0.1:{port}"


@pytest.fixture
def production_settings(settings):
    settings.PLAYGROUND_API_BASE = PRODUCTION_BASE
    return settings


def _outsider_client() -> httpx.AsyncClient:
    """A client reaching the app (in this process) from a public address."""
    transport = httpx.ASGITransport(app=application, client=OUTSIDER)
    return httpx.AsyncClient(transport=transport, base_url="https://playground.example")


async def test_a_proxied_outsider_gets_404_from_a_production_app(production_url) -> None:
    # Behind a proxy on the same machine every request comes from loopback: the
    # forwarding header is what tells an outsider's.
    proxied = {"X-Forwarded-For": OUTSIDER[0]}
    async with httpx.AsyncClient(base_url=production_url, timeout=30) as client:
        completion = await client.post(COMPLETIONS, json=ask("Hi"), headers=proxied)
        models = await client.get("/sim/v1/models", headers=proxied)
        direct = await client.get("/sim/v1/models")
    assert completion.status_code == 404
    assert models.status_code == 404
    assert direct.status_code == 200  # on the machine itself, not proxied: a developer


@pytest.mark.usefixtures("production_settings")
async def test_an_anonymous_outsider_gets_404_and_the_app_itself_is_answered() -> None:
    async with _outsider_client() as client:
        anonymous = await client.post(COMPLETIONS, json=ask("Hi"))
        guessed = await client.post(
            COMPLETIONS, json=ask("Hi"), headers={"Authorization": "Bearer sk-guess"}
        )
        # The app's own upstream client, as a conversation that chose the simulator
        # calls it (the server address is where the simulator is reached).
        provider = upstreams.simulator(("playground.example", 443))
        events = [
            event
            async for event in upstream.stream_chat(
                client,
                "https://playground.example/sim/v1",
                provider.credential,
                {**ask("Hi [[sim:words=5]]"), "stream": True},
            )
        ]
    assert anonymous.status_code == 404
    assert guessed.status_code == 404
    assert "No route" in anonymous.json()["error"]["message"]
    assert any(isinstance(event, ContentDelta) for event in events)
    assert isinstance(events[-1], Finish)
    assert provider.api_key is None  # the operator's key is not what it sends


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("production_settings", "close_thread_connections")
async def test_a_conversation_on_a_production_app_streams_from_its_simulator(
    production_url, alice_cookie, conversation
) -> None:
    conversation.settings = {"provider": "simulator"}
    await conversation.asave()
    communicator = WebsocketCommunicator(
        application, f"/ws/c/{conversation.pk}/", [ORIGIN, alice_cookie]
    )
    # The server this socket reached: the production app's, where its simulator is.
    port = int(production_url.rsplit(":", 1)[1])
    communicator.scope["server"] = ["127.0.0.1", port]
    connected, _ = await communicator.connect()
    assert connected
    await communicator.send_json_to(form("Hi [[sim:words=5]]", provider="simulator"))
    await frames_until(communicator, is_done)
    await communicator.disconnect()
    answer = await Message.objects.aget(conversation=conversation, role="assistant")
    assert answer.status == "complete"
    assert answer.content


@pytest.mark.parametrize(
    ("marker", "cap"),
    [
        ("words=20000", "0 to 8000"),
        ("reasoning=100000", "0 to 8000"),
        ("tps=0.01", "1 to 10000"),
        ("delay=3600", "0 to 600"),
        ("fault=slow-start:3600", "0 to 600"),
    ],
)
async def test_an_oversized_marker_gets_a_400_naming_the_cap(
    simulator_url: str, marker: str, cap: str
) -> None:
    response = await post(simulator_url, ask(f"Hi [[sim:{marker}]]"))
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["param"] == "messages"
    assert marker in error["message"] and cap in error["message"]


async def test_an_oversized_header_option_gets_a_400_naming_the_cap(simulator_url: str) -> None:
    response = await post(simulator_url, ask("Hi"), headers={"X-Sim-Options": "words=9000"})
    assert response.status_code == 400
    assert response.json()["error"]["param"] == "X-Sim-Options"
    assert "0 to 8000" in response.json()["error"]["message"]


async def _recorded_prompts(client: httpx.AsyncClient) -> list[str]:
    bodies = (await client.get("/_sim/requests")).json()
    return [b["messages"][-1]["content"] for b in bodies if isinstance(b, dict)]


async def test_another_request_is_answered_while_a_huge_completion_is_written(
    simulator_url: str,
) -> None:
    huge = {**ask(HUGE), "n": 5, "temperature": 1, "stream": True}
    started = asyncio.Event()

    async def ask_for_the_huge_one(client: httpx.AsyncClient) -> None:
        async with client.stream("POST", "/v1/chat/completions", json=huge) as response:
            started.set()  # the response began: the completion has been written
            async for _ in response.aiter_bytes():
                pass

    root = simulator_url.removesuffix("/v1")
    async with httpx.AsyncClient(base_url=root, timeout=60) as client:
        await client.delete("/_sim/requests")
        request = asyncio.create_task(ask_for_the_huge_one(client))
        try:
            # Once the simulator has read the request it writes the answer; were that
            # done on the event loop, nothing else would be served until it was done.
            deadline = time.monotonic() + 30
            while HUGE not in await _recorded_prompts(client):
                assert time.monotonic() < deadline, "the simulator never got the request"
            models = await client.get("/v1/models")
            assert models.status_code == 200
            assert not started.is_set()
        finally:
            request.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await request
