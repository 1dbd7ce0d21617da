"""Who may use the simulator mounted in the app.

Where the simulator is the upstream in use (no PLAYGROUND_API_BASE), it serves
everyone, as the playground does. Otherwise it is an instrument of the app, not a
public API: it answers only

- the app's own calls, which carry this process's APP_KEY as their API key (the
  simulator provider's key, sent as `Authorization: Bearer ...` by the upstream
  client, never shown: "view code" names an environment variable instead), and
- clients on loopback that did not come through a proxy (a developer's curl, a load
  test on the same machine): a proxy in front of the app connects from loopback too,
  so a request bearing a forwarding header is an outsider's.

Everyone else gets the same 404 as an unknown path: an outsider learns nothing.
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from chat.simulator.asgi import Scope, headers_of

# Where the app mounts the simulator (playground/asgi.py), and so where the app's
# own provider for it points (chat/providers/upstreams.py).
PREFIX = "/sim"
# Per process: the app talks to the simulator of the process it runs in.
APP_KEY = secrets.token_urlsafe(32)
PROXY_HEADERS = ("forwarded", "x-forwarded-for", "x-forwarded-host", "x-real-ip")


@dataclass(frozen=True)
class Gate:
    """Admits a request by the rules of the module docstring.

    `public` is asked on every request (settings may change, in tests at least)."""

    key: str
    public: Callable[[], bool]

    def admits(self, scope: Scope) -> bool:
        if self.public():
            return True
        headers = headers_of(scope)
        sent = headers.get("authorization", "").removeprefix("Bearer ").strip()
        if sent and hmac.compare_digest(sent.encode(), self.key.encode()):
            return True
        return _is_loopback(scope.get("client")) and not any(h in headers for h in PROXY_HEADERS)


def _is_loopback(client: object) -> bool:
    if not isinstance(client, list | tuple) or not client:
        return False
    try:
        return ipaddress.ip_address(str(client[0])).is_loopback
    except ValueError:  # a unix socket path, or no address at all
        return False
