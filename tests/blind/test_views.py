"""Blind A/B pages against the simulator on a real port: starting a trial, its page and
socket saying nothing of either side's settings before the vote, one vote only, the
reveal and the pair's tally after, and nothing of it for anyone else."""

from __future__ import annotations

import re

import pytest
from channels.testing import WebsocketCommunicator
from django.test import AsyncClient
from django.urls import reverse

from chat.models import BlindTrial, Comparison, ComparisonRun, Message
from playground.asgi import application
from tests.sockets import ORIGIN, frames_until, wait_generations

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("upstream_is_simulator", "close_thread_connections"),
]

MODEL = "kimi-k2-thinking"
SECRETS = (MODEL, "Temperature", "temperature", "0.2", "1.5")


def new_trial_data(prompt: str = "Why is the sea salty?", **columns) -> dict:
    """The new-blind-test form as the page posts it: temperature 0.2 against 1.5."""
    data = {"system_prompt": "Be brief.", "message-0-content": prompt}
    for index, temperature in enumerate(("0.2", "1.5")):
        data |= {
            f"column-{index}-model": MODEL,
            f"column-{index}-stream": "true",
            f"column-{index}-temperature": temperature,
        }
    return data | columns


@pytest.fixture
async def alice_async(alice) -> AsyncClient:
    """Alice's browser, in this test's event loop: what her Start starts runs here."""
    client = AsyncClient()
    await client.aforce_login(alice)
    return client


@pytest.fixture
async def bob_async(bob) -> AsyncClient:
    """Bob is signed in too, and must find none of Alice's trials."""
    client = AsyncClient()
    await client.aforce_login(bob)
    return client


async def start_trial(client: AsyncClient, data: dict | None = None) -> BlindTrial:
    response = await client.post(reverse("chat-blind-new"), data or new_trial_data())
    assert response.status_code == 302, response.content.decode()[:2000]
    pk = int(re.search(r"/blind/(\d+)/$", response["Location"]).group(1))
    return await BlindTrial.objects.select_related("comparison").aget(pk=pk)


async def finished_trial(client: AsyncClient, data: dict | None = None) -> BlindTrial:
    trial = await start_trial(client, data)
    await wait_generations()
    return trial


async def page(client: AsyncClient, trial: BlindTrial) -> str:
    response = await client.get(reverse("chat-blind", args=[trial.pk]))
    assert response.status_code == 200
    return response.content.decode()


def leaked(text: str) -> list[str]:
    """The SECRETS in a page or frames, durations aside: "Thought for 0.2 s" is how
    long an answer took on this machine, not its temperature."""
    text = re.sub(r"\b\d+(?:\.\d+)? s\b", "", text)
    return [secret for secret in SECRETS if secret in text]


def main_of(html: str) -> str:
    """The page's own part: the top bar's "Blind A/B" link is not a leak."""
    return html[html.index("<main") :]


async def test_starting_a_trial_runs_both_settings_once_as_a_hidden_comparison(alice_async):
    trial = await finished_trial(alice_async)
    comparison = await Comparison.objects.aget(pk=trial.comparison_id)
    assert comparison.repeats == 1
    assert sorted(c["temperature"] for c in comparison.columns) == [0.2, 1.5]
    # Column 0 is A; which setting that is was drawn at random and kept.
    assert comparison.columns[0]["temperature"] == (0.2 if trial.a_is_first else 1.5)
    assert (trial.first_label, trial.second_label) == ("Temperature 0.2", "Temperature 1.5")
    assert trial.vote == ""
    statuses = [
        m.status
        async for m in Message.objects.filter(
            pk__in=ComparisonRun.objects.filter(comparison=comparison).values("message_id")
        )
    ]
    assert statuses == ["complete", "complete"]


async def test_before_the_vote_the_page_says_nothing_of_either_setting(alice_async):
    trial = await finished_trial(alice_async)
    html = main_of(await page(alice_async, trial))
    assert 'aria-label="Answer A"' in html
    assert 'aria-label="Answer B"' in html
    assert "Reasoning" in html
    assert 'value="a"' in html and 'value="tie"' in html
    assert leaked(html) == []
    assert reverse("chat-compare", args=[trial.comparison_id]) not in html


