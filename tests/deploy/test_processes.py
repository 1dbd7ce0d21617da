"""The production setup of deploy/, for real: nginx (Debian's binary, the site of
deploy/nginx.conf) in front of two Daphne processes started with the flags of
deploy/daphne@.service, on PostgreSQL and Redis.

A person signs in through nginx like a browser, starts an answer on one process, and
watches it from a tab whose socket nginx gave to the other process; the tab reloads
while the answer streams, and the reloaded page shows the whole text exactly once.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import shlex
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass

import httpx
import pytest
import websockets
from asgiref.sync import sync_to_async
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import connection

from chat.models import Conversation, Message
from tests.nginx import SERVED_BY, Nginx
from tests.pages import PageText
from tests.servers import ROOT, Server, free_port
from tests.sockets import close_thread_connections, form, is_done  # noqa: F401 - fixture

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("close_thread_connections"),
]

WAIT = 60  # seconds: generous, a loaded machine starts servers slowly
UNIT = ROOT / "deploy" / "daphne@.service"
# Slow enough to still be streaming after a reload; the tab waits on frames, never time.
SLOW = "Tell me about tides [[sim:tps=10,reasoning=30,words=60]]"
TRIES = 8  # sockets opened through nginx to land on a given process (round robin: 2)


def unit_flags() -> list[str]:
    """Daphne's options in deploy/daphne@.service, but where it listens (-b, -p)."""
    text = UNIT.read_text().replace("\\\n", " ")
    command = shlex.split(re.search(r"^ExecStart=(.*)$", text, re.M)[1])
    flags = command[1:-1]  # without the daphne binary and the application
    for option in ("-b", "-p"):
        at = flags.index(option)
        del flags[at : at + 2]
    return flags


@pytest.fixture
def postgres_and_redis(redis_url) -> str:
    """Production's stores; on anything else the test skips, saying what it needs (CI's
    PostgreSQL run has both)."""
    if connection.vendor != "postgresql" or not os.environ.get("REDIS_URL"):
        pytest.skip(
            "the production setup runs on PostgreSQL and Redis: set DATABASE_URL=postgres://... "
            "and REDIS_URL=redis://..."
        )
    return redis_url


@dataclass
class Site:
    nginx: Nginx
    processes: list[Server]

    def port_of(self, served_by: str) -> int:
        return int(served_by.rsplit(":", 1)[1])


@pytest.fixture
def site(postgres_and_redis, tmp_path) -> Iterator[Site]:
    """nginx on a free loopback port in front of two Daphne processes of one site."""
    ports = [free_port(), free_port()]
    front = Nginx(tmp_path, ports, static_root=ROOT / "static")
    # The env of deploy/playground.env.example, for a site at nginx's origin.
    env = {
        "REDIS_URL": postgres_and_redis,
        "ALLOWED_HOSTS": "127.0.0.1",
        "CSRF_TRUSTED_ORIGINS": front.origin,
    }
    processes = [Server(port, flags=unit_flags(), **env) for port in ports]
    try:
        for process in processes:
            process.start()
        with front:
            yield Site(front, processes)
    finally:
        for process in processes:
            process.close()


async def sign_in(site: Site, user) -> str:
    """The session cookie, from the sign-in form posted through nginx like a browser.

    The servers check passwords with production's hasher, not the suite's fast one."""
    password = "pw-of-the-production-hasher"
    user.password = PBKDF2PasswordHasher().encode(password, PBKDF2PasswordHasher().salt())
    await user.asave(update_fields=["password"])
    username = user.get_username()
    url = f"{site.nginx.origin}/accounts/login/"
    async with httpx.AsyncClient(timeout=WAIT) as client:
        page = await client.get(url)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)[1]
        response = await client.post(
            url,
            data={"username": username, "password": password, "csrfmiddlewaretoken": token},
            headers={"Origin": site.nginx.origin, "Referer": url},
        )
        assert response.status_code == 302, response.text[:2000]
        return f"sessionid={client.cookies['sessionid']}"


