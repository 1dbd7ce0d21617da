"""Under DEBUG (make run's default), answers do not pile up in Django's query log."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from django.db import connection

from tests.sockets import connect, form, frames_until, is_done, wait_generations

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("upstream_is_simulator", "close_thread_connections"),
]


@sync_to_async
def _logged_queries() -> int:
    # The async ORM's thread, where the generation's queries run and are logged.
    return len(connection.queries)


async def test_the_query_log_does_not_grow_with_every_answer(settings, alice_cookie, conversation):
    settings.DEBUG = True
    ws = await connect(alice_cookie, conversation.pk)
    logged = []
    for number in range(4):
        await ws.send_json_to(form(f"Question {number} [[sim:words=20]]"))
        await frames_until(ws, is_done)
        await wait_generations()
        logged.append(await _logged_queries())
    await ws.disconnect()
    assert logged[-1] <= logged[0], logged
