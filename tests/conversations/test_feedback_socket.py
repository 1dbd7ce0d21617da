"""What the socket tells the page beside Send and for the sidebar."""

from __future__ import annotations

import json

import pytest

from tests.sockets import connect, form, frames_until, is_done

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("upstream_is_simulator", "close_thread_connections"),
]


def _is_invalid(frame: str) -> bool:
    return frame.startswith("{") and json.loads(frame).get("event") == "invalid"


async def test_a_bad_parameter_on_send_is_summarised_beside_send(alice_cookie, conversation):
    ws = await connect(alice_cookie, conversation.pk)
    await ws.send_json_to(form("Hello", temperature="3"))
    frames = await frames_until(ws, _is_invalid)
    await ws.disconnect()
    shown = "".join(frames)
    assert (
        '<hx-partial hx-target="#param-summary" hx-swap="innerHTML"><p>'
        '<a href="#param-temperature" data-focus-field="param-temperature">'
        "Temperature must be between 0 and 2.</a></p></hx-partial>"
    ) in shown


async def test_a_started_prompt_tells_the_sidebar_to_redraw(alice_cookie, conversation):
    ws = await connect(alice_cookie, conversation.pk)
    await ws.send_json_to(form("Explain recursion [[sim:words=3]]"))
    frames = await frames_until(ws, is_done)
    await ws.disconnect()
    assert '{"event": "listed"}' in frames
