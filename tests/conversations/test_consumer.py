"""The conversation socket, against the simulator on a real port."""

from __future__ import annotations

import json
import re
import time

import pytest
from channels.testing import WebsocketCommunicator

from chat.conversations import frames, generation
from chat.models import Message
from playground.asgi import application
from tests.sockets import (
    FRAME_TIMEOUT,
    ORIGIN,
    appended,
    connect,
    deltas,
    form,
    frames_until,
    is_delta,
    is_done,
    recorded,
    wait_generations,
)

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("upstream_is_simulator", "close_thread_connections"),
]


async def test_it_streams_reasoning_before_answer(alice_cookie, conversation):
    ws = await connect(alice_cookie, conversation.pk)
    await ws.send_json_to(form("Explain recursion"))
    frames = await frames_until(ws, is_done)
    await ws.disconnect()
    message = await Message.objects.aget(conversation=conversation, role="assistant")
    panes = [key for frame in frames for key in deltas(frame)]
    assert panes.index(f"r{message.pk}") < panes.index(f"a{message.pk}")
    assert message.status == "complete"
    assert message.reasoning and message.content
    assert message.finish_reason == "stop"
    assert message.usage["completion_tokens"] > 0
    assert message.first_reasoning_at <= message.first_content_at <= message.finished_at
    assert 'data-status="complete"' in frames[-2]


async def test_deltas_are_appended_as_raw_text_never_resent(alice_cookie, conversation):
    ws = await connect(alice_cookie, conversation.pk)
    await ws.send_json_to(form("Tell me about <script>alert(1)</script> tags"))
    frames = await frames_until(ws, is_done)
    await ws.disconnect()
    message = await Message.objects.aget(conversation=conversation, role="assistant")
    # Delta frames carry raw text (the page appends it as text nodes, never as HTML);
    # together they are the answer exactly once.
    assert appended(frames, f"a{message.pk}") == message.content
    assert appended(frames, f"r{message.pk}") == message.reasoning
    # Whatever is HTML (cards, snapshots) has the model's text escaped.
    assert "<script>" not in "".join(f for f in frames if not is_delta(f))


async def test_stop_closes_the_stream_and_keeps_the_partial_text(alice_cookie, conversation):
    ws = await connect(alice_cookie, conversation.pk)
    await ws.send_json_to(form("A long story [[sim:tps=30]] [[sim:words=600]]"))
    await frames_until(ws, is_delta)
    await ws.send_json_to({"action": "stop"})
    frames = await frames_until(ws, is_done)
    await ws.disconnect()
    await wait_generations()
    message = await Message.objects.aget(conversation=conversation, role="assistant")
    assert message.status == "stopped"
    assert message.reasoning  # what arrived is kept
    assert len(message.content.split()) < 600  # ended by the stop, not by the story's end
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


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"prompt": "NUL \x00"}, "prompt", "contains a NUL character"),
        ({"system_prompt": "\x00"}, "system_prompt", "contains a NUL character"),
        ({"model": "m" * 201}, "model", "at most 200 characters"),
        ({"tools": "[" * 100_000 + "]" * 100_000}, "tools", "nested too deeply"),
    ],
)
async def test_what_cannot_be_kept_is_refused_on_the_socket_and_nothing_saved(
    alice_cookie, conversation, simulator_url, fields, field, message
):
    ws = await connect(alice_cookie, conversation.pk)
    await ws.send_json_to({**form("Hi"), **fields})
    frames = await frames_until(ws, lambda f: f.startswith('{"event": "invalid"'))
    await ws.disconnect()
    assert re.search(rf'#error-{field}" hx-swap="innerHTML">[^<]*{message}', "".join(frames))
    assert await Message.objects.filter(conversation=conversation).acount() == 0
    assert recorded(simulator_url) == []


async def test_invalid_parameters_are_refused_with_field_messages_and_no_upstream_call(
    alice_cookie, conversation, simulator_url
):
    ws = await connect(alice_cookie, conversation.pk)
    await ws.send_json_to(form("Hi", temperature="2.5", stop="a\nb\nc\nd\ne\nf"))
    frames = await frames_until(ws, lambda f: f.startswith('{"event": "invalid"'))
    await ws.disconnect()
    errors = frames[0]
    assert re.search(r'#error-temperature" hx-swap="innerHTML">[^<]*between 0 and 2', errors)
    assert re.search(r'#error-stop" hx-swap="innerHTML">[^<]*At most 5', errors)
    assert json.loads(frames[-1])["fields"] == ["stop", "temperature"]
    assert await Message.objects.filter(conversation=conversation).acount() == 0
    assert recorded(simulator_url) == []


async def test_an_empty_prompt_is_refused(alice_cookie, conversation):
    ws = await connect(alice_cookie, conversation.pk)
    await ws.send_json_to(form("   "))
    frames = await frames_until(ws, lambda f: f.startswith('{"event": "invalid"'))
    await ws.disconnect()
    assert "Write a message first." in frames[0]
    assert await Message.objects.filter(conversation=conversation).acount() == 0


