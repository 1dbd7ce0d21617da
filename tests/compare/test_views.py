"""Compare mode's pages without streaming: the builder and where it starts from, a
finished comparison's page, diff, export, opening a run, sharing, and hidden runs."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from chat.compare import runs
from chat.models import (
    Comparison,
    ComparisonRun,
    ComparisonShareLink,
    Conversation,
    Message,
    PromptVersion,
    SavedPrompt,
)
from chat.providers.upstreams import Provider

pytestmark = pytest.mark.django_db

ATTACK = "<img src=x onerror=alert(1)>"
UPSTREAM = "api.upstream-secret.example"


@pytest.fixture(autouse=True)
def _simulator_models(settings, simulator_url):
    # The builder lists the upstream's models: the simulator's, on a real port.
    settings.PLAYGROUND_API_BASE = simulator_url


@pytest.fixture
def finished(alice):
    """Alice's comparison of temperature 0 against 1, run twice each, all answered."""
    comparison = Comparison.objects.create(
        owner=alice,
        title=f"Tides {ATTACK}",
        system_prompt="Be brief.",
        messages=[{"role": "user", "content": "Why are there tides?"}],
        columns=[
            {"model": "kimi-k2-thinking", "temperature": 0.0, "stream": True},
            {"model": "kimi-k2-thinking", "temperature": 1.0, "stream": True},
        ],
        sweep={"params": [{"name": "temperature", "values": "0, 1"}]},
        repeats=2,
    )
    upstream = Provider(UPSTREAM, f"https://{UPSTREAM}/v1", False)
    runs._create_run(comparison, lambda column: upstream)
    sent = timezone.now() - timedelta(seconds=5)
    for run in ComparisonRun.objects.filter(comparison=comparison).select_related("message"):
        words = "The moon pulls the sea" if run.column == 0 else "The moon tugs the oceans"
        Message.objects.filter(pk=run.message_id).update(
            status="complete",
            content=f"{words} {ATTACK}",
            reasoning=f"Think about gravity {run.column}",
            finish_reason="stop",
            usage={"prompt_tokens": 5, "completion_tokens": 20, "reasoning_tokens": 8},
            error=f"upstream {UPSTREAM} said something",
            sent_at=sent,
            first_reasoning_at=sent + timedelta(seconds=0.5 + run.column),
            first_content_at=sent + timedelta(seconds=1.5 + run.column),
            finished_at=sent + timedelta(seconds=2.5 + run.column + run.repeat / 10),
        )
    comparison.refresh_from_db()
    return comparison


# -- the builder ------------------------------------------------------------------------------


def test_the_blank_builder_has_one_prompt_and_one_column(alice_client):
    html = alice_client.get(reverse("chat-compare-new")).content.decode()
    assert 'name="message-0-content"' in html and 'name="message-1-content"' not in html
    assert html.count('aria-label="Column 1 settings"') == 1
    assert 'name="column-0-temperature"' in html and 'name="column-1-model"' not in html
    assert "1 request" in html


def test_it_starts_from_a_conversation_up_to_its_last_prompt(alice_client, alice):
    conversation = Conversation.objects.create(
        owner=alice,
        system_prompt="Be brief.",
        settings={"model": "kimi-k2-thinking", "temperature": 0.3},
        started_at=timezone.now(),
    )
    parent = None
    for role, content in [("user", "First"), ("assistant", "Answer one"), ("user", "Second")]:
        parent = Message.objects.create(
            conversation=conversation, parent=parent, role=role, content=content
        )
    Message.objects.create(conversation=conversation, parent=parent, role="assistant", content="x")
    html = alice_client.get(reverse("chat-compare-new") + f"?conversation={conversation.pk}")
    html = html.content.decode()
    assert ">Be brief.</textarea>" in html
    assert ">First</textarea>" in html and ">Answer one</textarea>" in html
    assert ">Second</textarea>" in html and ">x</textarea>" not in html
    assert 'name="column-0-temperature" value="0.3"' in html
    assert f'name="source_conversation" value="{conversation.pk}"' in html


def test_it_starts_from_a_saved_prompts_latest_version(alice_client, alice):
    prompt = SavedPrompt.objects.create(owner=alice, name="Haiku")
    for number, text in [(1, "Old"), (2, "Write a haiku")]:
        PromptVersion.objects.create(
            prompt=prompt,
            number=number,
            messages=[{"role": "user", "content": text}],
            settings={"model": "kimi-k2-thinking", "top_p": 0.8},
        )
    html = alice_client.get(reverse("chat-compare-new") + f"?prompt={prompt.pk}").content.decode()
    assert ">Write a haiku</textarea>" in html and ">Old<" not in html
    assert 'name="column-0-top_p" value="0.8"' in html


def test_edit_as_new_starts_from_the_comparison(alice_client, finished):
    html = alice_client.get(reverse("chat-compare-new") + f"?from={finished.pk}").content.decode()
    assert ">Why are there tides?</textarea>" in html
    assert 'aria-label="Column 2 settings"' in html
    assert 'value="0, 1"' in html and 'name="repeats" value="2"' in html


