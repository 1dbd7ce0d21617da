"""Evaluation runs against the simulator on a real port: every test case answered and
graded through the person's queue, at most the compare cap of test cases waiting for a
slot at a time, Stop all keeping the rest from starting, and a judge asked once."""

from __future__ import annotations

import asyncio
import io

import pytest
from asgiref.sync import sync_to_async
from django.test import AsyncClient
from django.urls import reverse

from chat.evals import runs
from chat.models import ComparisonRun, Evaluation, EvaluationJudgement, EvaluationRun, Message
from tests.sockets import recorded, wait_generations

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("upstream_is_simulator", "close_thread_connections"),
]


@pytest.fixture
async def alice_async(alice) -> AsyncClient:
    """Alice's browser, in this test's event loop: what her Run starts runs here."""
    client = AsyncClient()
    await client.aforce_login(alice)
    return client


async def _evaluation(client: AsyncClient, prompt: str, cities: list[str]) -> Evaluation:
    await client.post(reverse("chat-eval-new"), {"title": "Cities"})
    evaluation = await Evaluation.objects.aget(title="Cities")
    await client.post(reverse("chat-eval-prompt", args=[evaluation.pk]), {"user_message": prompt})
    upload = io.BytesIO(("city,expected\n" + "".join(f"{c},{c}\n" for c in cities)).encode())
    upload.name = "cities.csv"
    await client.post(reverse("chat-eval-import", args=[evaluation.pk]), {"file": upload})
    await client.post(
        reverse("chat-eval-check-add", args=[evaluation.pk]), {"kind": "contains", "text": ""}
    )
    return await Evaluation.objects.aget(pk=evaluation.pk)


async def _statuses(run: EvaluationRun) -> list[str]:
    slots = ComparisonRun.objects.filter(comparison__evaluation_row__run=run)
    return [m.status async for m in Message.objects.filter(pk__in=slots.values("message_id"))]


async def test_every_test_case_is_answered_and_graded(alice_async, settings):
    settings.PLAYGROUND_COMPARE_CONCURRENCY = 2
    cities = ["Paris", "Lyon", "Turin", "Oslo", "Bergen"]
    evaluation = await _evaluation(alice_async, "Which country is {{city}} in?", cities)
    response = await alice_async.post(reverse("chat-eval-start", args=[evaluation.pk]))
    assert response.status_code == 302
    run = await EvaluationRun.objects.aget(evaluation=evaluation)
    assert await _statuses(run) != []  # all queued at once, before any answers
    await wait_generations()
    assert await _statuses(run) == ["complete"] * 5
    page = await alice_async.get(reverse("chat-eval-run", args=[evaluation.pk, 1]))
    html = page.content.decode()
    assert "Pass rate 100% (5 of 5)" in html
    assert 'hx-trigger="every 2s"' not in html  # nothing left to watch


async def test_stop_all_keeps_the_waiting_test_cases_from_starting(
    alice_async, settings, simulator_url
):
    settings.PLAYGROUND_COMPARE_CONCURRENCY = 1
    marker = "stop-all-check"
    evaluation = await _evaluation(
        alice_async,
        f"Tell me about {{{{city}}}}, {marker} [[sim:tps=5]]",
        ["Paris", "Lyon", "Rome"],
    )
    await alice_async.post(reverse("chat-eval-start", args=[evaluation.pk]))
    run = await EvaluationRun.objects.aget(evaluation=evaluation)
    # Wait until the first answer streams (at 5 tokens a second it goes on for 20 s).
    async with asyncio.timeout(60):
        # The database is what says it started: there is no event to wait on here.
        while "streaming" not in await _statuses(run):  # noqa: ASYNC110
            await asyncio.sleep(0.05)
    await alice_async.post(reverse("chat-eval-stop", args=[evaluation.pk, 1]))
    await wait_generations()
    assert sorted(await _statuses(run)) == ["stopped"] * 3
    sent = [r for r in recorded(simulator_url) if marker in str(r.get("body") or r)]
    assert len(sent) == 1  # the two waiting test cases never reached the upstream


async def test_a_judge_is_asked_once_per_answer_and_its_verdict_kept(alice_async):
    evaluation = await _evaluation(alice_async, "Tell me about {{city}}.", ["Paris", "Lyon"])
    await alice_async.post(
        reverse("chat-eval-check-add", args=[evaluation.pk]),
        {"kind": "judge", "rubric": 'Mentions "Paris"', "model": "kimi-k2-thinking"},
    )
    await alice_async.post(reverse("chat-eval-start", args=[evaluation.pk]))
    await wait_generations()
    url = reverse("chat-eval-run", args=[evaluation.pk, 1])
    await alice_async.get(url)  # grades the answers, and asks the judge
    await alice_async.get(url)  # asks nobody again
    await wait_generations()
    assert await EvaluationJudgement.objects.acount() == 2
    html = (await alice_async.get(url)).content.decode()
    assert "The answer mentions &quot;Paris&quot;." in html
    assert "The answer does not mention &quot;Paris&quot;." in html
    run = await EvaluationRun.objects.aget(evaluation=evaluation)
    await sync_to_async(runs.grade)(run)
    rows = [row async for row in run.rows.all()]
    assert all(None not in grade for row in rows for grade in row.grades.values())
