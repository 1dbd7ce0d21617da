"""Which upstream answers, and the model list it offers."""

from __future__ import annotations

import socket
from types import SimpleNamespace

import pytest
from django.core.cache import cache

from chat.api import params
from chat.providers import upstreams


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()


@pytest.mark.parametrize(
    ("server", "url"),
    [
        (("127.0.0.1", 8000), "http://127.0.0.1:8000/sim/v1"),
        (("0.0.0.0", 9000), "http://127.0.0.1:9000/sim/v1"),
        (("::", 9000), "http://[::1]:9000/sim/v1"),
        (("::1", 8001), "http://[::1]:8001/sim/v1"),
        (None, "http://127.0.0.1:8000/sim/v1"),
    ],
)
def test_the_simulator_is_reached_on_this_very_server(server, url):
    assert upstreams.simulator_base(server) == url


def test_without_a_base_url_the_simulator_answers(settings):
    settings.PLAYGROUND_API_BASE = ""
    settings.PLAYGROUND_API_KEY = "sk-ignored"
    provider = upstreams.configured(("127.0.0.1", 8000))
    assert provider.is_simulator and provider.name == "Built-in simulator"
    assert provider.api_key is None


def test_every_way_to_the_simulator_gives_the_same_provider(settings):
    """The server's default without a base URL, the panel's "simulator" choice and a
    conversation that chose it all reach the one simulator this server serves."""
    settings.PLAYGROUND_API_BASE = ""
    server = ("0.0.0.0", 9000)
    built_in = upstreams.simulator(server)
    assert built_in == upstreams.Provider(
        "Built-in simulator", "http://127.0.0.1:9000/sim/v1", is_simulator=True
    )
    assert upstreams.configured(server) == built_in
    assert upstreams.for_choice(None, upstreams.SIMULATOR_CHOICE, server) == built_in
    chose_it = SimpleNamespace(provider_id=None, settings={"provider": "simulator"})
    assert upstreams.for_conversation(chose_it, server) == built_in


def test_a_configured_upstream_is_named_by_its_host_and_keeps_its_key_out_of_repr(settings):
    settings.PLAYGROUND_API_BASE = "https://api.evolink.ai/v1"
    settings.PLAYGROUND_API_KEY = "sk-secret-1234"
    provider = upstreams.configured(None)
    assert provider.name == "api.evolink.ai" and not provider.is_simulator
    assert provider.api_key == "sk-secret-1234"
    assert "sk-secret" not in repr(provider)


async def test_the_model_list_is_fetched_from_the_provider(simulator_url):
    provider = upstreams.Provider("sim", simulator_url, is_simulator=True)
    assert await upstreams.available_models(provider) == list(params.DEFAULT_MODELS)
    assert await cache.aget(f"models:{simulator_url}") == list(params.DEFAULT_MODELS)


async def test_an_unreachable_provider_falls_back_to_the_documented_models():
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    provider = upstreams.Provider("gone", f"http://127.0.0.1:{port}/v1", is_simulator=False)
    assert await upstreams.available_models(provider) == list(params.DEFAULT_MODELS)
    assert await cache.aget(f"models:http://127.0.0.1:{port}/v1") is None  # retried next time
