"""View code: the code shown sends exactly what the upstream received, for a past answer
and for the next send; the key never shows; and nobody sees another person's requests."""

from __future__ import annotations

import json
import re
from html import unescape

import pytest
from asgiref.sync import sync_to_async
from django.test import Client
from django.urls import reverse

from chat.api.tools import EXAMPLES
from chat.models import Conversation, Message
from chat.providers import upstreams
from tests.api.test_snippets import NAMES, bodies
from tests.sockets import connect, form, frames_until, is_done, recorded

SECRET = "sk-test-secret-1234"
LABELS = ["curl", "Python (httpx)", "Python (openai)", "JavaScript (fetch)"]
# Every parameter the issue names, with a stop sequence holding a quote and a newline
# (the panel writes a newline as \n).
FIELDS = {
    "system_prompt": "Answer in JSON.",
    "temperature": "0.3",
    "max_tokens": "300",
    "stop": 'say "bye"\\n\n###',
    "response_format": "json_object",
    "n": "2",
    "top_k": "40",
}


def shown(html: str) -> dict[str, str]:
    """Each code block's text as its Copy button copies it: the <code>'s text."""
    blocks = re.findall(
        r'data-snippet="(\w+)">.*?<pre class="highlight"><code>(.*?)</code></pre>', html, re.S
    )
    return {name: unescape(re.sub(r"<[^>]+>", "", code)) for name, code in blocks}


def sent_bodies(html: str) -> dict[str, dict]:
    return bodies(shown(html))


def code_url(answer: Message) -> str:
    return reverse("chat-message-code", args=[answer.conversation_id, answer.pk])


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


async def _get(user, url: str, **headers):
    return await sync_to_async(lambda: _client(user).get(url, **headers))()


async def _post(user, url: str, data: dict, **headers):
    return await sync_to_async(lambda: _client(user).post(url, data, **headers))()


async def _answers(conversation) -> list[Message]:
    query = Message.objects.filter(conversation=conversation, role="assistant").order_by("id")
    return [m async for m in query]


# -- the contract: the code sends what the upstream received -------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("close_thread_connections")
async def test_an_answers_code_sends_exactly_the_body_the_upstream_received(
    alice, alice_cookie, conversation, upstream_is_simulator
):
    ws = await connect(alice_cookie, conversation.pk)
    await ws.send_json_to(form("First, plainly", system_prompt=FIELDS["system_prompt"]))
    await frames_until(ws, is_done)
    await ws.send_json_to(form('Then "this": \\ $(rm -rf /) `x` </script> 😀', **FIELDS))
    await frames_until(ws, is_done)
    await ws.disconnect()
    first, *second = await _answers(conversation)
    received = recorded(upstream_is_simulator)
    assert received[-1]["stop"] == ['say "bye"\n', "###"] and received[-1]["n"] == 2
    for answer, body in [(first, received[-2]), *((choice, received[-1]) for choice in second)]:
        response = await _get(alice, code_url(answer))
        assert response.status_code == 200
        assert sent_bodies(response.content.decode()) == dict.fromkeys(NAMES, body)
    assert len(second) == 2


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("close_thread_connections")
async def test_the_next_sends_code_is_what_send_then_sends(
    alice, alice_cookie, conversation, upstream_is_simulator
):
    ws = await connect(alice_cookie, conversation.pk)
    await ws.send_json_to(form("First, plainly", system_prompt=FIELDS["system_prompt"]))
    await frames_until(ws, is_done)
    fields = form('Then "this": \\ $(rm -rf /) `x` </script> 😀', **FIELDS)
    # The panel posts the composer form's values, as the browser's form sends them.
    response = await _post(alice, reverse("chat-code", args=[conversation.pk]), fields)
    assert response.status_code == 200
    await ws.send_json_to(fields)
    await frames_until(ws, is_done)
    await ws.disconnect()
    received = recorded(upstream_is_simulator)[-1]
    assert len(received["messages"]) == 4  # system, the first turn, and this prompt
    assert sent_bodies(response.content.decode()) == dict.fromkeys(NAMES, received)


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("close_thread_connections")
async def test_run_again_sends_what_the_answers_code_shows(
    alice, alice_cookie, conversation, upstream_is_simulator
):
    ws = await connect(alice_cookie, conversation.pk)
    await ws.send_json_to(form("Hello", **FIELDS))
    await frames_until(ws, is_done)
    original, _ = await _answers(conversation)
    await ws.send_json_to(form("", action=f"rerun:{original.pk}", temperature="2"))
    await frames_until(ws, is_done)
    await ws.disconnect()
    response = await _get(alice, code_url(original))
    body = recorded(upstream_is_simulator)[-1]
    assert sent_bodies(response.content.decode()) == dict.fromkeys(NAMES, body)


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("close_thread_connections")
async def test_the_code_of_an_answer_to_tool_results_sends_the_calls_and_results(
    alice, alice_cookie, conversation, upstream_is_simulator
):
    tools = json.dumps([EXAMPLES["Weather"]])
    ws = await connect(alice_cookie, conversation.pk)
    await ws.send_json_to(form("What is the weather in Paris?", tools=tools))
    await frames_until(ws, is_done)
    (asked,) = await _answers(conversation)
    results = {"action": f"results:{asked.pk}", f"result-{asked.pk}-0": "Rain"}
    await ws.send_json_to(form("", tools=tools, **results))
    await frames_until(ws, is_done)
    await ws.disconnect()
    _, final = await _answers(conversation)
    body = recorded(upstream_is_simulator)[-1]
    assert [m["role"] for m in body["messages"]] == ["user", "assistant", "tool"]
    response = await _get(alice, code_url(final))
    assert sent_bodies(response.content.decode()) == dict.fromkeys(NAMES, body)


