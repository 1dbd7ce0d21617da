"""The conversation socket, against the simulator on a real port."""

from __future__ import annotations

import asyncio
import json
import re
import time

import httpx
import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import connections
from django.test import Client

from chat import generation
from chat.models import Conversation, Message
from playground.asgi import application

pytestmark = pytest.mark.django_db(transaction=True)

ORIGIN = (b"origin", b"http://127.0.0.1")
FRAME_TIMEOUT = 10


@pytest.fixture
def alice(django_user_model):
    """Alice owns the conversation under test."""
    return django_user_model.objects.create_user("alice", password="pw-alice-123")


@pytest.fixture
def bob(django_user_model):
    """Bob is signed in too, and must see nothing of Alice's."""
    return django_user_model.objects.create_user("bob", password="pw-bob-123")


@pytest.fixture
def conversation(alice):
    return Conversation.objects.create(owner=alice)


@pytest.fixture(autouse=True)
async def close_thread_connections():
    """The async ORM's worker thread keeps a connection; close it so test databases can go."""
    yield
    await sync_to_async(connections.close_all)()


@pytest.fixture(autouse=True)
def upstream_is_simulator(settings, simulator_url):
    settings.PLAYGROUND_API_BASE = simulator_url
    httpx.delete(simulator_url.removesuffix("/v1") + "/_sim/requests")
    return simulator_url


def _cookie(user) -> tuple[bytes, bytes]:
    client = Client()
    client.force_login(user)
    return (b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode())


@pytest.fixture
def alice_cookie(alice):
    return _cookie(alice)


@pytest.fixture
def bob_cookie(bob):
    return _cookie(bob)


async def _connect(cookie, conversation_id) -> WebsocketCommunicator:
    headers = [ORIGIN, cookie]
    communicator = WebsocketCommunicator(application, f"/ws/c/{conversation_id}/", headers)
    connected, _ = await communicator.connect()
    assert connected
    return communicator


def _form(prompt: str, **fields) -> dict:
    return {
        "action": "send",
        "prompt": prompt,
        "model": "kimi-k2-thinking",
        "stream": "true",
        **fields,
    }


async def _frames_until(communicator, predicate) -> list[str]:
    """Collect text frames until one satisfies predicate (an event awaited, never a sleep)."""
    frames = []
    deadline = time.monotonic() + FRAME_TIMEOUT
    while True:
        frame = await communicator.receive_from(timeout=max(deadline - time.monotonic(), 0.01))
        frames.append(frame)
        if predicate(frame):
            return frames


def _is_done(frame: str) -> bool:
    return frame.startswith("{") and json.loads(frame) == {"event": "streaming", "active": False}


async def _wait_generations():
    await asyncio.gather(*generation.RUNNING)


def _recorded(simulator_url) -> list[dict]:
    return httpx.get(simulator_url.removesuffix("/v1") + "/_sim/requests").json()


async def test_it_streams_reasoning_before_answer(alice_cookie, conversation):
    ws = await _connect(alice_cookie, conversation.pk)
    await ws.send_json_to(_form("Explain recursion"))
    frames = await _frames_until(ws, _is_done)
    await ws.disconnect()
    stream = "".join(frames)
    first_reasoning = stream.index('hx-target="#reasoning-text-')
    first_answer = stream.index('hx-target="#answer-text-')
    assert first_reasoning < first_answer
    message = await Message.objects.aget(conversation=conversation, role="assistant")
    assert message.status == "complete"
    assert message.reasoning and message.content
    assert message.finish_reason == "stop"
    assert message.usage["completion_tokens"] > 0
    assert message.first_reasoning_at <= message.first_content_at <= message.finished_at
    assert 'data-status="complete"' in frames[-2]


async def test_deltas_are_appended_escaped_never_resent(alice_cookie, conversation):
    ws = await _connect(alice_cookie, conversation.pk)
    await ws.send_json_to(_form("Tell me about <script>alert(1)</script> tags"))
    frames = await _frames_until(ws, _is_done)
    await ws.disconnect()
    message = await Message.objects.aget(conversation=conversation, role="assistant")
    appended = "".join(
        m.group(1)
        for f in frames
        for m in re.finditer(
            rf'hx-target="#answer-text-{message.pk}" hx-swap="beforeend">(.*?)</hx-partial>',
            f,
            re.S,
        )
    )
    from html import unescape

    assert unescape(appended) == message.content
    assert "<script>" not in "".join(frames)


