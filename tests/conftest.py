"""Shared fixtures: real servers on real ports, never patched functions."""

from __future__ import annotations

import contextlib

import pytest


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


def _simulator_application():
    from chat import simulator

    return simulator.make_app(tokens_per_second=2000, first_token_delay=0, record=True)


def _playground_application():
    from playground.asgi import application

    return application


@contextlib.contextmanager
def _daphne(get_application, what: str):
    """Serve an ASGI application with Daphne in a forked process; yield its port."""
    from daphne.testing import DaphneProcess

    process = DaphneProcess(host="127.0.0.1", get_application=get_application)
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
