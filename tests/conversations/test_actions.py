"""Branches: edit-and-resend, regenerate, run again, continue, switch, fork."""

from __future__ import annotations

import pytest

from chat.api import rules
from chat.models import Conversation, Message
from tests.sockets import connect, form, frames_until, is_done, recorded

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("upstream_is_simulator", "close_thread_connections"),
]


async def _turn(ws, **fields) -> list[str]:
    await ws.send_json_to(fields)
    return await frames_until(ws, is_done)


async def _answers(conversation) -> list[Message]:
    return [
        m
        async for m in Message.objects.filter(conversation=conversation, role="assistant").order_by(
            "id"
        )
    ]


async def _leaf(conversation) -> Message:
    fresh = await Conversation.objects.select_related("current_leaf").aget(pk=conversation.pk)
    return fresh.current_leaf


async def test_editing_a_prompt_makes_a_branch_and_the_arrows_switch(
    alice_cookie, conversation, simulator_url
):
    ws = await connect(alice_cookie, conversation.pk)
    await _turn(ws, **form("First question"))
    await _turn(ws, **form("Follow-up"))
    first = await Message.objects.aget(role="user", content="First question")
    frames = await _turn(
        ws, **form("", action=f"edit:{first.pk}", **{f"edit-{first.pk}": "Better question"})
    )
    edited = await Message.objects.aget(role="user", content="Better question")
    assert edited.parent_id == first.parent_id  # a sibling of the original prompt
    assert recorded(simulator_url)[-1]["messages"] == [
        {"role": "user", "content": "Better question"}
    ]  # the new branch forgets the old follow-up
    # The new branch's turn is sent at its start: the second of two prompts.
    started = next(f for f in frames if 'hx-target="#turns"' in f)
    assert "1 / 2" not in started and "2 / 2" in started
    # Back to the first version: its follow-up is on the visible path again.
    await ws.send_json_to(form("", action=f"switch:{first.pk}"))
    html = (await frames_until(ws, lambda f: "1 / 2" in f))[-1]
    assert "Follow-up" in html and "Better question" not in html.split("1 / 2")[1][:200]
    await ws.disconnect()
    leaf = await _leaf(conversation)
    assert leaf.role == "assistant"
    follow_up = await Message.objects.aget(pk=leaf.parent_id)
    assert follow_up.content == "Follow-up"


async def test_the_visible_path_is_what_goes_upstream_next(
    alice_cookie, conversation, simulator_url
):
    ws = await connect(alice_cookie, conversation.pk)
    await _turn(ws, **form("One"))
    first = await Message.objects.aget(role="user", content="One")
    await _turn(ws, **form("", action=f"edit:{first.pk}", **{f"edit-{first.pk}": "Two"}))
    await ws.send_json_to(form("", action=f"switch:{first.pk}"))
    await frames_until(ws, lambda f: "1 / 2" in f)
    await _turn(ws, **form("Three"))
    await ws.disconnect()
    sent = [m["content"] for m in recorded(simulator_url)[-1]["messages"]]
    assert sent[0] == "One" and sent[-1] == "Three" and "Two" not in sent


async def test_regenerate_adds_a_sibling_answer_with_the_current_parameters(
    alice_cookie, conversation, simulator_url
):
    ws = await connect(alice_cookie, conversation.pk)
    await _turn(ws, **form("Hello", temperature="0.2"))
    (original,) = await _answers(conversation)
    frames = await _turn(ws, **form("", action=f"regenerate:{original.pk}", temperature="1.5"))
    await ws.disconnect()
    _, regenerated = await _answers(conversation)
    assert regenerated.parent_id == original.parent_id
    assert regenerated.batch != original.batch
    assert regenerated.content != original.content
    assert recorded(simulator_url)[-1]["temperature"] == 1.5
    assert "2 / 2" in next(f for f in frames if 'hx-target="#turns"' in f)
    assert (await _leaf(conversation)).pk == regenerated.pk