async def test_stop_closes_the_stream_and_keeps_the_partial_text(alice_cookie, conversation):
    ws = await _connect(alice_cookie, conversation.pk)
    await ws.send_json_to(_form("A long story [[sim:tps=30]] [[sim:words=600]]"))
    await _frames_until(ws, lambda f: "beforeend" in f)
    stopped_at = time.monotonic()
    await ws.send_json_to({"action": "stop"})
    frames = await _frames_until(ws, _is_done)
    assert time.monotonic() - stopped_at < 1.0
    await ws.disconnect()
    await _wait_generations()
    message = await Message.objects.aget(conversation=conversation, role="assistant")
    assert message.status == "stopped"
    assert message.reasoning  # what arrived is kept
    assert len(message.content.split()) < 600
    assert 'data-status="stopped"' in "".join(frames)


async def test_an_anonymous_socket_is_refused(conversation):
    communicator = WebsocketCommunicator(application, f"/ws/c/{conversation.pk}/", [ORIGIN])
    connected, _ = await communicator.connect()
    assert not connected


async def test_a_foreign_conversation_is_refused(bob_cookie, conversation):
    communicator = WebsocketCommunicator(
        application, f"/ws/c/{conversation.pk}/", [ORIGIN, bob_cookie]
    )
    connected, _ = await communicator.connect()
    assert not connected


async def test_a_bad_origin_is_refused(alice_cookie, conversation):
    communicator = WebsocketCommunicator(
        application,
        f"/ws/c/{conversation.pk}/",
        [(b"origin", b"http://evil.example"), alice_cookie],
    )
    connected, _ = await communicator.connect()
    assert not connected


async def test_invalid_parameters_are_refused_with_field_messages_and_no_upstream_call(
    alice_cookie, conversation, simulator_url
):
    ws = await _connect(alice_cookie, conversation.pk)
    await ws.send_json_to(_form("Hi", temperature="2.5", stop="a\nb\nc\nd\ne\nf"))
    frames = await _frames_until(ws, lambda f: f.startswith('{"event": "invalid"'))
    await ws.disconnect()
    errors = frames[0]
    assert re.search(r'#error-temperature" hx-swap="innerHTML">[^<]*between 0 and 2', errors)
    assert re.search(r'#error-stop" hx-swap="innerHTML">[^<]*At most 5', errors)
    assert json.loads(frames[-1])["fields"] == ["stop", "temperature"]
    assert await Message.objects.filter(conversation=conversation).acount() == 0
    assert _recorded(simulator_url) == []


async def test_an_empty_prompt_is_refused(alice_cookie, conversation):
    ws = await _connect(alice_cookie, conversation.pk)
    await ws.send_json_to(_form("   "))
    frames = await _frames_until(ws, lambda f: f.startswith('{"event": "invalid"'))
    await ws.disconnect()
    assert "Write a message first." in frames[0]
    assert await Message.objects.filter(conversation=conversation).acount() == 0


async def test_follow_ups_carry_the_conversation_without_reasoning(
    alice_cookie, conversation, simulator_url
):
    ws = await _connect(alice_cookie, conversation.pk)
    await ws.send_json_to(_form("First question", system_prompt="Be brief."))
    await _frames_until(ws, _is_done)
    await ws.send_json_to(_form("Second question", system_prompt="Be brief."))
    await _frames_until(ws, _is_done)
    await ws.disconnect()
    sent = _recorded(simulator_url)[-1]
    first_answer = await Message.objects.filter(role="assistant").order_by("id").afirst()
    assert sent["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "First question"},
        {"role": "assistant", "content": first_answer.content},
        {"role": "user", "content": "Second question"},
    ]


async def test_the_exact_parameters_sent_are_kept(alice_cookie, conversation, simulator_url):
    ws = await _connect(alice_cookie, conversation.pk)
    await ws.send_json_to(_form("Hi", temperature="0.3", max_tokens="500", top_k=""))
    await _frames_until(ws, _is_done)
    await ws.disconnect()
    sent = _recorded(simulator_url)[-1]
    assert sent["temperature"] == 0.3 and sent["max_tokens"] == 500
    assert "top_k" not in sent  # unset fields are left out, never null
    message = await Message.objects.aget(role="assistant")
    assert message.request_params == {k: v for k, v in sent.items() if k != "messages"}