def test_builder_buttons_answer_htmx_with_the_builder_alone(alice_client):
    data = {
        "message-0-role": "user",
        "message-0-content": "Hi",
        "column-0-model": "kimi-k2-thinking",
        "column-0-max_tokens": "100",
        "repeats": "3",
        "action": "add-column",
    }
    response = alice_client.post(reverse("chat-compare-new"), data, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<form id="builder"') and "<html" not in html
    assert 'name="column-1-max_tokens" value="100"' in html  # a copy of the last column
    assert "6 requests" in html and "at most 600 completion tokens" in html


def test_the_estimate_names_the_unbounded_columns(alice_client):
    data = {
        "message-0-content": "Hi",
        "column-0-model": "kimi-k2-thinking",
        "column-0-max_tokens": "100",
        "column-1-model": "kimi-k2-thinking",
        "column-2-model": "kimi-k2-thinking",
        "action": "estimate",
    }
    response = alice_client.post(reverse("chat-compare-new"), data, HTTP_HX_REQUEST="true")
    text = " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())
    assert "3 requests · tokens unbounded: columns 2, 3 set no Max tokens" in text


# -- a finished comparison ---------------------------------------------------------------------


def test_the_page_shows_each_column_its_runs_the_summary_and_chart(alice_client, finished):
    html = alice_client.get(reverse("chat-compare", args=[finished.pk])).content.decode()
    assert html.count('class="message assistant compare-run"') == 4
    for label in ("Column 1, run 1", "Column 1, run 2", "Column 2, run 1", "Column 2, run 2"):
        assert f'aria-label="{label}"' in html
    assert '<span class="diff-label">Temperature</span> 1' in html
    assert "Identical answers: 2 of 2" in html
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="compare-chart"' in html
    assert "2.55 ± 0.05 s" in html  # column 1's total time over its two runs
    assert ATTACK not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert f'hx-ws:connect="/ws/compare/{finished.pk}/"' in html


def test_a_diff_names_the_differing_settings_and_marks_the_words(alice_client, finished):
    url = reverse("chat-compare-diff", args=[finished.pk]) + "?a=1-1-1&b=2-1-1"
    response = alice_client.get(url, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html
    assert '<span class="diff-label">Temperature</span> 1' in html
    assert "<del> pulls</del><ins> tugs</ins>" in html
    assert "<del> sea</del><ins> oceans</ins>" in html
    assert "<del> 0</del><ins> 1</ins>" in html  # the reasoning, diffed separately
    assert ATTACK not in html

    bad = alice_client.get(reverse("chat-compare-diff", args=[finished.pk]) + "?a=9-9-9&b=1-1-1")
    assert bad.status_code == 400 and "Pick two runs" in bad.content.decode()


def test_each_column_is_named_by_the_setting_that_differs(alice_client, finished):
    html = alice_client.get(reverse("chat-compare", args=[finished.pk])).content.decode()
    for number, name in ((1, "Temperature 0"), (2, "Temperature 1")):
        assert f'aria-label="Column {number}: {name}"' in html  # the column's region
        assert f'<span class="column-name">{name}</span>' in html  # its heading
        assert f'<span class="row-number">{number}</span> {name}</th>' in html  # its table row
        assert f">{number}. {name}</text>" in html  # its bars in the chart
        assert f'<optgroup label="Column {number}: {name}">' in html  # the diff's run picker
    assert "first column" not in html
    assert "the others list what differs from Temperature 0" in html


def test_a_diff_names_the_settings_of_both_runs(alice_client, finished):
    url = reverse("chat-compare-diff", args=[finished.pk]) + "?a=1-2-1&b=2-1-1"
    html = alice_client.get(url, HTTP_HX_REQUEST="true").content.decode()
    text = " ".join(re.sub(r"<[^>]+>", " ", html).split())
    assert "Temperature 0 (column 1, run 2) vs Temperature 1 (column 2, run 1)" in text
    assert "First run: Column 1: Temperature 0 Temperature 0" in text
    assert "Second run: Column 2: Temperature 1 Temperature 1" in text

    same = reverse("chat-compare-diff", args=[finished.pk]) + "?a=1-1-1&b=1-2-1"
    text = " ".join(re.sub(r"<[^>]+>", " ", alice_client.get(same).content.decode()).split())
    assert "None: both runs were sent the same parameters (Column 1: Temperature 0)." in text


def test_a_diff_of_runs_it_does_not_have_says_what_to_pick(alice_client, finished):
    url = reverse("chat-compare-diff", args=[finished.pk]) + "?a=1-1-1&b=7-1-1"
    response = alice_client.get(url)
    assert response.status_code == 400
    assert "Pick two runs of this comparison to compare." in response.content.decode()


def test_save_renames_and_the_list_shows_it(alice_client, finished):
    url = reverse("chat-compare-rename", args=[finished.pk])
    response = alice_client.post(url, {"title": "  Tide   sweep "}, HTTP_HX_REQUEST="true")
    assert "Saved" in response.content.decode()
    finished.refresh_from_db()
    assert finished.title == "Tide sweep"
    html = alice_client.get(reverse("chat-compare-list")).content.decode()
    assert "Tide sweep" in html and "2 columns \u00d7 2 runs" in html


def test_exports_hold_every_run_and_the_metrics(alice_client, finished):
    data = json.loads(alice_client.get(reverse("chat-compare-json", args=[finished.pk])).content)
    assert data["columns"][1]["temperature"] == 1.0 and data["repeats"] == 2
    assert len(data["runs"]) == 4
    assert data["runs"][0]["metrics"]["total_s"] == pytest.approx(2.5)
    assert data["summaries"][0]["identical_exact"] == 2
    assert UPSTREAM not in json.dumps(data["runs"][0]["metrics"])

    response = alice_client.get(reverse("chat-compare-csv", args=[finished.pk]))
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][0] == "Column" and len(rows) == 3
    assert [row[0] for row in rows[1:]] == ["Column 1: Temperature 0", "Column 2: Temperature 1"]
    assert [summary["label"] for summary in data["summaries"]] == ["Temperature 0", "Temperature 1"]
    assert rows[1][rows[0].index("Total time (s)")] == "2.55"


def test_a_run_opens_as_an_ordinary_conversation(alice_client, alice, finished):
    run = ComparisonRun.objects.get(comparison=finished, column=1, repeat=0)
    url = reverse("chat-compare-open", args=[finished.pk, run.message_id])
    assert "Open this run as a conversation?" in alice_client.get(url).content.decode()
    response = alice_client.post(url)
    copy = Conversation.objects.get(pk=int(response["Location"].strip("/").split("/")[-1]))
    assert copy.owner == alice and not copy.hidden
    assert copy.settings["temperature"] == 1.0 and copy.system_prompt == "Be brief."
    path = list(copy.messages.order_by("id").values_list("role", "content"))
    assert path == [
        ("user", "Why are there tides?"),
        ("assistant", f"The moon tugs the oceans {ATTACK}"),
    ]
    assert copy.current_leaf.content.startswith("The moon tugs")


def test_hidden_run_conversations_are_never_listed_searched_or_reused(alice_client, finished):
    listing = alice_client.get(reverse("chat-list")).content.decode()
    assert "Tides" not in listing
    search = alice_client.get(reverse("chat-list") + "?q=gravity").content.decode()
    assert "Tides" not in search
    Conversation.objects.filter(pk=finished.conversation_id).update(started_at=None)
    home = alice_client.get(reverse("chat-home"))
    assert home.get("Location") != reverse("chat-conversation", args=[finished.conversation_id])


# -- sharing ------------------------------------------------------------------------------------


def test_a_share_link_shows_a_snapshot_with_nothing_of_the_owner(client, alice, finished):
    client.force_login(alice)
    client.post(reverse("chat-compare-share", args=[finished.pk]), {"include_reasoning": "on"})
    link = ComparisonShareLink.objects.get(comparison=finished)
    assert re.fullmatch(r"[A-Za-z0-9_-]{43,}", link.token)
    page = client.get(reverse("chat-compare-share", args=[finished.pk])).content.decode()
    assert f"/cs/{link.token}/" in page

    client.logout()
    response = client.get(reverse("chat-compare-shared", args=[link.token]))
    html = response.content.decode()
    assert response.status_code == 200
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert response["Referrer-Policy"] == "no-referrer"
    assert response["Cache-Control"] == "no-store"
    assert html.count('class="message assistant compare-run"') == 4
    assert "The moon tugs the oceans" in html and "Think about gravity 1" in html
    assert "compare-chart" in html and "Identical" in html
    assert "first column" not in html and html.count("same as column 1") == 0
    assert 'aria-label="Column 1: Temperature 0"' in html
    assert "the others list what differs from Temperature 0" in html
    for secret in (alice.username, UPSTREAM, ATTACK, f"/compare/{finished.pk}/"):
        assert secret not in html
    assert "<form" not in html.split("</header>", 1)[1]  # nothing to post from a no-referrer page


def test_a_share_without_reasoning_leaves_it_out(client, alice, finished):
    client.force_login(alice)
    client.post(reverse("chat-compare-share", args=[finished.pk]))
    link = ComparisonShareLink.objects.get(comparison=finished)
    assert "Think about gravity" not in json.dumps(link.snapshot)
    html = client.get(reverse("chat-compare-shared", args=[link.token])).content.decode()
    assert "Think about gravity" not in html and "The moon pulls the sea" in html


def test_a_revoked_link_is_404_at_once(client, alice, finished):
    client.force_login(alice)
    client.post(reverse("chat-compare-share", args=[finished.pk]), {"include_reasoning": "on"})
    link = ComparisonShareLink.objects.get(comparison=finished)
    client.post(reverse("chat-compare-share-revoke", args=[link.token]))
    client.logout()
    assert client.get(reverse("chat-compare-shared", args=[link.token])).status_code == 404
    assert client.get(reverse("chat-compare-shared", args=["not-a-token"])).status_code == 404
