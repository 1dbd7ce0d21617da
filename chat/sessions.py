"""Whether a socket's session still signs its person in, and telling their sockets when
it may not, or when their list of conversations changed.

A websocket is authenticated once, at its handshake; a session can end later (sign-out,
a password change elsewhere, an account disabled). Every socket joins its person's
group on the channel layer, so the news reaches sockets in every server process, and
each socket checks its own session again, on that news and before every frame it acts on.
The same group tells every page of the person that their sidebar's list is out of date
(a conversation started, renamed, pinned, deleted or restored in another tab).
"""

from __future__ import annotations

import asyncio
from importlib import import_module

from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings
from django.contrib import auth
from django.db import transaction
from django.http import HttpRequest

SESSION_ENDED_EVENT = "session.ended"
LISTING_CHANGED_EVENT = "listing.changed"

# Strong references to the news being sent from inside a running loop.
_SENDING: set[asyncio.Task[None]] = set()


def user_group(user_id: int) -> str:
    return f"user-{user_id}-sessions"


def is_live(session_key: str | None, user_id: int) -> bool:
    """True while the stored session `session_key` still signs in user `user_id`: it
    exists and has not expired, names that user, the user is active, and the password
    hash it was made with is still the user's (Django's own check, with key fallbacks)."""
    if not session_key:
        return False
    store = import_module(settings.SESSION_ENGINE).SessionStore(session_key)
    request = HttpRequest()
    request.session = store
    # auth.get_user flushes a session whose hash no longer matches, as a request would.
    user = auth.get_user(request)
    return bool(user.is_authenticated and user.pk == user_id)


ais_live = database_sync_to_async(is_live)


def tell_sockets(user_id: int, session_key: str | None = None) -> None:
    """Tell every socket of the user (in any server process) to check its session;
    with `session_key`, that session has ended. Sent once the change is committed, so
    the check reads it."""

    event = {"type": SESSION_ENDED_EVENT, "session_key": session_key or ""}
    transaction.on_commit(lambda: _send(user_id, event))


def tell_lists(user_id: int) -> None:
    """Tell every page of the user that their conversation list changed, once the change
    is committed (from a view: sync code)."""
    transaction.on_commit(lambda: _send(user_id, {"type": LISTING_CHANGED_EVENT}))


async def atell_lists(user_id: int) -> None:
    """tell_lists from async code, which commits as it goes (autocommit)."""
    layer = get_channel_layer()
    if layer is not None:
        await layer.group_send(user_group(user_id), {"type": LISTING_CHANGED_EVENT})


def _send(user_id: int, event: dict[str, str]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        async_to_sync(layer.group_send)(user_group(user_id), event)
        return
    # Saved from code that runs its own loop in this thread (a sync caller under an
    # event loop): the news goes out as a task of that loop.
    task = loop.create_task(layer.group_send(user_group(user_id), event))
    _SENDING.add(task)
    task.add_done_callback(_SENDING.discard)