async def test_n_choices_stream_as_separate_messages(alice_cookie, conversation):
    ws = await _connect(alice_cookie, conversation.pk)
    await ws.send_json_to(_form("Hi", n="3"))
    await _frames_until(ws, _is_done)
    await ws.disconnect()
    answers = [m async for m in Message.objects.filter(role="assistant").order_by("choice_index")]
    assert [m.choice_index for m in answers] == [0, 1, 2]
    assert len({m.content for m in answers}) == 3
    assert all(m.status == "complete" for m in answers)


async def test_a_rate_limit_shows_a_readable_error_and_keeps_the_prompt(alice_cookie, conversation):
    ws = await _connect(alice_cookie, conversation.pk)
    await ws.send_json_to(_form("Hello [[sim:fault=429]]"))
    frames = await _frames_until(ws, _is_done)
    await ws.disconnect()
    message = await Message.objects.aget(role="assistant")
    assert message.status == "error"
    assert "429" in message.error and "7 s" in message.error
    assert await Message.objects.filter(role="user", content__startswith="Hello").aexists()
    assert 'data-status="error"' in "".join(frames)


async def test_a_streamed_message_is_written_a_bounded_number_of_times(alice_cookie, conversation):
    ws = await _connect(alice_cookie, conversation.pk)
    started = time.monotonic()
    await ws.send_json_to(_form("Go [[sim:tps=1500]] [[sim:words=1500]] [[sim:reasoning=500]]"))
    await _frames_until(ws, _is_done)
    elapsed = time.monotonic() - started
    await ws.disconnect()
    message = await Message.objects.aget(role="assistant")
    assert len(message.content.split()) > 1000
    # About one write a second while streaming, plus the final one: never one per token.
    assert message.revision <= elapsed / generation.SAVE_INTERVAL + 2


async def test_a_second_socket_joining_mid_stream_catches_up(alice_cookie, conversation):
    first = await _connect(alice_cookie, conversation.pk)
    await first.send_json_to(_form("Story [[sim:tps=60]] [[sim:words=60]] [[sim:reasoning=20]]"))
    await _frames_until(first, lambda f: "#answer-text-" in f and "beforeend" in f)
    second = await _connect(alice_cookie, conversation.pk)
    frames = await _frames_until(second, _is_done)
    await _frames_until(first, _is_done)
    await first.disconnect()
    await second.disconnect()
    message = await Message.objects.aget(role="assistant")
    snapshot = next(f for f in frames if f'#answer-text-{message.pk}" hx-swap="innerHTML"' in f)
    assert snapshot  # the late page got everything so far at once, then the rest live
    assert 'data-status="complete"' in frames[-2]


async def test_closing_the_socket_does_not_stop_the_generation(alice_cookie, conversation):
    ws = await _connect(alice_cookie, conversation.pk)
    await ws.send_json_to(_form("Hi [[sim:tps=200]] [[sim:words=80]]"))
    await _frames_until(ws, lambda f: "beforeend" in f)
    await ws.disconnect()
    await _wait_generations()
    message = await Message.objects.aget(role="assistant")
    assert message.status == "complete"
    assert len(message.content.split()) >= 60


async def test_with_stream_off_the_answer_arrives_whole(alice_cookie, conversation, simulator_url):
    ws = await _connect(alice_cookie, conversation.pk)
    form = _form("Hi")
    del form["stream"]  # an unchecked checkbox sends nothing
    await ws.send_json_to(form)
    await _frames_until(ws, _is_done)
    await ws.disconnect()
    assert _recorded(simulator_url)[-1].get("stream") is not True
    message = await Message.objects.aget(role="assistant")
    assert message.status == "complete" and message.content and message.reasoning
    assert message.usage["total_tokens"] > 0


async def test_a_tool_call_is_kept_with_its_reasoning(alice_cookie, conversation):
    tools = json.dumps(
        [
            {
                "type": "function",
                "function": {
                    "name": "get_weather",
                    "description": "Current weather in a city",
                    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
                },
            }
        ]
    )
    ws = await _connect(alice_cookie, conversation.pk)
    await ws.send_json_to(_form("What is the weather in Paris?", tools=tools))
    frames = await _frames_until(ws, _is_done)
    await ws.disconnect()
    message = await Message.objects.aget(role="assistant")
    assert message.finish_reason == "tool_calls"
    assert message.tool_calls[0]["function"]["name"] == "get_weather"
    assert json.loads(message.tool_calls[0]["function"]["arguments"])
    assert message.reasoning
    assert "get_weather(" in "".join(frames)