# -- the pages -------------------------------------------------------------------------------


@pytest.fixture
def answer(conversation):
    """A streamed answer in Alice's conversation, saved as a send saves it."""
    conversation.system_prompt = "Be brief."
    conversation.save()
    prompt = Message.objects.create(
        conversation=conversation, role="user", content="Hi [[sim:words=5]] [[sim:reasoning=5]]"
    )
    answer = Message.objects.create(
        conversation=conversation,
        parent=prompt,
        role="assistant",
        content="Hello.",
        status="complete",
        request_params={
            "model": "kimi-k2-thinking",
            "temperature": 0.5,
            "top_k": 20,
            "stream": True,
            "stream_options": {"include_usage": True},
        },
    )
    conversation.current_leaf = answer
    conversation.save()
    return answer


@pytest.fixture
def expected(answer) -> dict:
    return {
        **answer.request_params,
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": answer.parent.content},
        ],
    }


@pytest.mark.django_db
def test_the_answers_page_shows_four_labelled_blocks_with_copy_buttons(
    alice_client, answer, expected, settings
):
    settings.PLAYGROUND_API_BASE = "https://api.example.test/v1"
    response = alice_client.get(code_url(answer))
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" in html and "Code for this answer's request" in html
    assert re.findall(r'role="group" aria-label="([^"]+)"', html) == LABELS
    assert html.count('<button type="button" class="copy-button" data-copy-code>Copy</button>') == 4
    assert '<span class="' in html  # highlighted
    assert shown(html)["curl"].startswith("curl 'https://api.example.test/v1/chat/completions'")
    assert sent_bodies(html) == dict.fromkeys(NAMES, expected)


