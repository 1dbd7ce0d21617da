"""The per-person limits hold across server processes: two Daphne processes sharing
Redis count a person's starts and streaming answers once, wherever each started."""

from __future__ import annotations

import asyncio
import contextlib
import html
import json
import re
from collections.abc import AsyncIterator

import pytest
import websockets

from chat.models import Conversation
from tests.servers import Server, site_on_redis
from tests.sockets import close_thread_connections, form, is_done  # noqa: F401 - fixture

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("close_thread_connections"),
]

WAIT = 60  # seconds: generous, a loaded machine starts servers slowly
SLOW = "A long story [[sim:tps=5,reasoning=200]]"
STARTED = {"event": "streaming", "active": True}
ERROR = re.compile(r'hx-target="#error-prompt" hx-swap="innerHTML">([^<]+)</hx-partial>')


@contextlib.asynccontextmanager
async def page(process: Server, cookie: tuple[bytes, bytes], pk: int) -> AsyncIterator:
    headers = {"Origin": process.url, "Cookie": cookie[1].decode()}
    url = f"ws://127.0.0.1:{process.port}/ws/c/{pk}/"
    async with websockets.connect(url, additional_headers=headers) as ws:
        yield ws


async def start(ws, prompt: str) -> str | None:
    """Send a prompt; the refusal shown beside Send, or None once the answer started."""
    await ws.send(json.dumps(form(prompt)))
    async with asyncio.timeout(WAIT):
        while True:
            frame = str(await ws.recv())
            if found := ERROR.search(frame):
                return html.unescape(found[1])
            if frame.startswith("{") and json.loads(frame) == STARTED:
                return None


async def until_done(ws) -> None:
    async with asyncio.timeout(WAIT):
        while not is_done(str(await ws.recv())):
            pass


async def test_starts_on_two_processes_count_toward_one_minute(alice, alice_cookie, redis_url):
    env = {"PLAYGROUND_STARTS_PER_MINUTE": "2", "PLAYGROUND_CONCURRENT_GENERATIONS": "0"}
    conversations = [await Conversation.objects.acreate(owner=alice) for _ in range(3)]
    with site_on_redis(redis_url, **env) as (first, second):
        async with page(first, alice_cookie, conversations[0].pk) as ws:
            assert await start(ws, "One") is None
            await until_done(ws)
        async with page(second, alice_cookie, conversations[1].pk) as ws:
            assert await start(ws, "Two") is None
            await until_done(ws)
        async with page(first, alice_cookie, conversations[2].pk) as ws:
            refusal = await start(ws, "Three")
    assert refusal is not None
    assert refusal.startswith("You have started 2 answers in the last minute, the most allowed")


async def test_an_answer_streaming_on_one_process_counts_on_the_other(
    alice, alice_cookie, redis_url
):
    env = {"PLAYGROUND_STARTS_PER_MINUTE": "0", "PLAYGROUND_CONCURRENT_GENERATIONS": "1"}
    here, there = [await Conversation.objects.acreate(owner=alice) for _ in range(2)]
    with site_on_redis(redis_url, **env) as (first, second):
        async with page(first, alice_cookie, here.pk) as streaming:
            assert await start(streaming, SLOW) is None
            async with page(second, alice_cookie, there.pk) as ws:
                refusal = await start(ws, "Meanwhile")
            await streaming.send(json.dumps({"action": "stop"}))
            await until_done(streaming)
    assert refusal is not None
    assert refusal.startswith("You already have 1 answer streaming, the most allowed at once")
