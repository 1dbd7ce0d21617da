"""Request pieces that the params, rules and guidance tests share."""

from __future__ import annotations

USER_HELLO = [{"role": "user", "content": "Hello"}]
MULTIBYTE_33 = "é" * 16 + "a"  # 16 two-byte characters and one ASCII byte
ASCII_32 = "x" * 32


def tool(name: str = "get_weather") -> dict:
    return {
        "type": "function",
        "function": {
            "name": name,
            "description": "Look up the weather.",
            "parameters": {"type": "object", "properties": {}},
        },
    }


def tools(count: int) -> list[dict]:
    return [tool(f"tool_{i}") for i in range(count)]


def request_body(**fields: object) -> dict:
    return {"model": "kimi-k2-thinking", "messages": USER_HELLO, **fields}
