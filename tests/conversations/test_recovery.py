"""A server killed mid-stream (kill -9) or stopped (SIGTERM): no answer stays streaming.

Real `daphne` processes on the test database; the simulator each serves answers slowly
([[sim:tps=5]]), so the stream is surely running when the process dies.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator, Callable

import httpx
import pytest
import websockets
from asgiref.sync import sync_to_async

from chat.conversations.generation import INTERRUPTED_ERROR
from chat.models import Message
from tests.servers import Server, server
from tests.sockets import close_thread_connections, form  # noqa: F401 - fixture

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("close_thread_connections"),
]

WAIT = 60  # seconds: generous, a loaded machine starts servers slowly
SLOW = "Tell me a story [[sim:tps=5]]"


@contextlib.asynccontextmanager
async def _socket(
    running: Server, cookie: tuple[bytes, bytes], pk: int
) -> AsyncIterator[websockets.ClientConnection]:
    # The page's own origin: the server accepts sockets only from its own pages.
    headers = {"Origin": f"http://127.0.0.1:{running.port}", "Cookie": cookie[1].decode()}
    url = f"ws://127.0.0.1:{running.port}/ws/c/{pk}/"
    async with websockets.connect(url, additional_headers=headers) as ws:
        yield ws


async def _frame_with(ws: websockets.ClientConnection, text: str) -> str:
    seen: list[str] = []
    try:
        async with asyncio.timeout(WAIT):
            while True:
                frame = str(await ws.recv())
                if text in frame:
                    return frame
                seen.append(frame[:300])
    except TimeoutError:
        # What did come, to tell a lost event from a page that was told otherwise.
        raise AssertionError(f"no frame with {text!r} in {WAIT} s; frames: {seen}") from None


async def _until(find: Callable[[], Message | None]) -> Message:
    """The database reaches a state another process writes; checked until it does."""
    deadline = time.monotonic() + WAIT
    while (found := await sync_to_async(find)()) is None:
        assert time.monotonic() < deadline, "the database never reached the state awaited"
        await asyncio.sleep(0.1)
    return found


async def _get(url: str, cookie: tuple[bytes, bytes] | None = None) -> httpx.Response:
    headers = {"Cookie": cookie[1].decode()} if cookie else {}
    async with httpx.AsyncClient(timeout=WAIT) as client:
        return await client.get(url, headers=headers)


def _saved_reasoning() -> Message | None:
    return Message.objects.filter(role="assistant").exclude(reasoning="").first()


def _interrupted() -> Message | None:
    return Message.objects.filter(role="assistant", status="interrupted").first()


async def test_a_server_killed_mid_stream_is_interrupted_with_what_was_saved_on_restart(
    alice_cookie, conversation
):
    with server() as first:
        async with _socket(first, alice_cookie, conversation.pk) as ws:
            await ws.send(json.dumps(form(SLOW)))
            await _until(_saved_reasoning)
        first.kill()
    left = await Message.objects.aget(role="assistant")
    assert left.status == "streaming"  # nobody ended it: its process is gone

    with server() as second:
        # Its first request starts its watch, which looks at once.
        await _get(f"{second.url}/accounts/login/")
        message = await _until(_interrupted)
        assert message.reasoning == left.reasoning and message.content == left.content
        assert message.error == INTERRUPTED_ERROR
        page = await _get(f"{second.url}/c/{conversation.pk}/", alice_cookie)
    assert page.status_code == 200
    assert f'id="message-{message.pk}" class="message assistant" data-status="interrupted"' in (
        page.text
    )
    assert f'value="continue:{message.pk}"' in page.text
    assert f'value="rerun:{message.pk}"' in page.text


async def test_an_open_socket_learns_when_the_streaming_server_dies(alice_cookie, conversation):
    with server(PLAYGROUND_HEARTBEAT_SECONDS="0.5") as watcher, server() as first:
        await _get(f"{watcher.url}/accounts/login/")  # starts its watch
        async with _socket(watcher, alice_cookie, conversation.pk) as tab:
            async with _socket(first, alice_cookie, conversation.pk) as ws:
                await ws.send(json.dumps(form(SLOW)))
                await _until(_saved_reasoning)
            first.kill()
            # The tab sends nothing: the watch finds the orphan and tells it.
            frame = await _frame_with(tab, 'data-status="interrupted"')
    message = await Message.objects.aget(role="assistant")
    assert message.status == "interrupted" and message.reasoning
    assert f'value="continue:{message.pk}"' in frame


async def test_sigterm_saves_every_running_generation_first(alice_cookie, conversation):
    with server() as first:
        async with _socket(first, alice_cookie, conversation.pk) as ws:
            await ws.send(json.dumps(form(SLOW)))
            await _frame_with(ws, '{"r')
            first.terminate()
    message = await Message.objects.aget(role="assistant")
    assert message.status == "interrupted"
    assert message.reasoning and message.error == INTERRUPTED_ERROR
