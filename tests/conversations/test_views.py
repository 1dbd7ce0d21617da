"""The conversation pages: opening, listing, renaming, the plain-form send, and ownership."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from django.urls import reverse
from django.utils import timezone

from chat.models import Conversation, Message, title_from_prompt

pytestmark = pytest.mark.django_db


@pytest.fixture
def started(alice):
    """A conversation Alice has used: one prompt and its answer."""
    conversation = Conversation.objects.create(
        owner=alice,
        title="Recursion <b>basics</b>",
        started_at=timezone.now(),
        settings={"model": "kimi-k2-thinking", "temperature": 0.4, "stream": True},
    )
    user = Message.objects.create(
        conversation=conversation, role="user", content="What is recursion?"
    )
    Message.objects.create(
        conversation=conversation,
        parent=user,
        role="assistant",
        content="**Recursion** is…",
        reasoning="The user asks…",
        status="complete",
        model="kimi-k2-thinking",
        finish_reason="length",
        request_params={"model": "kimi-k2-thinking", "max_tokens": 5},
        usage={"prompt_tokens": 3, "completion_tokens": 5, "total_tokens": 8},
    )
    return conversation


def test_home_opens_an_untouched_conversation_and_reuses_it(alice_client, alice):
    untouched = Conversation.objects.create(owner=alice)
    first = alice_client.get("/")
    second = alice_client.get("/")
    assert first.status_code == 302 and first.url == second.url
    assert first.url == f"/c/{untouched.pk}/"
    assert Conversation.objects.filter(owner=alice).count() == 1


def test_home_changes_nothing(alice_client, alice, started):
    """A GET never creates: with no untouched conversation, home offers to start one."""
    before = (Conversation.objects.count(), Message.objects.count())
    response = alice_client.get("/")
    assert response.status_code == 200
    assert "Start a conversation" in response.content.decode()
    assert (Conversation.objects.count(), Message.objects.count()) == before


def test_a_new_conversation_starts_from_the_last_settings(alice_client, started):
    response = alice_client.post(reverse("chat-new"), {"carry_on": "1"})
    conversation = Conversation.objects.get(pk=response.url.split("/")[2])
    assert conversation.pk != started.pk
    assert conversation.settings["temperature"] == 0.4
    # Pressed again (another tab): the same untouched conversation, not a pile of them.
    again = alice_client.post(reverse("chat-new"), {"carry_on": "1"})
    assert again.url == response.url


def test_signing_in_lands_on_a_conversation_ready_for_a_prompt(client, alice):
    response = client.post(
        reverse("login"), {"username": alice.username, "password": "pw-alice-123"}, follow=True
    )
    conversation = Conversation.objects.get(owner=alice)
    assert response.redirect_chain[-1][0] == f"/c/{conversation.pk}/"


def test_the_page_restores_the_parameters_and_shows_the_messages(alice_client, started):
    html = alice_client.get(f"/c/{started.pk}/").content.decode()
    assert 'name="temperature" value="0.4"' in html
    assert "<strong>Recursion</strong>" in html  # the answer rendered as Markdown
    assert "length: stopped at max_tokens" in html
    assert 'data-status="complete"' in html
    assert "Max tokens" in html and "Prompt tokens" in html


def test_the_page_says_when_the_simulator_answers(alice_client, started):
    html = alice_client.get(f"/c/{started.pk}/").content.decode()
    assert "built-in simulator" in html


def test_titles_are_escaped(alice_client, started):
    html = alice_client.get(f"/c/{started.pk}/").content.decode()
    assert "Recursion <b>basics</b>" not in html
    assert "Recursion &lt;b&gt;basics&lt;/b&gt;" in html


def test_the_list_shows_used_conversations_newest_first(alice_client, alice, started):
    older = Conversation.objects.create(owner=alice, title="Older", started_at=timezone.now())
    Conversation.objects.filter(pk=older.pk).update(updated_at=timezone.now() - timedelta(days=1))
    Conversation.objects.create(owner=alice)  # never used: not listed
    html = alice_client.get("/c/").content.decode()
    assert html.index("Recursion &lt;b&gt;") < html.index("Older")
    assert "New conversation</a>" not in html


def test_the_list_has_an_empty_state(alice_client):
    assert "No conversations yet" in alice_client.get("/c/").content.decode()


def test_renaming(alice_client, started):
    response = alice_client.post(f"/c/{started.pk}/title/", {"title": "  Loops   and recursion "})
    assert response.status_code == 302
    started.refresh_from_db()
    assert started.title == "Loops and recursion"


def test_renaming_with_htmx_returns_the_title_fragment(alice_client, started):
    response = alice_client.post(
        f"/c/{started.pk}/title/", {"title": "Fresh"}, headers={"HX-Request": "true"}
    )
    html = response.content.decode()
    assert 'id="conversation-title"' in html and "<html" not in html


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", "/c/{pk}/"),
        ("post", "/c/{pk}/title/"),
        ("post", "/c/{pk}/send/"),
    ],
)
@pytest.mark.parametrize("htmx", [False, True])
def test_another_users_conversation_answers_404_and_changes_nothing(
    client, bob, started, method, url, htmx
):
    client.force_login(bob)
    headers = {"HX-Request": "true"} if htmx else {}
    data = (
        {"title": "pwned", "prompt": "hi", "model": "kimi-k2-thinking"}
        if method == "post"
        else None
    )
    response = getattr(client, method)(url.format(pk=started.pk), data, headers=headers)
    assert response.status_code == 404
    started.refresh_from_db()
    assert started.title == "Recursion <b>basics</b>"
    assert started.messages.count() == 2


@pytest.mark.parametrize(
    ("method", "url"), [("post", "/c/"), ("get", "/c/1/title/"), ("get", "/c/1/send/")]
)
def test_wrong_methods_are_refused(alice_client, method, url):
    assert getattr(alice_client, method)(url).status_code == 405


def test_a_message_left_streaming_by_a_dead_server_shows_as_interrupted(alice_client, started):
    answer = Message.objects.create(
        conversation=started,
        role="assistant",
        status="streaming",
        content="Half an ans",
        reasoning="Thinking about",
    )
    Message.objects.filter(pk=answer.pk).update(updated_at=timezone.now() - timedelta(minutes=5))
    html = alice_client.get(f"/c/{started.pk}/").content.decode()
    answer.refresh_from_db()
    assert answer.status == "interrupted"
    assert 'data-status="interrupted"' in html
    assert "Half an ans" in html


def test_a_live_streaming_message_is_not_interrupted(alice_client, started):
    answer = Message.objects.create(conversation=started, role="assistant", status="streaming")
    alice_client.get(f"/c/{started.pk}/")
    answer.refresh_from_db()
    assert answer.status == "streaming"


def test_checking_parameters_gives_advice_and_field_messages(alice_client):
    response = alice_client.post(
        "/c/check-params/",
        {"model": "kimi-k2-thinking", "temperature": "0.5", "top_p": "0.8", "n": "9"},
        headers={"HX-Request": "true"},
    )
    html = response.content.decode()
    assert "Changing both temperature and top_p" in html
    assert "recommended temperature" in html
    assert 'hx-target="#error-n"' in html and "between 1 and 5" in html


@pytest.mark.parametrize(
    ("typed", "mentions"),
    [
        ({"prompt": "List three fruits"}, False),
        ({"prompt": "List three fruits as json"}, True),
        ({"system_prompt": "Answer in JSON.", "prompt": "List three fruits"}, True),
    ],
)
def test_json_mode_reminds_that_the_prompt_must_ask_for_json(alice_client, typed, mentions):
    response = alice_client.post(
        "/c/check-params/",
        {"model": "kimi-k2-thinking", "response_format": "json_object", **typed},
        headers={"HX-Request": "true"},
    )
    html = response.content.decode()
    assert "JSON mode: ask for JSON explicitly in your prompt." in html
    assert ("Your prompt does not mention JSON yet." in html) is not mentions


def test_json_mode_advice_reads_the_earlier_turns_of_ones_own_conversation(
    alice, bob, alice_client, bob_client
):
    from chat.models import Conversation, Message

    conversation = Conversation.objects.create(owner=alice)
    prompt = Message.objects.create(conversation=conversation, role="user", content="Reply in JSON")
    conversation.current_leaf = prompt
    conversation.save()
    fields = {
        "model": "kimi-k2-thinking",
        "response_format": "json_object",
        "prompt": "Now list vegetables",
        "conversation": str(conversation.pk),
    }
    mine = alice_client.post("/c/check-params/", fields, headers={"HX-Request": "true"})
    assert "Your prompt does not mention JSON yet." not in mine.content.decode()
    # Another's conversation lends nothing: only what was typed counts.
    theirs = bob_client.post("/c/check-params/", fields, headers={"HX-Request": "true"})
    assert "Your prompt does not mention JSON yet." in theirs.content.decode()


def test_the_plain_form_send_refuses_an_invalid_value_and_sends_nothing(
    alice_client, started, simulator_url, settings
):
    settings.PLAYGROUND_API_BASE = simulator_url
    httpx.delete(simulator_url.removesuffix("/v1") + "/_sim/requests")
    response = alice_client.post(
        f"/c/{started.pk}/send/",
        {"prompt": "Hi", "model": "kimi-k2-thinking", "temperature": "3"},
        follow=True,
    )
    assert "Temperature must be between 0 and 2." in response.content.decode()
    assert started.messages.count() == 2
    assert httpx.get(simulator_url.removesuffix("/v1") + "/_sim/requests").json() == []


def test_checking_deeply_nested_tools_says_so(alice_client):
    response = alice_client.post(
        "/c/check-params/",
        {"model": "kimi-k2-thinking", "tools": "[" * 100_000 + "]" * 100_000},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert 'hx-target="#error-tools"' in response.content.decode()
    assert "nested too deeply" in response.content.decode()


def _check(client, **fields) -> str:
    response = client.post(
        "/c/check-params/",
        {"model": "kimi-k2-thinking", **fields},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    return response.content.decode()


def test_a_tool_example_is_added_to_the_tools_field(alice_client):
    html = _check(alice_client, tools="", tool_example="Web search")
    assert '<hx-partial hx-target="#tools-editor" hx-swap="outerHTML">' in html
    assert "&quot;name&quot;: &quot;web_search&quot;" in html
    assert '<option value="" selected>Add an example…</option>' in html  # the picker resets
    assert '<hx-partial hx-target="#error-tools" hx-swap="innerHTML"></hx-partial>' in html


def test_an_example_is_not_added_to_tools_that_do_not_parse(alice_client):
    html = _check(alice_client, tools='[{"type": ', tool_example="Weather")
    assert "Tools is not valid JSON: Expecting value at line 1, column 11." in html
    assert "Fix it before adding an example." in html
    assert "&quot;get_weather&quot;" not in html


def test_a_stale_tool_list_button_changes_nothing_and_says_why(alice_client):
    html = _check(alice_client, tools="[]", tool_edit="remove:3")
    assert "That tool is no longer in Tools: the list was out of date." in html


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"prompt": "a NUL \x00 here"}, "contains a NUL character"),
        ({"system_prompt": "Be\x00brief"}, "contains a NUL character"),
        ({"model": "m" * 201}, "Model must be at most 200 characters"),
        ({"tools": "[" * 100_000 + "]" * 100_000}, "Tools are nested too deeply"),
    ],
)
def test_the_plain_form_send_refuses_what_cannot_be_kept_and_saves_nothing(
    alice_client, started, simulator_url, settings, fields, message
):
    settings.PLAYGROUND_API_BASE = simulator_url
    httpx.delete(simulator_url.removesuffix("/v1") + "/_sim/requests")
    response = alice_client.post(
        f"/c/{started.pk}/send/",
        {"prompt": "Hi", "model": "kimi-k2-thinking", **fields},
        follow=True,
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert started.messages.count() == 2
    started.refresh_from_db()
    assert "\x00" not in started.system_prompt
    assert httpx.get(simulator_url.removesuffix("/v1") + "/_sim/requests").json() == []


@pytest.mark.parametrize(
    ("prompt", "title"),
    [
        ("What is recursion?", "What is recursion?"),
        ("  spaced\n\nout  ", "spaced out"),
        ("word " * 40, ("word " * 16).strip() + "…"),
    ],
)
def test_titles_come_from_the_first_prompt(prompt, title):
    assert title_from_prompt(prompt) == title


def test_fork_copies_the_path_up_to_a_message_into_a_new_conversation(alice_client, started):
    answer = started.messages.get(role="assistant")
    started.current_leaf = answer
    started.save()
    assert (
        "Fork this conversation?"
        in alice_client.get(f"/c/{started.pk}/fork/{answer.pk}/").content.decode()
    )
    response = alice_client.post(f"/c/{started.pk}/fork/{answer.pk}/")
    copy = Conversation.objects.exclude(pk=started.pk).get()
    assert response.url == f"/c/{copy.pk}/"
    assert copy.forked_from == started and copy.settings == started.settings
    assert [m.content for m in copy.messages.order_by("id")] == [
        "What is recursion?",
        "**Recursion** is…",
    ]
    assert copy.current_leaf.content == "**Recursion** is…"
    assert started.messages.count() == 2


def test_another_user_cannot_fork(client, bob, started):
    client.force_login(bob)
    answer = started.messages.get(role="assistant")
    assert client.post(f"/c/{started.pk}/fork/{answer.pk}/").status_code == 404
    assert Conversation.objects.count() == 1


def test_a_message_of_another_conversation_cannot_be_forked_through_ones_own(
    alice_client, alice, started, bob
):
    theirs = Conversation.objects.create(owner=bob)
    foreign = Message.objects.create(conversation=theirs, role="user", content="secret")
    assert alice_client.post(f"/c/{started.pk}/fork/{foreign.pk}/").status_code == 404


def test_a_fork_keeps_the_provider(alice_client, alice, started):
    from chat.models import Provider

    started.provider = Provider.objects.create(
        owner=alice, name="Mine", base_url="https://m.example/v1"
    )
    started.save()
    answer = started.messages.get(role="assistant")
    alice_client.post(f"/c/{started.pk}/fork/{answer.pk}/")
    assert Conversation.objects.exclude(pk=started.pk).get().provider == started.provider
