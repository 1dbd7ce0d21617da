"""Shared pieces of the websocket tests: people, their sockets, and frames awaited."""

from __future__ import annotations

import asyncio
import json
import time

import httpx
import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import connections
from django.test import Client

from chat.conversations import generation
from chat.models import Conversation
from playground.asgi import application

ORIGIN = (b"origin", b"http://127.0.0.1")
FRAME_TIMEOUT = 10


@pytest.fixture
def conversation(alice):
    return Conversation.objects.create(owner=alice)


@pytest.fixture
async def close_thread_connections():
    """The async ORM's worker thread keeps a connection; close it so test databases can go."""
    yield
    await sync_to_async(connections.close_all)()


@pytest.fixture
def upstream_is_simulator(settings, simulator_url):
    settings.PLAYGROUND_API_BASE = simulator_url
    httpx.delete(simulator_url.removesuffix("/v1") + "/_sim/requests")
    return simulator_url


def cookie_for(user) -> tuple[bytes, bytes]:
    client = Client()
    client.force_login(user)
    return (b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode())


@pytest.fixture
def alice_cookie(alice):
    return cookie_for(alice)


@pytest.fixture
def bob_cookie(bob):
    return cookie_for(bob)


async def connect(cookie, conversation_id) -> WebsocketCommunicator:
    headers = [ORIGIN, cookie]
    communicator = WebsocketCommunicator(application, f"/ws/c/{conversation_id}/", headers)
    connected, _ = await communicator.connect()
    assert connected
    return communicator


def form(prompt: str, **fields) -> dict:
    return {
        "action": "send",
        "prompt": prompt,
        "model": "kimi-k2-thinking",
        "stream": "true",
        **fields,
    }


async def frames_until(communicator, predicate) -> list[str]:
    """Collect text frames until one satisfies predicate (an event awaited, never a sleep)."""
    frames = []
    deadline = time.monotonic() + FRAME_TIMEOUT
    while True:
        frame = await communicator.receive_from(timeout=max(deadline - time.monotonic(), 0.01))
        frames.append(frame)
        if predicate(frame):
            return frames


def deltas(frame: str) -> dict[str, str]:
    """A delta frame's texts by pane ({"r17": reasoning, "a17": answer}), or {} for any
    other frame (HTML, or a data-only event)."""
    if not frame.startswith(('{"a', '{"r')):
        return {}
    return json.loads(frame)


def is_delta(frame: str) -> bool:
    return bool(deltas(frame))


def appended(frames: list[str], pane: str) -> str:
    """What the delta frames appended to one pane ("a17": message 17's answer)."""
    return "".join(deltas(frame).get(pane, "") for frame in frames)


def is_done(frame: str) -> bool:
    return frame.startswith("{") and json.loads(frame) == {"event": "streaming", "active": False}


async def wait_generations():
    await asyncio.gather(*generation.RUNNING)


def recorded(simulator_url) -> list[dict]:
    return httpx.get(simulator_url.removesuffix("/v1") + "/_sim/requests").json()
