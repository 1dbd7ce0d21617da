"""Pages that show the model select never wait for the upstream's model list."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from django.core.cache import cache

from chat.api import params
from chat.models import Conversation

SOON = 30  # seconds: the longest a test waits for what should happen at once


@dataclass
class SilentServer:
    """Accepts connections, reads the request and never answers; it notes when a
    request arrived and when the client gave up on it (closed its connection)."""

    listener: socket.socket
    asked: threading.Event = field(default_factory=threading.Event)
    gave_up: threading.Event = field(default_factory=threading.Event)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.listener.getsockname()[1]}/v1"

    def serve(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return  # the listener was closed: the test is over
            threading.Thread(target=self._hold, args=(conn,), daemon=True).start()

    def _hold(self, conn: socket.socket) -> None:
        with conn:
            while data := _recv(conn):
                if b"\r\n\r\n" in data:
                    self.asked.set()
            self.gave_up.set()


def _recv(conn: socket.socket) -> bytes:
    try:
        return conn.recv(4096)
    except OSError:
        return b""


@pytest.fixture
def silent_upstream(settings) -> Iterator[SilentServer]:
    """The server's upstream (PLAYGROUND_API_BASE) accepts and never answers."""
    listener = socket.create_server(("127.0.0.1", 0))
    server = SilentServer(listener)
    threading.Thread(target=server.serve, daemon=True).start()
    settings.PLAYGROUND_API_BASE = server.base_url
    yield server
    listener.close()


@pytest.mark.django_db
@pytest.mark.parametrize("page", ["/c/{pk}/", "/compare/"])
def test_a_page_is_served_while_the_model_list_never_comes(client, alice, silent_upstream, page):
    client.force_login(alice)
    conversation = Conversation.objects.create(owner=alice, settings=params.default_settings())
    response = client.get(page.format(pk=conversation.pk))
    assert response.status_code == 200
    for model in params.DEFAULT_MODELS:  # the documented models, while the list is awaited
        assert f'value="{model}"' in response.content.decode()
    # The page was answered while the model list request was still open: not awaited.
    assert silent_upstream.asked.wait(SOON)
    assert not silent_upstream.gave_up.is_set()
    assert cache.get(f"models:{silent_upstream.base_url}") is None
