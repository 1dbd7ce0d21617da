"""How the simulator tests talk to it: request bodies, and reading what it streams."""

from __future__ import annotations

import json
from typing import Any

import httpx

MODEL = "kimi-k2-thinking"
QUESTION = [{"role": "user", "content": "Explain quicksort in Python"}]
WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather for a place.",
        "parameters": {
            "type": "object",
            "properties": {
                "location": {"type": "string"},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
                "days": {"type": "integer", "minimum": 1, "maximum": 3},
            },
            "required": ["location"],
        },
    },
}


def body(**fields: Any) -> dict[str, Any]:
    return {"model": MODEL, "messages": QUESTION, **fields}


def ask(text: str, **fields: Any) -> dict[str, Any]:
    return body(messages=[{"role": "user", "content": text}], **fields)


async def post(url: str, payload: object, headers: dict[str, str] | None = None) -> httpx.Response:
    async with httpx.AsyncClient(timeout=10) as client:
        return await client.post(f"{url}/chat/completions", json=payload, headers=headers)


async def stream(
    url: str, payload: dict[str, Any], headers: dict[str, str] | None = None
) -> list[Any]:
    """Every SSE data payload in order: chunks as dicts, anything else as text."""
    async with (
        httpx.AsyncClient(timeout=10) as client,
        client.stream(
            "POST", f"{url}/chat/completions", json={**payload, "stream": True}, headers=headers
        ) as response,
    ):
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        raw = "".join([piece async for piece in response.aiter_text()])
    return [decoded(event.removeprefix("data: ")) for event in raw.split("\n\n") if event]


def decoded(data: str) -> Any:
    try:
        return json.loads(data)
    except ValueError:
        return data


def choice_parts(events: list[Any]) -> list[tuple[int, str, Any]]:
    """(choice index, delta field or "finish", value) for every choice in every chunk."""
    parts = []
    for event in events:
        for choice in event["choices"] if isinstance(event, dict) else []:
            parts.extend((choice["index"], key, value) for key, value in choice["delta"].items())
            if choice["finish_reason"]:
                parts.append((choice["index"], "finish", choice))
    return parts


def texts(events: list[Any], index: int = 0) -> tuple[str, str]:
    """(reasoning, content) of one choice."""
    parts = choice_parts(events)
    reasoning = "".join(v for i, key, v in parts if i == index and key == "reasoning_content")
    content = "".join(v for i, key, v in parts if i == index and key == "content")
    return reasoning, content


def finish(events: list[Any], index: int = 0) -> dict[str, Any]:
    return next(v for i, key, v in choice_parts(events) if i == index and key == "finish")