@pytest.mark.django_db
def test_htmx_gets_just_the_code(alice_client, answer, conversation):
    response = alice_client.get(code_url(answer), headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "<html" not in response.content.decode()
    assert len(shown(response.content.decode())) == 4
    data = {"prompt": "Hi", "model": "kimi-k2-thinking"}
    posted = alice_client.post(
        reverse("chat-code", args=[conversation.pk]), data, headers={"HX-Request": "true"}
    )
    assert posted.status_code == 200 and "<html" not in posted.content.decode()
    page = alice_client.post(reverse("chat-code", args=[conversation.pk]), data)
    assert "<html" in page.content.decode() and "Code for the next send" in page.content.decode()


@pytest.mark.django_db
def test_an_empty_message_box_shows_a_placeholder(alice_client, answer, conversation):
    data = {"prompt": "  ", "system_prompt": "Be brief.", "model": "kimi-k2-thinking"}
    response = alice_client.post(reverse("chat-code", args=[conversation.pk]), data)
    body = sent_bodies(response.content.decode())["fetch"]
    assert body["messages"][-1] == {"role": "user", "content": "Your message"}
    assert body["messages"][-2] == {"role": "assistant", "content": "Hello."}
    assert body["stream"] is False  # an unchecked checkbox sends nothing: off


@pytest.mark.django_db
def test_values_send_would_refuse_show_why_and_no_code(alice_client, conversation):
    data = {"prompt": "Hi", "model": "kimi-k2-thinking", "temperature": "2.5"}
    response = alice_client.post(
        reverse("chat-code", args=[conversation.pk]), data, headers={"HX-Request": "true"}
    )
    assert response.status_code == 400
    assert "Temperature must be between 0 and 2." in response.content.decode()
    assert shown(response.content.decode()) == {}


@pytest.mark.django_db
def test_model_output_is_shown_escaped(alice_client, answer):
    answer.parent.content = '</code></pre><img src=x onerror="alert(1)"><script>alert(2)</script>'
    answer.parent.save()
    html = alice_client.get(code_url(answer)).content.decode()
    assert "<img" not in html and "<script>alert" not in html
    assert sent_bodies(html)["httpx"]["messages"][-1]["content"] == answer.parent.content


@pytest.mark.django_db
def test_the_key_is_never_shown_even_when_one_is_configured(
    alice_client, answer, conversation, settings
):
    settings.PLAYGROUND_API_BASE = "https://api.example.test/v1"
    settings.PLAYGROUND_API_KEY = SECRET
    assert upstreams.for_conversation(conversation, None).api_key == SECRET  # it has a key
    responses = [
        alice_client.get(code_url(answer)),
        alice_client.get(code_url(answer), headers={"HX-Request": "true"}),
        alice_client.post(reverse("chat-code", args=[conversation.pk]), {"prompt": "Hi"}),
    ]
    for response in responses:
        html = response.content.decode()
        assert SECRET not in html and "sk-test" not in html
        code = shown(html)
        assert "$PLAYGROUND_API_KEY" in code["curl"]
        assert 'os.environ["PLAYGROUND_API_KEY"]' in code["httpx"]
        assert 'os.environ["PLAYGROUND_API_KEY"]' in code["openai"]
        assert "process.env.PLAYGROUND_API_KEY" in code["fetch"]


@pytest.mark.django_db
def test_the_python_snippets_run_and_send_the_same_body(
    alice_client, answer, expected, upstream_is_simulator, monkeypatch, capsys
):
    """The code itself, run against the simulator: httpx, and the openai package with
    top_k through extra_body and the reasoning read from the stream's extra field."""
    monkeypatch.setenv("PLAYGROUND_API_KEY", "any value does for the simulator")
    code = shown(alice_client.get(code_url(answer)).content.decode())
    for name in ("httpx", "openai"):
        exec(compile(code[name], f"{name}.py", "exec"), {"__name__": name})
        assert recorded(upstream_is_simulator)[-1] == expected
        printed = capsys.readouterr().out
        assert len(printed.split()) >= 10  # five words of reasoning, then five of answer


@pytest.mark.django_db
def test_the_panel_has_a_view_code_button_and_answers_a_link(alice_client, answer, conversation):
    html = alice_client.get(reverse("chat-conversation", args=[conversation.pk])).content.decode()
    post = reverse("chat-code", args=[conversation.pk])
    assert re.search(
        rf'<button type="submit"[^>]*formaction="{post}"[^>]*hx-post="{post}"'
        rf'[^>]*hx-target="#code-view">View code</button>',
        html,
    )
    assert '<div id="code-view"' in html
    assert f'href="{code_url(answer)}"' in html


@pytest.mark.django_db
def test_an_imported_answer_has_no_code(alice_client, answer):
    answer.request_params = {}
    answer.save()
    assert alice_client.get(code_url(answer)).status_code == 404
    page = alice_client.get(reverse("chat-conversation", args=[answer.conversation_id]))
    assert code_url(answer) not in page.content.decode()


# -- ownership ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_someone_elses_requests_are_not_found(client, bob, answer, conversation):
    client.force_login(bob)
    assert client.get(code_url(answer)).status_code == 404
    data = {"prompt": "Hi"}
    assert client.post(reverse("chat-code", args=[conversation.pk]), data).status_code == 404


@pytest.mark.django_db
def test_another_conversations_message_is_not_found_through_ones_own(
    alice_client, alice, bob, answer
):
    bobs = Conversation.objects.create(owner=bob)
    prompt = Message.objects.create(conversation=bobs, role="user", content="Bob's")
    bobs_answer = Message.objects.create(
        conversation=bobs, parent=prompt, role="assistant", request_params={"model": "m"}
    )
    own = Conversation.objects.create(owner=alice)
    for conversation in (own, answer.conversation):
        url = reverse("chat-message-code", args=[conversation.pk, bobs_answer.pk])
        assert alice_client.get(url).status_code == 404


@pytest.mark.django_db
def test_a_prompt_has_no_code_of_its_own(alice_client, answer):
    assert alice_client.get(code_url(answer.parent)).status_code == 404


@pytest.mark.django_db
def test_signed_out_wrong_methods_and_deleted_conversations(client, alice_client, answer):
    from django.utils import timezone

    conversation = answer.conversation
    post = reverse("chat-code", args=[conversation.pk])
    assert alice_client.get(post).status_code == 405
    assert alice_client.post(code_url(answer)).status_code == 405
    Conversation.objects.filter(pk=conversation.pk).update(deleted_at=timezone.now())
    assert alice_client.get(code_url(answer)).status_code == 404
    assert alice_client.post(post, {"prompt": "Hi"}).status_code == 404
    alice_client.logout()
    assert alice_client.get(code_url(answer)).status_code == 302
    assert alice_client.post(post, {"prompt": "Hi"}).status_code == 302


@pytest.mark.django_db
def test_the_next_sends_code_follows_the_provider_chosen_in_the_panel(
    alice_client, alice, bob, conversation
):
    from chat.models import Provider

    own = Provider.objects.create(owner=alice, name="Mine", base_url="https://models.example/v1")
    theirs = Provider.objects.create(owner=bob, name="Bob's", base_url="https://bob.example/v1")
    url = reverse("chat-code", args=[conversation.pk])
    data = {"prompt": "Hi", "model": "kimi-k2-thinking", "provider": str(own.pk)}
    html = alice_client.post(url, data).content.decode()
    assert "https://models.example/v1/chat/completions" in html
    refused = alice_client.post(url, {**data, "provider": str(theirs.pk)})
    assert refused.status_code == 400 and "bob.example" not in refused.content.decode()
    conversation.refresh_from_db()
    assert conversation.provider_id is None  # showing code saves nothing
