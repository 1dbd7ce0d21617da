"""What every page socket does before it acts on a frame: the session that opened it
still signs its person in, and the frame is one readable JSON object of a sane size.

Consumers call `_join_sessions()` once accepted and implement `receive_json` and
`_refuse` (where the page shows a refusal); a frame that fails a check is answered,
never raised, so the socket stays open (1011 and a traceback helped no one).
"""

from __future__ import annotations

from typing import Any

from channels.generic.websocket import AsyncJsonWebsocketConsumer

from chat import sessions
from chat.conversations import frames

# Application close code (4000-4999): the session ended; the page must sign in again.
SESSION_ENDED = 4401
SIGNED_OUT = (
    "Your session has ended (signed out, password changed or account disabled): "
    "reload the page to sign in again."
)


class GuardedSocket(AsyncJsonWebsocketConsumer):
    user_id: int | None = None

    async def _join_sessions(self) -> None:
        # Called once the consumer has checked the user is signed in.
        user_id: int | None = getattr(self.scope.get("user"), "pk", None)
        if user_id is None:
            return
        self.user_id = user_id
        await self.channel_layer.group_add(sessions.user_group(user_id), self.channel_name)

    async def _leave_sessions(self) -> None:
        if self.user_id is not None:
            group = sessions.user_group(self.user_id)
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive(
        self, text_data: str | None = None, bytes_data: bytes | None = None, **kwargs: Any
    ) -> None:
        if not await self._session_is_live():
            await self._end_session()
            return
        content, refusal = frames.read_frame(text_data, bytes_data)
        if refusal:
            await self._refuse(refusal)
            return
        await self.receive_json(content, **kwargs)

    async def session_ended(self, event: dict[str, Any]) -> None:
        """A session of this person ended, or may have: close if it was this one."""
        named = event.get("session_key")
        if (named and named == self._session_key()) or not await self._session_is_live():
            await self._end_session()

    async def listing_changed(self, event: dict[str, Any]) -> None:
        """This person's conversation list changed: pages with a sidebar redraw it."""

    async def _refuse(self, message: str) -> None:
        raise NotImplementedError

    async def _session_is_live(self) -> bool:
        if self.user_id is None:
            return False
        return await sessions.ais_live(self._session_key(), self.user_id)

    def _session_key(self) -> str | None:
        session = self.scope.get("session")
        return None if session is None else session.session_key

    async def _end_session(self) -> None:
        await self._refuse(SIGNED_OUT)
        await self._leave_sessions()
        await self.close(code=SESSION_ENDED)
