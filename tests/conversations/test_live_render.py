"""Markdown rendered while it streams, as the page's socket sends it: render frames after
the text they cover, by the card's own renderer, to a page that joins late too."""

from __future__ import annotations

import json
from html import escape

import pytest

from chat.conversations.rendering import render_markdown
from chat.models import Message
from tests.sockets import connect, deltas, form, frames_until, is_done, wait_generations

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("upstream_is_simulator", "close_thread_connections"),
]

# The simulator's answer is Markdown: a heading, a paragraph, then **bold** bullets.
MARKDOWN = "Explain tides [[sim:tps=150]] [[sim:words=90]] [[sim:reasoning=20]]"


def renders(frame: str) -> dict[str, list]:
    """A render frame's panes ({"A17": [blocks, tail, upto]}), or {} for any other."""
    if not frame.startswith(('{"A', '{"R')):
        return {}
    return json.loads(frame)


def replay(frames: list[str], pane: str) -> tuple[str, str, list[tuple[int, int]]]:
    """What the page shows rendered of one pane ("a17"): the finished blocks (a plain
    paragraph set from its raw text, as static/js/stream.js does), the last tail, and
    per render (characters it covers, raw characters the page had then)."""
    text, done, blocks, tail, seen = "", 0, "", "", []
    for frame in frames:
        text += deltas(frame).get(pane, "")
        render = renders(frame).get(pane.upper())
        if render:
            for end, html in render[0]:
                blocks += (
                    html if html is not None else f"<p>{escape(text[done:end].rstrip())}</p>\n"
                )
                done = end
            tail = render[1]
            seen.append((render[2], len(text)))
    return blocks, tail, seen


async def _answer() -> Message:
    return await Message.objects.filter(role="assistant").alatest("id")


async def test_the_answer_is_rendered_as_it_streams(alice_cookie, conversation):
    ws = await connect(alice_cookie, conversation.pk)
    await ws.send_json_to(form(MARKDOWN))
    frames = await frames_until(ws, is_done)
    await ws.disconnect()
    answer = await _answer()
    card = render_markdown(answer.content)
    blocks, tail, seen = replay(frames, f"a{answer.pk}")
    assert seen, "the answer was rendered while it streamed"
    # Each render comes after the text it covers; the blocks are the card's, in order.
    assert all(upto <= raw for upto, raw in seen)
    assert card.startswith(blocks)
    assert "<strong>" in blocks + tail or "<li>" in blocks + tail or "<h3>" in blocks + tail
    # The simulator's reasoning is plain prose: shown raw as the paragraph it renders
    # as, its finished blocks (if any) rendered by the same path as the answer's.
    reasoning_blocks, reasoning_tail, _ = replay(frames, f"r{answer.pk}")
    assert render_markdown(answer.reasoning).startswith(reasoning_blocks)
    assert not reasoning_tail


async def test_render_frames_carry_only_sanitised_html(alice_cookie, conversation):
    ws = await connect(alice_cookie, conversation.pk)
    attack = "Look: <img src=x onerror=alert(1)> [x](javascript:alert(1)) [[sim:tps=200]]"
    await ws.send_json_to(form(attack))
    frames = await frames_until(ws, is_done)
    await ws.disconnect()
    rendered = [json.dumps(renders(frame)) for frame in frames if renders(frame)]
    assert rendered
    assert not any("<img" in r or "javascript:" in r or "onerror" in r for r in rendered)


async def test_a_page_that_joins_mid_stream_gets_its_panes_rendered(alice_cookie, conversation):
    owner = await connect(alice_cookie, conversation.pk)
    await owner.send_json_to(form("Explain waves [[sim:tps=40]] [[sim:words=80]]"))
    await frames_until(owner, lambda f: any(k.startswith("a") for k in deltas(f)))
    late = await connect(alice_cookie, conversation.pk)
    answer = await _answer()
    snapshot = await frames_until(late, lambda f: f"#answer-text-{answer.pk}" in f)
    assert 'class="md-tail"' in snapshot[-1]
    frames = await frames_until(late, is_done)
    await wait_generations()
    _, _, seen = replay(frames, f"a{answer.pk}")
    assert seen, "renders went on after the snapshot"
    await owner.disconnect()
    await late.disconnect()
