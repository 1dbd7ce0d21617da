"""Request and response pieces that the API tests share."""

from __future__ import annotations

from chat.api.sse import SSEEvent

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


def chunk(**delta: str) -> dict:
    """A `chat.completion.chunk` with one delta for choice 0."""
    return {
        "object": "chat.completion.chunk",
        "choices": [{"index": 0, "delta": delta, "finish_reason": None}],
    }


def sse_event(data: str, event: str | None = None, id: str | None = None) -> SSEEvent:
    return SSEEvent(event=event, data=data, id=id)


# The example response of seed/chat-completions-api.txt.
EXAMPLE_COMPLETION = {
    "id": "cmpl-04ea926191a14749b7f2c7a48a68abc6",
    "model": "kimi-k2-thinking",
    "object": "chat.completion",
    "created": 1698999496,
    "choices": [
        {
            "index": 0,
            "message": {
                "role": "assistant",
                "content": "Hi there! How can I help you?",
                "reasoning_content": 'The user just said "hi". This is a very simple greeting.',
            },
            "finish_reason": "stop",
        }
    ],
    "usage": {
        "prompt_tokens": 8,
        "completion_tokens": 292,
        "total_tokens": 300,
        "prompt_tokens_details": {"cached_tokens": 8},
    },
}
