"""The ASGI app: its routes, records and refusals, over HTTP on the real port."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from chat.simulator.app import make_app
from tests.simulator.client import (
    body,
    post,
)


async def test_it_lists_the_models(simulator_url: str) -> None:
    async with httpx.AsyncClient() as client:
        response = await client.get(f"{simulator_url}/models")
    assert response.status_code == 200
    listing = response.json()
    assert listing["object"] == "list"
    assert [m["id"] for m in listing["data"]] == ["kimi-k2-thinking", "kimi-k2-thinking-turbo"]
    assert all(m["owned_by"] == "simulator" and m["object"] == "model" for m in listing["data"])


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/nowhere", 404),
        ("GET", "/v1/chat/completions", 405),
        ("POST", "/v1/models", 405),
    ],
)
async def test_it_refuses_unknown_routes_and_methods(
    simulator_url: str, method: str, path: str, status: int
) -> None:
    root = simulator_url.removesuffix("/v1")
    async with httpx.AsyncClient() as client:
        response = await client.request(method, root + path)
    assert response.status_code == status
    assert response.json()["error"]["message"]


async def test_it_refuses_a_body_over_20_mb(simulator_url: str) -> None:
    async with httpx.AsyncClient(timeout=30) as client:
        response = await client.post(
            f"{simulator_url}/chat/completions", content=b"x" * (20 * 1024 * 1024 + 1)
        )
    assert response.status_code == 413


async def test_it_records_and_forgets_the_bodies_it_received(simulator_url: str) -> None:
    requests = simulator_url.removesuffix("/v1") + "/_sim/requests"
    async with httpx.AsyncClient() as client:
        assert (await client.delete(requests)).status_code == 200
        sent = body(temperature=0.7, max_tokens=5)
        await client.post(f"{simulator_url}/chat/completions", json=sent)
        assert (await client.get(requests)).json() == [sent]
        await client.delete(requests)
        assert (await client.get(requests)).json() == []


async def test_it_serves_under_a_prefix_and_records_only_when_asked() -> None:
    app = make_app(prefix="/sim", first_token_delay=0, tokens_per_second=10_000)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://sim.test") as client:
        assert (await client.get("/sim/v1/models")).status_code == 200
        assert (await client.get("/v1/models")).status_code == 404
        assert (await client.get("/sim/_sim/requests")).status_code == 404
        answer = await client.post("/sim/v1/chat/completions", json=body())
    assert answer.json()["choices"][0]["finish_reason"] == "stop"


@pytest.mark.parametrize(
    ("fields", "param"),
    [
        ({"temperature": 2.5}, "temperature"),
        ({"stop": ["a", "b", "c", "d", "e", "f"]}, "stop"),
        ({"n": 6}, "n"),
        ({"model": "gpt-imaginary"}, "model"),
        ({"top_p": 1.5}, "top_p"),
        ({"messages": []}, "messages"),
        ({"messages": [{"role": "user", "content": "hi [[sim:speed=9]]"}]}, "messages"),
    ],
)
async def test_it_rejects_bad_fields_naming_them(
    simulator_url: str, fields: dict[str, Any], param: str
) -> None:
    response = await post(simulator_url, body(**fields))
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["param"] == param
    assert error["type"] == "invalid_request_error"
    assert error["code"] == "invalid_value"
    assert error["message"]


async def test_it_rejects_a_body_that_is_not_json(simulator_url: str) -> None:
    async with httpx.AsyncClient() as client:
        response = await client.post(f"{simulator_url}/chat/completions", content=b"{nope")
    assert response.status_code == 400
    assert "not valid JSON" in response.json()["error"]["message"]


async def test_it_fails_only_the_first_times_requests_with_the_same_body(
    simulator_url: str,
) -> None:
    # A unique prompt: the count is kept per body for the whole session.
    sent = body(messages=[{"role": "user", "content": "Once [[sim:fault=429,times=1]]"}])
    async with httpx.AsyncClient() as client:
        first = await client.post(f"{simulator_url}/chat/completions", json=sent)
        second = await client.post(f"{simulator_url}/chat/completions", json=sent)
    assert first.status_code == 429
    assert first.headers["retry-after"] == "7"
    assert second.status_code == 200
    assert second.json()["choices"][0]["message"]["content"]
