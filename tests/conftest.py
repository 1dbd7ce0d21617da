"""Shared fixtures: real servers on real ports, never patched functions."""

from __future__ import annotations

import os

import pytest

# Fast simulator pacing for the whole suite; a test that needs a slow stream asks
# for it with a prompt marker ([[sim:tps=N]]).
os.environ.setdefault("PLAYGROUND_SIM_TOKENS_PER_SECOND", "2000")
os.environ.setdefault("PLAYGROUND_SIM_FIRST_TOKEN_DELAY", "0")
os.environ.setdefault("PLAYGROUND_SIM_RECORD", "1")


def _simulator_application():
    from chat import simulator

    return simulator.make_app(tokens_per_second=2000, first_token_delay=0, record=True)


@pytest.fixture(scope="session")
def simulator_url():
    """Base URL (ending in /v1) of the simulator served by Daphne in its own process."""
    from daphne.testing import DaphneProcess

    process = DaphneProcess(host="127.0.0.1", get_application=_simulator_application)
    process.start()
    try:
        if not process.ready.wait(10):
            raise RuntimeError("the simulator did not start within 10 s")
        yield f"http://127.0.0.1:{process.port.value}/v1"
    finally:
        process.terminate()
        process.join(5)


def _playground_application():
    from playground.asgi import application

    return application


@pytest.fixture(scope="session")
def app_server(django_db_setup, django_db_blocker):
    """The whole app (pages, websockets, simulator) served by Daphne in its own process.

    pytest-django's live_server cannot serve websockets. The process is forked
    after the test database exists, so it uses it; connections are closed first so
    the child never shares a database socket with this process.
    """
    from daphne.testing import DaphneProcess
    from django.db import connections

    with django_db_blocker.unblock():
        connections.close_all()
    process = DaphneProcess(host="127.0.0.1", get_application=_playground_application)
    process.start()
    try:
        if not process.ready.wait(15):
            raise RuntimeError("the app server did not start within 15 s")
        yield f"http://127.0.0.1:{process.port.value}"
    finally:
        process.terminate()
        process.join(5)
