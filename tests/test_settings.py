"""Settings come from the environment, fail loudly, and pass Django's deploy check."""

from __future__ import annotations

import base64
import os
import secrets
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from django.db import connection, transaction

from chat.models import Conversation
from playground import env
from playground.env import EnvError

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    ("raw", "value"),
    [("1", True), ("true", True), ("On", True), ("0", False), ("no", False), ("", False)],
)
def test_booleans_are_read(monkeypatch, raw, value):
    monkeypatch.setenv("SOME_FLAG", raw)
    assert env.env_bool("SOME_FLAG", not value) is value


def test_an_unset_variable_gives_the_default(monkeypatch):
    monkeypatch.delenv("SOME_SETTING", raising=False)
    assert env.env_bool("SOME_SETTING", True) is True
    assert env.env_int("SOME_SETTING", 7) == 7
    assert env.env_float("SOME_SETTING", 0.3) == 0.3
    assert env.env_str("SOME_SETTING", "plain") == "plain"
    assert env.env_list("SOME_SETTING", ["a"]) == ["a"]


@pytest.mark.parametrize("raw", ["", "  "])
def test_an_empty_value_is_false_empty_or_for_numbers_the_default(monkeypatch, raw):
    """`DEBUG=` turns DEBUG off rather than falling back to its default (on); a number
    has no empty value, so there empty means the default."""
    monkeypatch.setenv("SOME_SETTING", raw)
    assert env.env_bool("SOME_SETTING", True) is False
    assert env.env_int("SOME_SETTING", 7) == 7
    assert env.env_float("SOME_SETTING", 0.3) == 0.3
    assert env.env_str("SOME_SETTING", "plain") == raw
    assert env.env_list("SOME_SETTING", ["a"]) == []


@pytest.mark.parametrize(
    ("helper", "raw"),
    [
        (env.env_bool, "maybe"),
        (env.env_int, "ten"),
        (env.env_float, "fast"),
    ],
)
def test_bad_values_fail_loudly_naming_the_variable(monkeypatch, helper, raw):
    monkeypatch.setenv("SOME_SETTING", raw)
    with pytest.raises(EnvError, match="SOME_SETTING"):
        helper("SOME_SETTING", 1)


def test_a_number_below_its_minimum_is_refused(monkeypatch):
    monkeypatch.setenv("SOME_TIMEOUT", "-1")
    with pytest.raises(EnvError, match="at least 0"):
        env.env_float("SOME_TIMEOUT", 1.0)


def test_lists_are_comma_separated(monkeypatch):
    monkeypatch.setenv("SOME_HOSTS", "a.example, b.example,,")
    assert env.env_list("SOME_HOSTS", []) == ["a.example", "b.example"]


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "PLAYGROUND_FERNET_KEYS"}
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_settings_pass_the_deploy_check():
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="playground.example",
        PLAYGROUND_FERNET_KEYS=base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_collectstatic_writes_production_files_where_static_root_says(tmp_path):
    # nginx serves /static/ from there (deploy/nginx.conf), with the .gz files beside.
    result = _manage(
        "collectstatic",
        "--noinput",
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="playground.example",
        PLAYGROUND_FERNET_KEYS=base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        STATIC_ROOT=str(tmp_path / "static"),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "static" / "staticfiles.json").is_file()  # hashed names
    assert list((tmp_path / "static" / "vendor" / "htmx").glob("htmx.min.*.js.gz"))


def test_a_bad_value_stops_the_server_at_start_naming_it():
    result = _manage("check", PLAYGROUND_CONNECT_TIMEOUT="soon")
    assert result.returncode != 0
    assert "PLAYGROUND_CONNECT_TIMEOUT must be a number, not 'soon'" in result.stderr


def test_the_currency_is_a_three_letter_code():
    result = _manage(
        "shell",
        "-c",
        "from django.conf import settings; print(settings.PLAYGROUND_CURRENCY)",
        PLAYGROUND_CURRENCY=" eur ",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "EUR"
    result = _manage("check", PLAYGROUND_CURRENCY="euros")
    assert result.returncode != 0
    assert "PLAYGROUND_CURRENCY must be a three-letter currency code" in result.stderr


def test_production_refuses_to_start_without_a_secret_key():
    result = _manage("check", DEBUG="0", ALLOWED_HOSTS="playground.example")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


@pytest.mark.django_db(transaction=True)
def test_parallel_writers_never_hit_database_is_locked(django_user_model):
    """Generations write from several threads (and processes) at once."""
    owner = django_user_model.objects.create_user("writer")
    conversation = Conversation.objects.create(owner=owner)
    failures: list[BaseException] = []

    def write(worker: int) -> None:
        try:
            for step in range(25):
                with transaction.atomic():
                    row = Conversation.objects.get(pk=conversation.pk)
                    row.title = f"{worker}-{step}"
                    row.save(update_fields=["title"])
        except BaseException as error:
            failures.append(error)
        finally:
            from django.db import connections

            connections.close_all()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    if connection.vendor == "sqlite":  # WAL lets readers go on while one writes
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA journal_mode")
            assert cursor.fetchone()[0] == "wal"


def test_the_redis_channel_layer_reads_longer_than_its_blocking_pop():
    # channels_redis waits for a message with a 5 s blocking pop; a read timeout that is
    # not longer (redis-py 8's default) fails every idle wait and can drop the message
    # popped as both end.
    code = (
        "from channels.layers import get_channel_layer; from channels_redis.utils import "
        "create_pool; layer = get_channel_layer(); pool = create_pool(layer.hosts[0]); "
        "connection = pool.connection_class(**pool.connection_kwargs); "
        "print(connection.socket_timeout, layer.brpop_timeout)"
    )
    result = _manage("shell", "-v", "0", "-c", code, REDIS_URL="redis://127.0.0.1:6379/0")
    assert result.returncode == 0, result.stderr
    socket_timeout, pop_timeout = result.stdout.split()[-2:]
    assert socket_timeout == "None" or float(socket_timeout) > float(pop_timeout)
