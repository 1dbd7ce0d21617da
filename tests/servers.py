"""The app as real server processes (the `daphne` command, as in production), started,
killed and stopped by tests: a process of its own, not a fork of the test runner."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT = 60  # seconds; a busy machine imports Django slowly


def wait_listening(
    process: subprocess.Popen, port: int, what: str, why: Callable[[], str] = str
) -> None:
    """Until the process listens on the port; an error if it exits first (with `why()`,
    its log, say) or never does within START_TIMEOUT."""
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited at start ({process.returncode}):\n{why()}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
            return
        time.sleep(0.1)  # polling a port that is not listening yet: nothing to await
    raise RuntimeError(f"{what} did not listen within {START_TIMEOUT} s")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _database_url() -> str:
    # The test database the runner made, as the server's DATABASE_URL.
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    user = db.get("USER") or "postgres"
    return (
        f"postgres://{user}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"
    )


class Server:
    """One `daphne` process of the app on `port`, with the test database; `flags` are
    more of daphne's options (those of deploy/daphne@.service, say)."""

    def __init__(self, port: int | None = None, *, flags: Sequence[str] = (), **env: str) -> None:
        self.port = port or free_port()
        self.flags = list(flags)
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "DEBUG": "1",
            "SECRET_KEY": settings.SECRET_KEY,
            "DATABASE_URL": _database_url(),
            "PLAYGROUND_SIM_TOKENS_PER_SECOND": "2000",
            "PLAYGROUND_SIM_FIRST_TOKEN_DELAY": "0",
            "PLAYGROUND_UPSTREAM_ATTEMPTS": "1",
            **env,
        }
        for name in ("REDIS_URL", "PLAYGROUND_API_BASE", "PLAYGROUND_API_KEY"):
            if name not in env:
                self.env.pop(name, None)
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> Server:
        command = [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(self.port)]
        self.process = subprocess.Popen(
            [*command, *self.flags, "playground.asgi:application"], cwd=ROOT, env=self.env
        )
        wait_listening(self.process, self.port, "the server")
        return self

    def kill(self) -> None:
        """kill -9: no handler runs, nothing is saved."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(30)

    def terminate(self) -> int:
        """SIGTERM, as a service manager stops it; the exit code once it has exited."""
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(30)

    def close(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(30)


@contextlib.contextmanager
def server(port: int | None = None, **env: str) -> Iterator[Server]:
    running = Server(port, **env).start()
    try:
        yield running
    finally:
        running.close()


@contextlib.contextmanager
def site_on_redis(redis_url: str, count: int = 2, **env: str) -> Iterator[list[Server]]:
    """`count` processes of one site: the test database, and through Redis one channel
    layer and one cache (the limits' counters, the compare slots), under a key prefix of
    their own so nothing from another run is found there."""
    prefix = f"{os.environ.get('CHANNELS_PREFIX', 'asgi')}-site-{os.getpid()}-{free_port()}"
    shared = {"REDIS_URL": redis_url, "CHANNELS_PREFIX": prefix, **env}
    with contextlib.ExitStack() as stack:
        yield [stack.enter_context(server(**shared)) for _ in range(count)]
