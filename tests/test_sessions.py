"""Open sockets end with their session: sign-out, a password change, an account disabled."""

from __future__ import annotations

import asyncio

import pytest
from asgiref.sync import sync_to_async
from django.contrib.auth.models import User
from django.test import Client

from chat.models import Comparison, Message
from playground.asgi import application
from tests.sockets import ORIGIN, connect, form

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("upstream_is_simulator", "close_thread_connections"),
]

CLOSE_TIMEOUT = 5  # the promise: closed within 5 s of the session's end


def _signed_in(user: User) -> tuple[Client, tuple[bytes, bytes]]:
    client = Client()
    client.force_login(user)
    return client, (b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode())


async def _closed(ws) -> dict:
    """Frames until the close; the close awaited, never slept for."""

    async def until_close() -> dict:
        while True:
            output = await ws.receive_output(timeout=CLOSE_TIMEOUT)
            if output["type"] == "websocket.close":
                return output

    return await asyncio.wait_for(until_close(), CLOSE_TIMEOUT)


def _log_out(client: Client) -> None:
    assert client.post("/accounts/logout/").status_code == 302


def _change_password_elsewhere(user: User) -> None:
    user.set_password("a-new-password-456")
    user.save()


def _disable(user: User) -> None:
    user.is_active = False
    user.save()


@pytest.mark.parametrize(
    "end_session",
    [
        lambda client, user: _log_out(client),
        lambda client, user: _change_password_elsewhere(user),
        lambda client, user: _disable(user),
    ],
    ids=["logout", "password-change", "deactivation"],
)
async def test_a_socket_closes_within_seconds_when_its_session_ends(
    alice, conversation, end_session
):
    client, cookie = await sync_to_async(_signed_in)(alice)
    ws = await connect(cookie, conversation.pk)
    await sync_to_async(end_session)(client, alice)
    closed = await _closed(ws)
    assert closed["code"] == 4401


async def test_a_comparison_socket_closes_on_logout(alice, alice_async_comparison):
    client, cookie = await sync_to_async(_signed_in)(alice)
    ws = await _connect_compare(cookie, alice_async_comparison)
    await sync_to_async(_log_out)(client)
    closed = await _closed(ws)
    assert closed["code"] == 4401


async def test_a_password_change_closes_the_sockets_of_other_sessions(alice, conversation):
    # Django's own view: the session that changes the password gets a new key; every
    # other session of the person ends, and so do its sockets.
    client, _ = await sync_to_async(_signed_in)(alice)
    _, other_cookie = await sync_to_async(_signed_in)(alice)
    other_ws = await connect(other_cookie, conversation.pk)
    response = await sync_to_async(client.post)(
        "/accounts/password/",
        {
            "old_password": "pw-alice-123",
            "new_password1": "a-new-password-456",
            "new_password2": "a-new-password-456",
        },
    )
    assert response.status_code == 302
    assert (await _closed(other_ws))["code"] == 4401


async def test_a_message_on_a_socket_whose_session_ended_starts_nothing(alice, conversation):
    client, cookie = await sync_to_async(_signed_in)(alice)
    ws = await connect(cookie, conversation.pk)
    # The session is gone from the store, but no one has told the socket yet.
    await sync_to_async(client.session.delete)()
    await ws.send_json_to(form("Still there?"))
    closed = await _closed(ws)
    assert closed["code"] == 4401
    assert not await Message.objects.filter(conversation=conversation).aexists()


@pytest.fixture
def alice_async_comparison(alice):
    from chat.models import Conversation

    hidden = Conversation.objects.create(owner=alice)
    return Comparison.objects.create(owner=alice, conversation=hidden)


async def _connect_compare(cookie, comparison):
    from channels.testing import WebsocketCommunicator

    ws = WebsocketCommunicator(application, f"/ws/compare/{comparison.pk}/", [ORIGIN, cookie])
    connected, _ = await ws.connect()
    assert connected
    return ws
