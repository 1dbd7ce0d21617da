"""Shared fixtures: real servers on real ports, never patched functions."""

from __future__ import annotations

import contextlib
import shutil
import tempfile

import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

# People, their sockets and the simulator for websocket tests; images (fixtures by name).
pytest_plugins = ["tests.sockets", "tests.images"]

# Property tests check results, never speed: a busy machine must not fail them.
hypothesis_settings.register_profile(
    "playground", deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
hypothesis_settings.load_profile("playground")


def pytest_configure(config):
    # Settings are loaded by now; playground.asgi (which builds the simulator from
    # them) is imported later, at collection, and forked servers inherit all this.
    from django.conf import settings

    # Password hashing is slow by design; tests need it fast.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # A fast simulator; a test that needs a slow stream asks with a marker ([[sim:tps=N]]).
    settings.PLAYGROUND_SIM_TOKENS_PER_SECOND = 2000
    settings.PLAYGROUND_SIM_FIRST_TOKEN_DELAY = 0
    settings.PLAYGROUND_SIM_RECORD = True
    # The sockets of tests.sockets come from this origin, and send no Host header.
    settings.CSRF_TRUSTED_ORIGINS = [*settings.CSRF_TRUSTED_ORIGINS, "http://127.0.0.1"]
    # The suite starts many answers as the same few people; tests/limits/ sets the
    # limits it tests.
    settings.PLAYGROUND_STARTS_PER_MINUTE = 0
    settings.PLAYGROUND_CONCURRENT_GENERATIONS = 0
    settings.PLAYGROUND_TOKENS_PER_DAY = 0
    settings.PLAYGROUND_SOCKET_MESSAGES_PER_SECOND = 0
    settings.PLAYGROUND_SIGNUPS_PER_HOUR = 0
    # One attempt: a fault shows its error at once. Tests of retries ask for more.
    settings.PLAYGROUND_UPSTREAM_ATTEMPTS = 1
    # Uploaded images go to a folder of this run, never the checkout's media/ (forked
    # servers inherit it); tests of images take a fresh one each (tests/images.py).
    settings.MEDIA_ROOT = tempfile.mkdtemp(prefix="playground-test-media-")


def pytest_unconfigure(config):
    from django.conf import settings

    if "playground-test-media-" in str(settings.MEDIA_ROOT):
        shutil.rmtree(settings.MEDIA_ROOT, ignore_errors=True)


# -- the people: every test module uses these; none defines its own ------------------


@pytest.fixture
def alice(django_user_model):
    """Alice owns what the test is about: conversations, prompts, comparisons, links.
    Her name and address are distinctive, so a page leaking them is easy to catch."""
    return django_user_model.objects.create_user(
        "alice-owner", email="alice@owner.example", password="pw-alice-123"
    )


@pytest.fixture
def bob(django_user_model):
    """Bob is signed in too, and must see, change or bring back nothing of Alice's."""
    return django_user_model.objects.create_user("bob", password="pw-bob-123")


@pytest.fixture
def alice_client(client, alice):
    """pytest-django's `client`, signed in as Alice (so `client.logout()` signs her out)."""
    client.force_login(alice)
    return client


@pytest.fixture
def bob_client(bob):
    """A browser of Bob's own, beside Alice's."""
    from django.test import Client

    client = Client()
    client.force_login(bob)
    return client


@pytest.fixture(autouse=True)
def fresh_cache():
    """The limits count in the cache by person id, and ids are reused after a flush."""
    _clear_cache()
    yield
    _clear_cache()


def _clear_cache() -> None:
    """This suite's keys only: on Redis, clear() would flush the whole database, and with
    it the keys of whatever else shares it (another run, servers under another prefix)."""
    from django.core.cache import caches
    from django.core.cache.backends.redis import RedisCache

    cache = caches["default"]
    if not isinstance(cache, RedisCache):
        cache.clear()
        return
    client = cache._cache.get_client(write=True)
    pattern = cache.make_key("*")
    for key in client.scan_iter(match=pattern, count=1000):
        client.delete(key)


@pytest.fixture(autouse=True)
def fresh_channel_layer():
    """Each test runs in its own event loop; a Redis channel layer keeps locks bound to
    the loop that made it, so no test may reuse another's layer."""
    from channels import layers

    layers.channel_layers.backends.clear()
    yield
    layers.channel_layers.backends.clear()


def _simulator_application():
    from chat.simulator import app as simulator

    return simulator.make_app(tokens_per_second=2000, first_token_delay=0, record=True)


def _playground_application():
    # Runs in the forked server. Executor threads of this process's parent do not exist
    # here (asgiref's single-thread executor would wait for them forever), and channel
    # layers made by earlier async tests belong to their closed event loops.
    from concurrent.futures import ThreadPoolExecutor

    from asgiref.sync import SyncToAsync
    from channels import layers

    SyncToAsync.single_thread_executor = ThreadPoolExecutor(max_workers=1)
    layers.channel_layers.backends.clear()

    from playground.asgi import application

    return application


@contextlib.contextmanager
def _daphne(get_application, what: str):
    """Serve an ASGI application with Daphne in a forked process; yield its port."""
    from daphne.testing import DaphneProcess

    from chat.conversations.frames import SERVER_MAX_FRAME_BYTES

    # The frame limits `make run` starts Daphne with.
    process = DaphneProcess(
        host="127.0.0.1",
        get_application=get_application,
        kwargs={
            "websocket_max_message_size": SERVER_MAX_FRAME_BYTES,
            "websocket_max_frame_size": SERVER_MAX_FRAME_BYTES,
        },
    )
    process.start()
    try:
        if not process.ready.wait(15):
            raise RuntimeError(f"{what} did not start within 15 s")
        yield process.port.value
    finally:
        process.terminate()
        process.join(5)


@pytest.fixture(scope="session")
def simulator_url():
    """Base URL (ending in /v1) of the simulator served by Daphne in its own process."""
    with _daphne(_simulator_application, "the simulator") as port:
        yield f"http://127.0.0.1:{port}/v1"


@contextlib.contextmanager
def _app_server(django_db_blocker):
    # pytest-django's live_server cannot serve websockets. The process is forked after
    # the test database exists, so it uses it; connections are closed first so the
    # child never shares a database socket with this process.
    # The child keeps pytest-django's database blocker as it was at the fork, so it
    # is forked while access is allowed.
    from django.db import connections

    with django_db_blocker.unblock():
        connections.close_all()
        with _daphne(_playground_application, "the app server") as port:
            yield f"http://127.0.0.1:{port}"


@pytest.fixture(scope="session")
def app_server(django_db_setup, django_db_blocker):
    """The whole app (pages, websockets, simulator) in its own server process."""
    with _app_server(django_db_blocker) as url:
        yield url


@pytest.fixture(scope="session")
def second_app_server(app_server, django_db_blocker):
    """Another server process of the same site: same database, same channel layer."""
    with _app_server(django_db_blocker) as url:
        yield url


@pytest.fixture(scope="session")
def redis_url() -> str:
    """A reachable Redis for the channel layer of several server processes.

    CI starts Redis before both of its runs, so this never skips there (it fails).
    """
    import os

    import redis

    url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as error:
        message = f"several server processes need Redis at {url} ({error})"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return url


@pytest.fixture(scope="session")
def two_servers(redis_url, django_db_setup, django_db_blocker):
    """Two server processes of one site sharing a database and a Redis channel layer."""
    import os

    from channels import layers
    from django.conf import settings

    saved = settings.CHANNEL_LAYERS
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [redis_url], "prefix": f"two-servers-{os.getpid()}"},
        }
    }
    layers.channel_layers.backends.clear()
    try:
        with _app_server(django_db_blocker) as first, _app_server(django_db_blocker) as second:
            settings.CHANNEL_LAYERS = saved  # the children have forked with Redis
            layers.channel_layers.backends.clear()
            yield first, second
    finally:
        settings.CHANNEL_LAYERS = saved
        layers.channel_layers.backends.clear()