async def test_follow_ups_carry_the_conversation_without_reasoning(
    alice_cookie, conversation, simulator_url
):
    ws = await connect(alice_cookie, conversation.pk)
    await ws.send_json_to(form("First question", system_prompt="Be brief."))
    await frames_until(ws, is_done)
    await ws.send_json_to(form("Second question", system_prompt="Be brief."))
    await frames_until(ws, is_done)
    await ws.disconnect()
    sent = recorded(simulator_url)[-1]
    first_answer = await Message.objects.filter(role="assistant").order_by("id").afirst()
    assert sent["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "First question"},
        {"role": "assistant", "content": first_answer.content},
        {"role": "user", "content": "Second question"},
    ]


async def test_the_exact_parameters_sent_are_kept(alice_cookie, conversation, simulator_url):
    ws = await connect(alice_cookie, conversation.pk)
    await ws.send_json_to(form("Hi", temperature="0.3", max_tokens="500", top_k=""))
    await frames_until(ws, is_done)
    await ws.disconnect()
    sent = recorded(simulator_url)[-1]
    assert sent["temperature"] == 0.3 and sent["max_tokens"] == 500
    assert "top_k" not in sent  # unset fields are left out, never null
    message = await Message.objects.aget(role="assistant")
    assert message.request_params == {k: v for k, v in sent.items() if k != "messages"}


async def test_n_choices_stream_as_separate_messages(alice_cookie, conversation):
    ws = await connect(alice_cookie, conversation.pk)
    await ws.send_json_to(form("Hi", n="3"))
    await frames_until(ws, is_done)
    await ws.disconnect()
    answers = [m async for m in Message.objects.filter(role="assistant").order_by("choice_index")]
    assert [m.choice_index for m in answers] == [0, 1, 2]
    assert len({m.content for m in answers}) == 3
    assert all(m.status == "complete" for m in answers)


async def test_a_rate_limit_shows_a_readable_error_and_keeps_the_prompt(alice_cookie, conversation):
    ws = await connect(alice_cookie, conversation.pk)
    await ws.send_json_to(form("Hello [[sim:fault=429]]"))
    frames = await frames_until(ws, is_done)
    await ws.disconnect()
    message = await Message.objects.aget(role="assistant")
    assert message.status == "error"
    assert "429" in message.error and "7 s" in message.error
    assert await Message.objects.filter(role="user", content__startswith="Hello").aexists()
    assert 'data-status="error"' in "".join(frames)


async def test_a_streamed_message_is_written_a_bounded_number_of_times(alice_cookie, conversation):
    ws = await connect(alice_cookie, conversation.pk)
    started = time.monotonic()
    await ws.send_json_to(form("Go [[sim:tps=1500]] [[sim:words=1500]] [[sim:reasoning=500]]"))
    await frames_until(ws, is_done)
    elapsed = time.monotonic() - started
    await ws.disconnect()
    message = await Message.objects.aget(role="assistant")
    assert len(message.content.split()) > 1000
    # About one write a second while streaming, plus the final one: never one per token.
    assert message.revision <= elapsed / generation.SAVE_INTERVAL + 2


async def test_a_second_socket_joining_mid_stream_catches_up(alice_cookie, conversation):
    first = await connect(alice_cookie, conversation.pk)
    await first.send_json_to(form("Story [[sim:tps=60]] [[sim:words=60]] [[sim:reasoning=20]]"))
    await frames_until(first, lambda f: any(k.startswith("a") for k in deltas(f)))
    second = await connect(alice_cookie, conversation.pk)
    frames = await frames_until(second, is_done)
    await frames_until(first, is_done)
    await first.disconnect()
    await second.disconnect()
    message = await Message.objects.aget(role="assistant")
    snapshot = next(f for f in frames if f'#answer-text-{message.pk}" hx-swap="innerHTML"' in f)
    assert snapshot  # the late page got everything so far at once, then the rest live
    assert 'data-status="complete"' in frames[-2]


async def test_closing_the_socket_does_not_stop_the_generation(alice_cookie, conversation):
    ws = await connect(alice_cookie, conversation.pk)
    await ws.send_json_to(form("Hi [[sim:tps=200]] [[sim:words=80]]"))
    await frames_until(ws, is_delta)
    await ws.disconnect()
    await wait_generations()
    message = await Message.objects.aget(role="assistant")
    assert message.status == "complete"
    assert len(message.content.split()) >= 60


