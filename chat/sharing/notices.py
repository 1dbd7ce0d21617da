"""Telling the live pages open on a share link that the link changed (revoked, its
limits or "Live" set), wherever they run: their sockets check it again and close if it
no longer opens (chat.sharing.consumer)."""

from __future__ import annotations

from asgiref.sync import async_to_sync

from chat.conversations import hub


def link_group(token: str) -> str:
    # Tokens are URL-safe base64, which group names allow.
    return f"share-{token}"


def changed(token: str) -> None:
    async_to_sync(hub.channel_layer().group_send)(link_group(token), {"type": "share.changed"})
