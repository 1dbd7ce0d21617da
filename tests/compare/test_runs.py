"""Compare mode end to end: the builder's Run, the runs streaming over the comparison's
socket against the simulator on a real port, the cap, stops, refusals, and ownership."""

from __future__ import annotations

import asyncio
import itertools
import json
import re

import pytest
from channels.testing import WebsocketCommunicator
from django.test import AsyncClient
from django.urls import URLPattern, reverse

from chat.api.tools import EXAMPLES
from chat.compare import results, runs, urls
from chat.compare.metrics import run_metrics
from chat.conversations import generation
from chat.models import Comparison, ComparisonRun, Message
from chat.providers.upstreams import Provider
from chat.sharing import urls as sharing_urls
from playground.asgi import application
from tests.sockets import FRAME_TIMEOUT, ORIGIN, appended, recorded

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("upstream_is_simulator", "close_thread_connections"),
]

# Slow enough that four runs visibly overlap, short enough to keep the suite fast.
SLOW = "[[sim:tps=40,reasoning=12,words=20]]"
TEMPERATURES = ["0", "0.5", "1", "1.5"]


def builder_data(prompt: str, columns: list[dict], repeats: int = 1, **extra) -> dict:
    """The builder form as the page posts it."""
    data = {
        "message-0-role": "user",
        "message-0-content": prompt,
        "repeats": str(repeats),
        "action": "run",
    }
    for index, fields in enumerate(columns):
        for name, value in {"model": "kimi-k2-thinking", "stream": "true", **fields}.items():
            data[f"column-{index}-{name}"] = value
    return {**data, **extra}


@pytest.fixture
async def alice_async(alice) -> AsyncClient:
    """Alice's browser, in this test's event loop: what her Run starts runs here."""
    client = AsyncClient()
    await client.aforce_login(alice)
    return client


