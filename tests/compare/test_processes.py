"""The compare cap holds across server processes: two Daphne processes sharing Redis
let one person stream PLAYGROUND_COMPARE_CONCURRENCY runs at once in all, not each."""

from __future__ import annotations

import asyncio
import itertools
import re
import time

import httpx
import pytest
from asgiref.sync import sync_to_async

from chat.models import ComparisonRun, Message
from tests.compare.test_runs import builder_data
from tests.servers import Server, site_on_redis
from tests.sockets import close_thread_connections  # noqa: F401 - fixture

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("close_thread_connections"),
]

WAIT = 120  # seconds: generous, six slow runs on a loaded machine
CAP = 2
# Each run streams for a while, so runs of both processes would overlap if they could.
SLOW = "[[sim:tps=20,reasoning=10,words=20]]"


async def run_comparison(process: Server, session: str, columns: int) -> None:
    """The builder's Run, posted to this process: its runs stream there."""
    url = f"{process.url}/compare/"
    async with httpx.AsyncClient(timeout=WAIT, cookies={"sessionid": session}) as client:
        page = await client.get(url)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)[1]
        data = builder_data(f"Tides? {SLOW}", [{"temperature": str(t)} for t in range(columns)])
        response = await client.post(url, data={**data, "csrfmiddlewaretoken": token})
    assert response.status_code == 302, response.text[:2000]


def _finished_runs(count: int) -> list[Message] | None:
    runs = ComparisonRun.objects.select_related("message")
    answers = [run.message for run in runs]
    done = [a for a in answers if a.status == "complete"]
    return done if len(done) == count else None


async def test_two_processes_stream_at_most_the_cap_of_one_persons_runs_in_all(
    alice_cookie, redis_url
):
    session = alice_cookie[1].decode().removeprefix("sessionid=")
    env = {"PLAYGROUND_COMPARE_CONCURRENCY": str(CAP)}
    with site_on_redis(redis_url, **env) as (first, second):
        await asyncio.gather(
            run_comparison(first, session, columns=3), run_comparison(second, session, columns=3)
        )
        deadline = time.monotonic() + WAIT
        while (answers := await sync_to_async(_finished_runs)(6)) is None:
            assert time.monotonic() < deadline, "the runs never all finished"
            await asyncio.sleep(0.2)

    # Never more than the cap streaming at once, over both processes, and the cap was used.
    events = sorted(
        [(a.sent_at, 1) for a in answers] + [(a.finished_at, -1) for a in answers],
        key=lambda event: (event[0], event[1]),
    )
    streaming = list(itertools.accumulate(step for _, step in events))
    assert max(streaming) == CAP
    assert all(a.content and a.reasoning for a in answers)