async def test_before_the_vote_its_comparison_is_neither_listed_nor_openable(alice_async):
    trial = await finished_trial(alice_async)
    listing = (await alice_async.get(reverse("chat-compare-list"))).content.decode()
    assert reverse("chat-compare", args=[trial.comparison_id]) not in listing
    for name in ("chat-compare", "chat-compare-json", "chat-compare-csv", "chat-compare-share"):
        response = await alice_async.get(reverse(name, args=[trial.comparison_id]))
        assert response.status_code == 404, name
    code = reverse("chat-compare-code", args=[trial.comparison_id, 1])
    assert (await alice_async.get(code)).status_code == 404


async def test_the_socket_streams_both_answers_without_their_settings(alice_async, alice_cookie):
    trial = await start_trial(alice_async, new_trial_data("Stream slowly [[sim:tps=60]]"))
    ws = WebsocketCommunicator(application, f"/ws/blind/{trial.pk}/", [ORIGIN, alice_cookie])
    connected, _ = await ws.connect()
    assert connected
    frames = await frames_until(ws, lambda f: 'value="a"' in f)  # the vote, once both finish
    await ws.disconnect()
    await wait_generations()
    sent = "".join(frames)
    assert 'aria-label="Answer A"' in sent
    assert leaked(sent) == []


async def test_a_vote_reveals_which_was_which_and_the_pairs_tally(alice_async):
    trial = await finished_trial(alice_async)
    url = reverse("chat-blind-vote", args=[trial.pk])
    response = await alice_async.post(url, {"vote": "a"})
    assert response.status_code == 302
    await trial.arefresh_from_db()
    assert trial.vote == "a" and trial.voted_at is not None
    html = main_of(await page(alice_async, trial))
    assert f"<dt>A</dt><dd>{trial.a_label}</dd>" in html
    assert f"<dt>B</dt><dd>{trial.b_label}</dd>" in html
    assert MODEL in html  # each answer's meta line is back
    first_won = 1 if trial.a_is_first else 0
    assert f"Temperature 0.2 won {first_won}, Temperature 1.5 won {1 - first_won}" in html
    assert "over 1 vote" in html
    # Voted, the comparison is the person's to open (and still not listed).
    compare = await alice_async.get(reverse("chat-compare", args=[trial.comparison_id]))
    assert compare.status_code == 200


async def test_a_second_vote_is_refused(alice_async):
    trial = await finished_trial(alice_async)
    url = reverse("chat-blind-vote", args=[trial.pk])
    await alice_async.post(url, {"vote": "b"})
    response = await alice_async.post(url, {"vote": "a"}, follow=True)
    assert "voted on already" in response.content.decode()
    await trial.arefresh_from_db()
    assert trial.vote == "b"
    assert await BlindTrial.objects.filter(pair_key=trial.pair_key).exclude(vote="").acount() == 1


async def test_no_vote_until_both_answers_are_done(alice_async):
    trial = await start_trial(alice_async)
    await wait_generations()
    await (
        Message.objects.filter(conversation_id=trial.comparison.conversation_id)
        .filter(role="assistant")
        .aupdate(status="streaming")
    )
    response = await alice_async.post(reverse("chat-blind-vote", args=[trial.pk]), {"vote": "a"})
    assert response.status_code == 400
    assert "Wait for both answers to finish" in response.content.decode()
    await trial.arefresh_from_db()
    assert trial.vote == ""


async def test_a_failed_answer_is_said_and_allows_only_a_tie_or_a_skip(alice_async):
    trial = await finished_trial(alice_async)
    answers = Message.objects.filter(conversation_id=trial.comparison.conversation_id)
    first = await answers.filter(role="assistant").order_by("pk").afirst()
    await answers.filter(pk=first.pk).aupdate(
        status="error", content="", reasoning="", error=f"{MODEL} at temperature 0.2 failed"
    )
    html = main_of(await page(alice_async, trial))
    assert "An answer failed" in html
    assert "This answer failed." in html
    assert MODEL not in html
    url = reverse("chat-blind-vote", args=[trial.pk])
    assert (await alice_async.post(url, {"vote": "b"})).status_code == 400
    assert (await alice_async.post(url, {"vote": "skip"})).status_code == 302
    await trial.arefresh_from_db()
    assert trial.vote == "skip"


