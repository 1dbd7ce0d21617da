"""JSON mode on the conversation page: the answer card says "Valid JSON" (the object
pretty-printed, collapsible) or "Invalid JSON" (where parsing failed), and the panel
reminds the person that the prompt must ask for JSON. The upstream is the simulator."""

from __future__ import annotations

import json

import pytest
from django.utils.html import escape

from chat.api import jsonmode
from chat.models import Message
from tests.sockets import connect, form, frames_until, is_done

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("upstream_is_simulator", "close_thread_connections"),
]


async def _answer(cookie, conversation, **fields) -> tuple[Message, str]:
    """The one answer to a prompt, and its card as the page is sent it at the end."""
    ws = await connect(cookie, conversation.pk)
    await ws.send_json_to(form(**fields))
    frames = await frames_until(ws, is_done)
    await ws.disconnect()
    answer = await Message.objects.aget(conversation=conversation, role="assistant")
    final = "".join(frames)
    return answer, final[final.rindex(f'id="message-{answer.pk}"') :]


async def test_a_valid_json_answer_is_labelled_and_pretty_printed(alice_cookie, conversation):
    answer, card = await _answer(
        alice_cookie,
        conversation,
        prompt="List three fruits as JSON",
        response_format="json_object",
    )
    assert answer.finish_reason == "stop"
    pretty = json.dumps(json.loads(answer.content), indent=2, ensure_ascii=False)
    assert "Valid JSON" in card and "Invalid JSON" not in card
    assert '<details open class="json-check json-valid">' in card
    assert f"<pre><code>{escape(pretty)}</code></pre>" in card


async def test_a_cut_json_answer_is_labelled_invalid_with_line_and_column(
    alice_cookie, conversation
):
    answer, card = await _answer(
        alice_cookie,
        conversation,
        prompt="List fruits as JSON [[sim:reasoning=5]]",
        response_format="json_object",
        max_tokens="25",
    )
    assert answer.finish_reason == "length"
    problem = jsonmode.check(answer.content)
    assert not problem.valid and problem.line >= 1 and problem.column >= 1
    assert "Invalid JSON" in card and "Valid JSON" not in card
    assert f"at line {problem.line}, column {problem.column}." in card
    assert f"<pre><code>{escape(answer.content)}</code></pre>" in card  # the text as sent


async def test_a_text_answer_carries_no_json_label(alice_cookie, conversation):
    _, card = await _answer(alice_cookie, conversation, prompt="Say hi")
    assert "Valid JSON" not in card and "Invalid JSON" not in card


NOT_MENTIONED = "Your prompt does not mention JSON yet."


async def _advice_after_send(cookie, conversation, **fields) -> str:
    ws = await connect(cookie, conversation.pk)
    await ws.send_json_to(form(response_format="json_object", **fields))
    frames = await frames_until(ws, is_done)
    await ws.disconnect()
    return next(f for f in frames if 'hx-target="#advice"' in f)


async def test_after_send_the_advice_reads_the_system_prompt_sent(alice_cookie, conversation):
    advice = await _advice_after_send(
        alice_cookie, conversation, prompt="List three fruits", system_prompt="Answer in JSON."
    )
    assert "ask for JSON explicitly" in advice and NOT_MENTIONED not in advice


async def test_after_send_the_advice_reads_the_earlier_turns_sent(alice_cookie, conversation):
    await _advice_after_send(alice_cookie, conversation, prompt="List three fruits as JSON")
    advice = await _advice_after_send(alice_cookie, conversation, prompt="And three vegetables")
    assert "ask for JSON explicitly" in advice and NOT_MENTIONED not in advice


async def test_after_send_the_advice_says_when_nothing_sent_mentions_json(
    alice_cookie, conversation
):
    advice = await _advice_after_send(alice_cookie, conversation, prompt="List three fruits")
    assert NOT_MENTIONED in advice