async def test_run_again_sends_exactly_the_same_request(alice_cookie, conversation, simulator_url):
    ws = await connect(alice_cookie, conversation.pk)
    await _turn(ws, **form("Hello", temperature="0.7", max_tokens="300"))
    (original,) = await _answers(conversation)
    await _turn(ws, **form("", action=f"rerun:{original.pk}", temperature="2"))
    await ws.disconnect()
    first, second = recorded(simulator_url)[-2:]
    assert first == second
    _, again = await _answers(conversation)
    assert again.content == original.content  # same request, same (deterministic) answer


async def test_continue_appends_to_a_stopped_answer_through_partial_mode(
    alice_cookie, conversation, simulator_url
):
    ws = await connect(alice_cookie, conversation.pk)
    await _turn(ws, **form("Tell a story", max_tokens="50"))
    (answer,) = await _answers(conversation)
    assert answer.finish_reason == "length"
    before = answer.content
    await _turn(ws, **form("", action=f"continue:{answer.pk}"))
    await ws.disconnect()
    sent = recorded(simulator_url)[-1]
    assert sent["messages"][-1] == {"role": "assistant", "content": before, "partial": True}
    await answer.arefresh_from_db()
    assert answer.content.startswith(before) and len(answer.content) > len(before)
    assert answer.status == "complete"
    assert await Message.objects.filter(role="assistant").acount() == 1  # the same answer


async def test_continue_in_json_mode_is_refused_with_the_apis_reason_and_starts_nothing(
    alice_cookie, conversation, simulator_url
):
    ws = await connect(alice_cookie, conversation.pk)
    frames = await _turn(ws, **form("Give JSON", response_format="json_object", max_tokens="45"))
    (answer,) = await _answers(conversation)
    assert answer.finish_reason == "length"
    # The button is there, and says why it cannot work.
    assert f"Cannot continue in JSON mode: {rules.PARTIAL_WITH_JSON}" in frames[-2]
    requests = len(recorded(simulator_url))
    await ws.send_json_to(form("", action=f"continue:{answer.pk}"))
    shown = await frames_until(ws, lambda f: f.startswith('{"event": "invalid"'))
    await ws.disconnect()
    beside_send = next(f for f in shown if rules.PARTIAL_WITH_JSON in f)
    assert 'hx-target="#error-prompt"' in beside_send
    assert len(recorded(simulator_url)) == requests  # nothing was sent
    assert await Message.objects.filter(conversation=conversation).acount() == 2
    before = answer.content
    await answer.arefresh_from_db()
    assert (answer.status, answer.content) == ("complete", before)


async def test_a_message_of_another_conversation_is_refused(alice_cookie, alice, conversation, bob):
    others = await Conversation.objects.acreate(owner=bob)
    foreign = await Message.objects.acreate(conversation=others, role="assistant", content="x")
    mine_elsewhere = await Conversation.objects.acreate(owner=alice)
    own_other = await Message.objects.acreate(conversation=mine_elsewhere, role="user", content="y")
    ws = await connect(alice_cookie, conversation.pk)
    for target in (foreign, own_other):
        for verb in ("regenerate", "rerun", "continue", "switch", "edit"):
            await ws.send_json_to(form("", action=f"{verb}:{target.pk}"))
            frame = await ws.receive_from(timeout=5)
            assert "That message is not in this conversation." in frame
            await ws.receive_from(timeout=5)  # the "invalid" event
    await ws.disconnect()
    assert await Message.objects.acount() == 2
    assert (await Conversation.objects.aget(pk=conversation.pk)).current_leaf_id is None


async def test_a_continued_reasoning_starts_a_new_paragraph(
    alice_cookie, conversation, simulator_url
):
    ws = await connect(alice_cookie, conversation.pk)
    await _turn(ws, **form("Tell a story", max_tokens="50"))
    (answer,) = await _answers(conversation)
    before = answer.reasoning.rstrip("\n")
    await _turn(ws, **form("", action=f"continue:{answer.pk}"))
    await ws.disconnect()
    await answer.arefresh_from_db()
    assert before and answer.reasoning.startswith(before + "\n\n")
    assert answer.reasoning[len(before) + 2 :].strip()  # the new passage, not glued on
