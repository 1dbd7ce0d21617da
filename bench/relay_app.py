"""The app under bench/relay.py (and bench/pages.py): its database, one Daphne process, a
browser's sign-in, and what the database says after a run. Also the machine's processes as
/proc reads them.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx

ROOT = Path(__file__).resolve().parent.parent
# The Makefile's run target's frame limits (chat/conversations/frames.py).
WS_MAX_BYTES = "8388608"
START_TIMEOUT = 90  # seconds: a loaded machine imports Django slowly
USERNAME = "bench"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")

# Run inside the app's environment (DJANGO_SETTINGS_MODULE set), by _django().
_CREATE_USER = """
from django.contrib.auth.models import User
User.objects.create_user({username!r}, password={password!r})
"""
_MESSAGES = """
import json, sys
from chat.models import Message
ids = json.loads(sys.stdin.read())
rows = Message.objects.filter(conversation_id__in=ids, role="assistant").values(
    "conversation_id", "id", "revision", "status", "error", "reasoning", "content")
print(json.dumps(list(rows)))
"""


@contextlib.contextmanager
def database(tmp: Path) -> Iterator[str]:
    """The DATABASE_URL of a fresh database: SQLite in `tmp`, or with DATABASE_URL set, a
    new PostgreSQL database named after it (with a random suffix), dropped at the end."""
    url = os.environ.get("DATABASE_URL")
    if not url:
        yield f"sqlite:///{tmp / 'relay.sqlite3'}"
        return
    import psycopg

    parts = urlsplit(url)
    name = f"{parts.path.lstrip('/') or 'pg_relay'}_{secrets.token_hex(3)}"
    admin = urlunsplit(parts._replace(scheme="postgresql", path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlunsplit(parts._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def updates_of_messages(database_url: str) -> int | None:
    """PostgreSQL's count of rows updated in the messages table (None on SQLite)."""
    if not database_url.startswith("postgres"):
        return None
    import psycopg

    url = urlunsplit(urlsplit(database_url)._replace(scheme="postgresql"))
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("SELECT pg_stat_force_next_flush()")
        row = connection.execute(
            "SELECT n_tup_upd FROM pg_stat_user_tables WHERE relname = 'chat_message'"
        ).fetchone()
    return int(row[0]) if row else None


def app_env(database_url: str, upstream_url: str) -> dict[str, str]:
    env = {
        **os.environ,
        "DEBUG": "1",  # as `make run` and tests/servers.py serve it
        "DATABASE_URL": database_url,
        "PLAYGROUND_API_BASE": upstream_url,
        "PLAYGROUND_API_KEY": "relay-bench-key",
        # One person streams all K answers: their limits would refuse most of them.
        "PLAYGROUND_CONCURRENT_GENERATIONS": "0",
        "PLAYGROUND_STARTS_PER_MINUTE": "0",
        "PLAYGROUND_TOKENS_PER_DAY": "0",
        "PLAYGROUND_UPSTREAM_ATTEMPTS": "1",
        "LOG_LEVEL": "WARNING",
    }
    if env.get("REDIS_URL"):
        env.setdefault("CHANNELS_PREFIX", "relay")
    return env


def _django(env: dict[str, str], code: str, stdin: str = "") -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-v", "0", "-c", code],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode:
        raise RuntimeError(f"manage.py shell failed:\n{result.stderr[-2000:]}")
    return result.stdout


def prepare(env: dict[str, str]) -> str:
    """Migrate, and make the person who signs in; their password."""
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    password = secrets.token_urlsafe(12)
    _django(env, _CREATE_USER.format(username=USERNAME, password=password))
    return password


def messages(env: dict[str, str], conversation_ids: list[int]) -> dict[int, dict]:
    """The answer saved in each conversation, by conversation id."""
    rows = json.loads(_django(env, _MESSAGES, json.dumps(conversation_ids)))
    return {row["conversation_id"]: row for row in rows}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Daphne:
    """One Daphne process of the app, as the Makefile's run target starts it."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        command = [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(self.port)]
        command += ["--websocket-max-message-size", WS_MAX_BYTES]
        command += ["--websocket-max-frame-size", WS_MAX_BYTES, "-v", "0"]
        with log.open("ab") as out:
            self.process = subprocess.Popen(
                [*command, "playground.asgi:application"],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        self._wait_listening()

    def _wait_listening(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"Daphne exited at start; see {self.log}")
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.port), 1),
            ):
                return
            time.sleep(0.1)  # a port that is not listening yet: nothing to await
        raise RuntimeError(f"Daphne did not listen within {START_TIMEOUT} s")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(30)


async def sign_in(client: httpx.AsyncClient, password: str) -> str:
    """Sign in as a browser does (the login page's CSRF cookie and token, then the form);
    the CSRF token for later forms. The client keeps the session cookie."""
    page = await client.get("/accounts/login/")
    page.raise_for_status()
    token = _csrf_field(page.text)
    form = {"username": USERNAME, "password": password, "csrfmiddlewaretoken": token}
    signed = await client.post("/accounts/login/", data=form)
    if signed.status_code != 302 or "sessionid" not in client.cookies:
        raise RuntimeError(f"sign-in failed: HTTP {signed.status_code}")
    return client.cookies["csrftoken"]


async def new_conversation(client: httpx.AsyncClient, csrf: str) -> int:
    """The "New conversation" button: a form POST answered by a redirect to it."""
    response = await client.post("/c/new/", data={"csrfmiddlewaretoken": csrf})
    found = re.fullmatch(r"/c/(\d+)/", response.headers.get("location", ""))
    if response.status_code != 302 or not found:
        raise RuntimeError(f"no conversation made: HTTP {response.status_code}")
    return int(found.group(1))


def _csrf_field(page: str) -> str:
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    if not found:
        raise RuntimeError("the login page has no CSRF token")
    return found.group(1)


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def machine() -> str:
    model = ""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    memory = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            memory = int(line.split()[1]) // 1024
    return f"{os.cpu_count()} cores, {model or 'unknown CPU'}, {memory / 1024:.1f} GiB RAM"
