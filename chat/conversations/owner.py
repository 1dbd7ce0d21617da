"""Which server process runs a generation, and whether that process still runs.

Every process has one owner string, "host:pid:token", written on the messages it
streams. Another process on the same host can tell at once that the owner is gone
(no such pid, or its own pid under a new token after a restart in a container);
for an owner on another host only the heartbeat (Message.updated_at) can tell.
"""

from __future__ import annotations

import os
import secrets
import socket

_OWNER: tuple[int, str] | None = None


def owner() -> str:
    """This process's owner string; a forked child gets its own."""
    global _OWNER
    pid = os.getpid()
    if _OWNER is None or _OWNER[0] != pid:
        _OWNER = (pid, f"{socket.gethostname()}:{pid}:{secrets.token_hex(4)}")
    return _OWNER[1]


def is_gone(other: str) -> bool:
    """True when `other` is surely no longer running; False when alive or unknown.

    >>> is_gone(owner())
    False
    """
    host, _, rest = other.partition(":")
    pid_text, _, _token = rest.partition(":")
    if other == owner() or host != socket.gethostname() or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        return True  # this pid under another token: an earlier life of this process
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # alive, someone else's
    return False