async def test_three_votes_on_the_same_two_settings_add_up(alice_async):
    trial = await finished_trial(alice_async)
    votes = []
    for vote in ("a", "b", "tie"):
        await alice_async.post(reverse("chat-blind-vote", args=[trial.pk]), {"vote": vote})
        await trial.arefresh_from_db()
        votes.append(trial)
        response = await alice_async.post(reverse("chat-blind-again", args=[trial.pk]))
        assert response.status_code == 302
        pk = int(re.search(r"/blind/(\d+)/$", response["Location"]).group(1))
        await wait_generations()
        trial = await BlindTrial.objects.select_related("comparison").aget(pk=pk)
    first_wins = sum((t.vote == "a") == t.a_is_first for t in votes if t.vote in "ab")
    html = (await alice_async.get(reverse("chat-blind-tally"))).content.decode()
    assert "Temperature 0.2 vs Temperature 1.5" in html
    row = html[html.index("Temperature 0.2 vs Temperature 1.5") :]
    assert f"<td>{first_wins} \N{EN DASH} {2 - first_wins}</td>" in row
    assert "over 3 votes" in row


async def test_two_columns_of_a_comparison_make_a_trial(alice, alice_async):
    comparison = await Comparison.objects.acreate(
        owner=alice,
        messages=[{"role": "user", "content": "Name a colour."}],
        columns=[
            {"model": MODEL, "temperature": 0.0, "stream": True},
            {"model": MODEL, "temperature": 0.7, "stream": True},
            {"model": MODEL, "temperature": 1.4, "stream": True},
        ],
    )
    page_html = (await alice_async.get(reverse("chat-compare", args=[comparison.pk]))).content
    assert b"Blind A/B</button>" in page_html
    url = reverse("chat-blind-from", args=[comparison.pk])
    response = await alice_async.post(url, {"first": "3", "second": "1"})
    assert response.status_code == 302
    await wait_generations()
    trial = await BlindTrial.objects.aget(comparison__messages__0__content="Name a colour.")
    assert (trial.first_label, trial.second_label) == ("Temperature 0", "Temperature 1.4")
    same = await alice_async.post(url, {"first": "2", "second": "2"})
    assert same.status_code == 302 and same["Location"].endswith(f"/compare/{comparison.pk}/")


async def test_another_person_finds_nothing_of_a_trial(alice_async, bob_async, bob_cookie):
    trial = await finished_trial(alice_async)
    for name in ("chat-blind", "ws-blind"):
        assert (await bob_async.get(reverse(name, args=[trial.pk]))).status_code == 404
    for name in ("chat-blind-vote", "chat-blind-again"):
        response = await bob_async.post(reverse(name, args=[trial.pk]), {"vote": "a"})
        assert response.status_code == 404
    tally = (await bob_async.get(reverse("chat-blind-tally"))).content.decode()
    assert "Temperature 0.2" not in tally
    ws = WebsocketCommunicator(application, f"/ws/blind/{trial.pk}/", [ORIGIN, bob_cookie])
    connected, _ = await ws.connect()
    assert not connected
    await trial.arefresh_from_db()
    assert trial.vote == ""


async def test_before_the_vote_the_answers_conversation_does_not_open(alice_async):
    trial = await finished_trial(alice_async)
    hidden = reverse("chat-conversation", args=[trial.comparison.conversation_id])
    assert (await alice_async.get(hidden)).status_code == 404
    await alice_async.post(reverse("chat-blind-vote", args=[trial.pk]), {"vote": "tie"})
    assert (await alice_async.get(hidden)).status_code == 200


async def test_stop_both_ends_the_answers_keeping_what_arrived(alice_async, bob_async):
    trial = await start_trial(alice_async, new_trial_data("Stream slowly [[sim:tps=5]]"))
    assert "Stop both" in await page(alice_async, trial)
    refused = await bob_async.post(reverse("chat-blind-stop", args=[trial.pk]))
    assert refused.status_code == 404
    response = await alice_async.post(reverse("chat-blind-stop", args=[trial.pk]))
    assert response.status_code == 302
    await wait_generations()
    statuses = {
        m.status
        async for m in Message.objects.filter(
            pk__in=ComparisonRun.objects.filter(comparison_id=trial.comparison_id).values(
                "message_id"
            )
        )
    }
    assert statuses == {"stopped"}
    html = main_of(await page(alice_async, trial))
    assert "Stop both" not in html
    # A stopped answer is not judged on its merits: a tie or a skip.
    assert 'value="tie"' in html and 'value="a"' not in html