@contextlib.asynccontextmanager
async def tab_socket(
    site: Site, cookie: str, pk: int, *, on: Callable[[int], bool] = lambda port: True
) -> AsyncIterator[tuple[websockets.ClientConnection, int]]:
    """A page's socket through nginx, on a process whose port `on` accepts (nginx
    takes turns, so a socket that lands elsewhere is closed and another opened); yields
    it with the port of the process serving it."""
    headers = {"Origin": site.nginx.origin, "Cookie": cookie}
    url = f"ws://127.0.0.1:{site.nginx.port}/ws/c/{pk}/"
    for _ in range(TRIES):
        async with websockets.connect(url, additional_headers=headers) as ws:
            port = site.port_of(ws.response.headers[SERVED_BY])
            if on(port):
                yield ws, port
                return
    raise AssertionError(f"nginx never sent a socket to the process wanted in {TRIES} tries")


async def read_until(ws: websockets.ClientConnection, page: PageText, done) -> None:
    async with asyncio.timeout(WAIT):
        while True:
            frame = str(await ws.recv())
            page.feed(frame)
            if done(frame):
                return


async def until(find: Callable[[], Message | None]) -> Message:
    """The database reaches a state another process writes; checked until it does."""
    deadline = time.monotonic() + WAIT
    while (found := await sync_to_async(find)()) is None:
        assert time.monotonic() < deadline, "the database never reached the state awaited"
        await asyncio.sleep(0.1)
    return found


def streaming_answer() -> Message | None:
    return Message.objects.filter(role="assistant", status="streaming").first()


async def test_static_files_are_served_by_nginx_and_pages_by_both_processes(site, alice):
    async with httpx.AsyncClient(timeout=WAIT) as client:
        static = await client.get(f"{site.nginx.origin}/static/vendor/htmx/htmx.min.js")
        assert static.status_code == 200 and static.headers["server"].startswith("nginx")
        assert SERVED_BY not in static.headers  # no process was asked
        served = set()
        for _ in range(4):
            page = await client.get(f"{site.nginx.origin}/accounts/login/")
            assert page.status_code == 200 and 'name="csrfmiddlewaretoken"' in page.text
            served.add(site.port_of(page.headers[SERVED_BY]))
    assert served == {process.port for process in site.processes}


async def test_an_answer_started_on_one_process_streams_on_the_other_across_a_reload(site, alice):
    cookie = await sign_in(site, alice)
    conversation = await Conversation.objects.acreate(owner=alice)
    async with tab_socket(site, cookie, conversation.pk) as (starter, a):
        await starter.send(json.dumps(form(SLOW)))
        message = await until(streaming_answer)

        async with tab_socket(site, cookie, conversation.pk, on=lambda p: p != a) as (tab, b):
            before_reload = PageText()
            await read_until(tab, before_reload, lambda _frame: before_reload.appended > 0)
        # The reload: the page comes again through nginx, then its new socket.
        async with httpx.AsyncClient(timeout=WAIT) as client:
            page = await client.get(
                f"{site.nginx.origin}/c/{conversation.pk}/", headers={"Cookie": cookie}
            )
        assert page.status_code == 200 and f'id="message-{message.pk}"' in page.text
        async with tab_socket(site, cookie, conversation.pk, on=lambda p: p == b) as (tab, _b):
            reloaded = PageText()
            await read_until(tab, reloaded, is_done)

    saved = await Message.objects.aget(pk=message.pk)
    assert saved.status == "complete" and saved.content and saved.reasoning
    # The reloaded page still streamed live, and shows every character exactly once: its
    # snapshot rendered up to some point (pages.PageText.covered), the raw text after it.
    reasoning, answer = ("reasoning", message.pk), ("answer", message.pk)
    assert reloaded.appended > 0
    assert reloaded.reasoning(message.pk) == saved.reasoning[reloaded.covered[reasoning] :]
    assert reloaded.answer(message.pk) == saved.content[reloaded.covered[answer] :]
    # The first tab saw the stream live too, a beginning of the same text.
    assert before_reload.reasoning(message.pk) or before_reload.answer(message.pk)
    shown_reasoning = saved.reasoning[before_reload.covered[reasoning] :]
    assert shown_reasoning.startswith(before_reload.reasoning(message.pk))
    assert saved.content[before_reload.covered[answer] :].startswith(
        before_reload.answer(message.pk)
    )