async def test_with_stream_off_the_answer_arrives_whole(alice_cookie, conversation, simulator_url):
    ws = await connect(alice_cookie, conversation.pk)
    fields = form("Hi")
    del fields["stream"]  # an unchecked checkbox sends nothing
    await ws.send_json_to(fields)
    await frames_until(ws, is_done)
    await ws.disconnect()
    assert recorded(simulator_url)[-1].get("stream") is not True
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
    ws = await connect(alice_cookie, conversation.pk)
    await ws.send_json_to(form("What is the weather in Paris?", tools=tools))
    frames = await frames_until(ws, is_done)
    await ws.disconnect()
    message = await Message.objects.aget(role="assistant")
    assert message.finish_reason == "tool_calls"
    assert message.tool_calls[0]["function"]["name"] == "get_weather"
    assert json.loads(message.tool_calls[0]["function"]["arguments"])
    assert message.reasoning
    assert '<code class="tool-name">get_weather</code>' in "".join(frames)


# The composer's Send/Stop, as the server swaps it in (conversation.html#composer-actions).
SEND_STOP = re.compile(
    r'<hx-partial hx-target="#composer-actions" hx-swap="outerHTML">(.*?)</hx-partial>', re.S
)


def _buttons(html: str) -> tuple[str, str]:
    """The Stop and Send buttons' opening tags in a Send/Stop fragment."""
    stop = re.search(r"<button[^>]*data-stop[^>]*>", html)
    send = re.search(r"<button[^>]*data-send[^>]*>", html)
    assert stop and send
    return stop.group(0), send.group(0)


async def test_the_server_shows_stop_while_a_generation_streams_and_send_after(
    alice_cookie, conversation
):
    ws = await connect(alice_cookie, conversation.pk)
    await ws.send_json_to(form("Hi"))
    frames = await frames_until(ws, is_done)
    await ws.disconnect()
    started, ended = [html for frame in frames for html in SEND_STOP.findall(frame)]
    stop, send = _buttons(started)
    assert "hidden" not in stop and "disabled" in send
    stop, send = _buttons(ended)
    assert "hidden" in stop and "disabled" not in send
    # The end's Send/Stop comes with the finished card, in the same frame.
    assert 'data-status="complete"' in frames[-2] and SEND_STOP.search(frames[-2])


async def test_a_page_connecting_mid_stream_is_shown_stop_first(alice_cookie, conversation):
    first = await connect(alice_cookie, conversation.pk)
    await first.send_json_to(form("Story [[sim:tps=20]] [[sim:words=400]]"))
    await frames_until(first, is_delta)
    second = await connect(alice_cookie, conversation.pk)
    joined = await second.receive_from(timeout=FRAME_TIMEOUT)
    await first.send_json_to({"action": "stop"})
    await frames_until(first, is_done)
    frames = await frames_until(second, is_done)
    await first.disconnect()
    await second.disconnect()
    stop, send = _buttons(SEND_STOP.fullmatch(joined).group(1))
    assert "hidden" not in stop and "disabled" in send
    stop, send = _buttons(SEND_STOP.search(frames[-2]).group(1))
    assert "hidden" in stop and "disabled" not in send


async def test_a_sent_prompt_gets_the_panels_advice_as_the_page_renders_it(
    alice_cookie, conversation
):
    ws = await connect(alice_cookie, conversation.pk)
    await ws.send_json_to(form("Hi", temperature="0.3", top_p="0.5"))
    frames = await frames_until(ws, is_done)
    await ws.disconnect()
    advice = next(f for f in frames if 'hx-target="#advice"' in f)
    assert (
        '<hx-partial hx-target="#advice" hx-swap="innerHTML"><p>Changing both temperature and '
        "top_p is not recommended; adjust one of them.</p><p>1.0 is the recommended temperature"
    ) in advice


@pytest.mark.parametrize(
    ("text", "data"),
    [('["send"]', None), ('"send"', None), ("send it", None), (None, b"\x00\x01")],
    ids=["json-list", "json-string", "not-json", "binary"],
)
async def test_a_bad_frame_is_answered_and_the_socket_stays_open(
    alice_cookie, conversation, text, data
):
    ws = await connect(alice_cookie, conversation.pk)
    await ws.send_to(text_data=text, bytes_data=data)
    reply = await ws.receive_from(timeout=FRAME_TIMEOUT)
    assert 'hx-target="#error-prompt"' in reply
    assert "Reload the page and try again." in reply
    # Still open and working: a real prompt is answered.
    await ws.send_json_to(form("Explain recursion"))
    await frames_until(ws, is_done)
    await ws.disconnect()


async def test_a_frame_over_the_limit_says_so_and_starts_nothing(alice_cookie, conversation):
    ws = await connect(alice_cookie, conversation.pk)
    await ws.send_json_to(form("😀" * (frames.MAX_FRAME_BYTES // 4 + 1)))
    reply = await ws.receive_from(timeout=FRAME_TIMEOUT)
    assert "That message is too big to send" in reply
    assert not await Message.objects.filter(conversation=conversation).aexists()
    await ws.disconnect()