async def run_comparison(client: AsyncClient, data: dict) -> Comparison:
    response = await client.post(reverse("chat-compare-new"), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    pk = int(re.search(r"/compare/(\d+)/$", response["Location"]).group(1))
    return await Comparison.objects.aget(pk=pk)


async def connect_compare(cookie, comparison: Comparison) -> WebsocketCommunicator:
    ws = WebsocketCommunicator(application, f"/ws/compare/{comparison.pk}/", [ORIGIN, cookie])
    connected, _ = await ws.connect()
    assert connected
    return ws


async def frames_until_idle(ws) -> list[str]:
    """Frames until the page is told nothing runs any more (Stop all is gone)."""
    frames = []
    deadline = asyncio.get_running_loop().time() + FRAME_TIMEOUT
    while True:
        timeout = max(deadline - asyncio.get_running_loop().time(), 0.01)
        frame = await ws.receive_from(timeout=timeout)
        frames.append(frame)
        if 'id="stop-all"' in frame and "Stop all</button>" not in frame:
            return frames


async def wait_all_runs() -> None:
    while generation.RUNNING:
        await asyncio.gather(*list(generation.RUNNING))


async def answers_of(comparison: Comparison) -> list[Message]:
    runs = ComparisonRun.objects.filter(comparison=comparison).select_related("message")
    return [run.message async for run in runs.order_by("column", "repeat")]


async def test_four_columns_send_four_parameter_sets_stream_at_once_and_keep_metrics(
    alice_async, alice_cookie, simulator_url
):
    columns = [{"temperature": t, "max_tokens": "400"} for t in TEMPERATURES]
    comparison = await run_comparison(alice_async, builder_data(f"Why tides? {SLOW}", columns))
    ws = await connect_compare(alice_cookie, comparison)
    frames = await frames_until_idle(ws)
    await ws.disconnect()
    await wait_all_runs()

    bodies = recorded(simulator_url)
    assert len(bodies) == 4
    assert sorted(body["temperature"] for body in bodies) == [0, 0.5, 1, 1.5]
    rest = [{k: v for k, v in body.items() if k != "temperature"} for body in bodies]
    assert all(r == rest[0] for r in rest)  # only the swept field differs
    assert rest[0]["messages"] == [{"role": "user", "content": f"Why tides? {SLOW}"}]

    answers = await answers_of(comparison)
    assert [a.status for a in answers] == ["complete"] * 4
    assert all(a.content and a.reasoning and a.usage["completion_tokens"] for a in answers)
    # Concurrent: every run had begun reasoning before any other run finished.
    for a, b in itertools.permutations(answers, 2):
        assert a.first_reasoning_at < b.finished_at
    # Each was streamed live to the page, appended as it came.
    for answer in answers:
        assert appended(frames, f"a{answer.pk}")
    metrics = [run_metrics(a) for a in answers]
    assert all(m["total_s"] > 0 and m["completion_tokens"] > 0 for m in metrics)
    # The page's last word: four complete runs, a summary table and a chart.
    assert "compare-chart" in frames[-1] and "<table" in frames[-1]
    view = await _results(comparison)
    assert [c.summary["runs"] for c in view.columns] == [1, 1, 1, 1]


async def test_columns_render_their_markdown_as_it_streams(alice_async, alice_cookie):
    # The simulator's longer answers are Markdown: a heading, a paragraph, bullets (and
    # code, asked for), slowly enough that the page sees them rendered after it joins.
    prompt = "Why tides, in code? [[sim:tps=40,reasoning=12,words=90]]"
    comparison = await run_comparison(alice_async, builder_data(prompt, [{}, {}]))
    ws = await connect_compare(alice_cookie, comparison)
    frames = await frames_until_idle(ws)
    await ws.disconnect()
    await wait_all_runs()
    for answer in await answers_of(comparison):
        renders = [json.loads(f)[f"A{answer.pk}"] for f in frames if f'"A{answer.pk}":[' in f]
        assert renders, "each column's answer was rendered while it streamed"
        assert "<script" not in json.dumps(renders)


async def test_the_cap_queues_runs_beyond_it(alice_async, alice_cookie, settings):
    settings.PLAYGROUND_COMPARE_CONCURRENCY = 2
    columns = [{"temperature": t} for t in TEMPERATURES]
    comparison = await run_comparison(alice_async, builder_data(f"Hi {SLOW}", columns))
    ws = await connect_compare(alice_cookie, comparison)
    frames = await frames_until_idle(ws)
    await ws.disconnect()
    await wait_all_runs()

    assert frames[0].count('data-status="queued"') >= 2  # shown as waiting
    answers = await answers_of(comparison)
    assert [a.status for a in answers] == ["complete"] * 4
    # Never more than two streaming at once, and the cap was used.
    events = sorted(
        [(a.sent_at, 1) for a in answers] + [(a.finished_at, -1) for a in answers],
        key=lambda e: (e[0], e[1]),
    )
    streaming = list(itertools.accumulate(step for _, step in events))
    assert max(streaming) == 2


async def test_stop_a_column_and_stop_all(alice_async, alice_cookie, settings, simulator_url):
    settings.PLAYGROUND_COMPARE_CONCURRENCY = 1
    slow = "[[sim:tps=20,reasoning=40,words=200]]"
    columns = [{"temperature": t} for t in TEMPERATURES[:3]]
    comparison = await run_comparison(alice_async, builder_data(f"Story {slow}", columns))
    ws = await connect_compare(alice_cookie, comparison)
    await ws.send_json_to({"action": "stop:2"})  # the third column, still queued
    await ws.send_json_to({"action": "stop"})
    await frames_until_idle(ws)
    await ws.disconnect()
    await wait_all_runs()

    first, second, third = await answers_of(comparison)
    assert first.status == "stopped" and second.status == "stopped" and third.status == "stopped"
    assert third.sent_at is None  # a queued run that is stopped never starts
    assert len(recorded(simulator_url)) <= 2


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            builder_data("Hi", [{"temperature": "1"}] * 13),
            "At most 12 columns (you have 13).",
        ),
        (
            builder_data(
                "Hi", [{}], action="sweep", **{"sweep-1-param": "temperature", "sweep-1-values": ""}
            ),
            "Give at least one value for Temperature.",
        ),
        (
            builder_data(
                "Hi",
                [{}],
                action="sweep",
                **{"sweep-1-param": "temperature", "sweep-1-values": "0, 2.5"},
            ),
            "2.5: Temperature must be between 0 and 2.",
        ),
        (
            builder_data("Hi", [{}, {"temperature": "3"}]),
            "Column 2: Temperature must be between 0 and 2.",
        ),
        (
            builder_data(
                "Hi",
                [{}],
                action="sweep",
                **{
                    "sweep-1-param": "temperature",
                    "sweep-1-values": "0, 0.4, 0.8, 1.2",
                    "sweep-2-param": "top_p",
                    "sweep-2-values": "0.7, 0.8, 0.9, 1",
                },
            ),
            "This sweep makes 16 columns; at most 12.",
        ),
        (builder_data("   ", [{}]), "Message 1 is empty"),
    ],
    ids=["13-columns", "empty-sweep", "out-of-range-sweep", "out-of-range-column", "16", "empty"],
)
async def test_bad_input_says_why_and_starts_nothing(alice_async, simulator_url, data, message):
    response = await alice_async.post(reverse("chat-compare-new"), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert await Comparison.objects.acount() == 0
    assert await Message.objects.acount() == 0
    assert recorded(simulator_url) == []


async def test_more_requests_than_the_limit_need_a_confirmation(
    alice_async, settings, simulator_url
):
    settings.PLAYGROUND_COMPARE_CONFIRM_REQUESTS = 3
    data = builder_data("Hi", [{"temperature": "0"}, {"temperature": "1"}], repeats=2)
    response = await alice_async.post(reverse("chat-compare-new"), data)
    assert response.status_code == 400
    assert "Run 4 requests" in response.content.decode()
    assert await Comparison.objects.acount() == 0
    assert recorded(simulator_url) == []

    await run_comparison(alice_async, {**data, "confirm_requests": "4"})
    await wait_all_runs()
    assert len(recorded(simulator_url)) == 4


async def test_run_again_is_a_new_comparison_with_the_same_settings(alice_async, simulator_url):
    columns = [{"temperature": "0.2"}, {"temperature": "0.8", "max_tokens": "50"}]
    first = await run_comparison(alice_async, builder_data("Hi", columns))
    await wait_all_runs()
    response = await alice_async.post(reverse("chat-compare-again", args=[first.pk]))
    again = await Comparison.objects.aget(pk=int(response["Location"].strip("/").split("/")[-1]))
    await wait_all_runs()
    assert again.pk != first.pk and again.columns == first.columns
    assert [a.status for a in await answers_of(again)] == ["complete"] * 2
    bodies = recorded(simulator_url)
    assert bodies[:2] == bodies[2:]  # the very same requests


async def test_the_stop_form_works_without_the_socket(alice_async, settings):
    settings.PLAYGROUND_COMPARE_CONCURRENCY = 1
    columns = [{"temperature": "0"}, {"temperature": "1"}]
    comparison = await run_comparison(alice_async, builder_data(f"Hi {SLOW}", columns))
    url = reverse("chat-compare-stop", args=[comparison.pk])
    response = await alice_async.post(url, {"action": "stop"})
    assert response.status_code == 302
    await wait_all_runs()
    assert {a.status for a in await answers_of(comparison)} == {"stopped"}


# -- ownership ------------------------------------------------------------------------------

COMPARE_PUBLIC = {"chat-compare-shared", "chat-compare-shared-image"}


def _compare_urls() -> list[URLPattern]:
    return [
        p
        for p in [*urls.urlpatterns, *sharing_urls.urlpatterns]
        if p.name
        and (p.name.startswith("chat-compare") or p.name == "ws-compare")
        and set(p.pattern.converters) & {"pk", "message_pk", "token", "column"}
        and p.name not in COMPARE_PUBLIC
    ]


@pytest.fixture
def alices_comparison(alice):
    """Alice's finished comparison of two columns, with a live share link."""
    comparison = Comparison.objects.create(
        owner=alice,
        title="Alice's secret comparison",
        messages=[{"role": "user", "content": "secret prompt"}],
        columns=[{"model": "kimi-k2-thinking", "temperature": t} for t in (0.0, 1.0)],
    )
    provider = Provider("Built-in simulator", "http://127.0.0.1:1/v1", is_simulator=True)
    runs._create_run(comparison, lambda column: provider)
    Message.objects.filter(status="queued").update(status="complete", content="secret answer")
    link = comparison.share_links.create(owner=alice, snapshot={"columns": []})
    message_pk = ComparisonRun.objects.filter(comparison=comparison).first().message_id
    return {"pk": comparison.pk, "message_pk": message_pk, "token": link.token, "column": 1}


def _state() -> list:
    return [
        list(Comparison.objects.values().order_by("pk")),
        list(Message.objects.values().order_by("pk")),
        list(ComparisonRun.objects.values().order_by("pk")),
    ]


@pytest.mark.parametrize("pattern", _compare_urls(), ids=lambda p: p.name)
@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_someone_elses_comparison_is_404_everywhere(
    client, bob, alice, alices_comparison, pattern, method, htmx
):
    client.force_login(bob)
    kwargs = {name: alices_comparison[name] for name in pattern.pattern.converters}
    url = reverse(pattern.name, kwargs=kwargs)
    headers = {"HX-Request": "true"} if htmx else {}
    before = _state()
    data = {"title": "bob was here", "action": "stop", "include_reasoning": "on"}
    response = getattr(client, method)(url, data if method == "post" else None, headers=headers)
    if response.status_code == 405:
        client.force_login(alice)  # refused for the method alone, to Alice too
        assert getattr(client, method)(url, headers=headers).status_code == 405
    else:
        assert response.status_code == 404, (url, method, response.status_code)
        assert b"secret" not in response.content
    assert _state() == before


def test_the_walk_covers_every_compare_url():
    names = {p.name for p in _compare_urls()}
    assert {
        "chat-compare",
        "chat-compare-stop",
        "chat-compare-again",
        "chat-compare-diff",
        "chat-compare-open",
        "chat-compare-json",
        "chat-compare-csv",
        "chat-compare-share",
        "chat-compare-share-revoke",
        "ws-compare",
    } <= names


@pytest.mark.parametrize("query", ["from", "conversation"])
def test_starting_from_someone_elses_things_is_404(client, bob, alices_comparison, query):
    client.force_login(bob)
    comparison = Comparison.objects.get(pk=alices_comparison["pk"])
    pk = comparison.pk if query == "from" else comparison.conversation_id
    response = client.get(reverse("chat-compare-new") + f"?{query}={pk}")
    assert response.status_code == 404


async def test_someone_elses_comparison_socket_is_refused(bob_cookie, alices_comparison):
    url = f"/ws/compare/{alices_comparison['pk']}/"
    for headers in ([ORIGIN, bob_cookie], [ORIGIN]):
        ws = WebsocketCommunicator(application, url, headers)
        connected, _ = await ws.connect()
        assert not connected


async def _results(comparison):
    from asgiref.sync import sync_to_async

    return await sync_to_async(results.results)(comparison)


async def test_each_column_talks_to_its_own_provider(
    alice_async, alice, bob, settings, simulator_url
):
    settings.PLAYGROUND_ALLOW_PRIVATE_UPSTREAMS = True  # the simulator is on loopback
    from chat.models import Provider as ProviderRow

    mine = await ProviderRow.objects.acreate(owner=alice, name="Mine", base_url=simulator_url)
    columns = [{"temperature": "0.5"}, {"temperature": "0.5", "provider": str(mine.pk)}]
    comparison = await run_comparison(alice_async, builder_data("Why tides?", columns))
    await wait_all_runs()
    first, second = await answers_of(comparison)
    assert first.upstream != "Mine" and second.upstream == "Mine"
    assert first.status == second.status == "complete"
    assert len(recorded(simulator_url)) == 2


async def test_someone_elses_provider_in_a_column_is_refused(alice_async, bob, simulator_url):
    from chat.models import Provider as ProviderRow

    theirs = await ProviderRow.objects.acreate(owner=bob, name="Bob's", base_url=simulator_url)
    data = builder_data("Why tides?", [{"provider": str(theirs.pk)}])
    response = await alice_async.post(reverse("chat-compare-new"), data)
    assert response.status_code == 400
    assert "Column 1: That provider is not one of yours" in response.content.decode()
    assert await Comparison.objects.acount() == 0
    assert recorded(simulator_url) == []


async def test_a_column_on_another_provider_says_so_at_its_top(alice_async, alice, simulator_url):
    from chat.models import Provider as ProviderRow

    mine = await ProviderRow.objects.acreate(owner=alice, name="Mine", base_url=simulator_url)
    columns = [{"temperature": "0.5"}, {"temperature": "0.5", "provider": str(mine.pk)}]
    response = await alice_async.post(reverse("chat-compare-new"), builder_data("", columns))
    html = response.content.decode()
    differences = html.split('id="column-differences-2"')[1].split("</ul>")[0]
    assert "Provider" in differences and "Mine" in differences


async def test_columns_with_tools_stream_their_calls(alice_async, alice_cookie, simulator_url):
    tools = json.dumps([EXAMPLES["Weather"]])
    columns = [{"tools": tools, "temperature": "0.2"}, {"tools": tools, "temperature": "1.5"}]
    prompt = "What is the weather in Paris? [[sim:tps=40,reasoning=4]]"
    comparison = await run_comparison(alice_async, builder_data(prompt, columns))
    ws = await connect_compare(alice_cookie, comparison)
    frames = await frames_until_idle(ws)
    await ws.disconnect()
    await wait_all_runs()

    assert all(body["tools"] == [EXAMPLES["Weather"]] for body in recorded(simulator_url))
    answers = await answers_of(comparison)
    assert [a.finish_reason for a in answers] == ["tool_calls", "tool_calls"]
    for answer in answers:
        live = f'<hx-partial hx-target="#tool-calls-{answer.pk}" hx-swap="innerHTML">'
        assert any(live in frame for frame in frames)
    assert '<code class="tool-name">get_weather</code>' in frames[-1]
