"""Measure the streaming path: prompt in through the websocket, frames out.

Runs the simulator in its own Daphne process at a given pace, drives the real
consumer with channels' WebsocketCommunicator, and prints time to the first
reasoning frame, frames per second, tokens per frame, websocket bytes per byte of
text (every frame the page gets from Send to the end, over the reasoning and answer
saved; and how many of them are render frames) and database writes per message. The
simulator's answer is Markdown (a heading, a paragraph, bullets; with --code a fenced
code block too). Uses a throwaway SQLite database.

    .venv/bin/python bench/stream_path.py [--tps 400] [--words 2000] [--runs 3] [--code]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
# A delta frame is {"r17": "reasoning text"} or {"a17": "answer text"} (static/js/stream.js).
DELTA_FRAME = ('{"r', '{"a')
# A render frame is {"R17": [...]} or {"A17": [...]}: Markdown rendered while it streams.
RENDER_FRAME = ('{"R', '{"A')


def _setup(database: Path) -> None:
    os.environ["DATABASE_URL"] = f"sqlite:///{database}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "playground.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


async def _one_run(application, cookie, conversation_id, prompt) -> dict:
    from channels.testing import WebsocketCommunicator

    from chat.models import Message

    ws = WebsocketCommunicator(
        application,
        f"/ws/c/{conversation_id}/",
        # The origin check compares the page's origin with the host it asked for.
        [(b"origin", b"http://127.0.0.1"), (b"host", b"127.0.0.1"), cookie],
    )
    connected, _ = await ws.connect()
    if not connected:
        raise SystemExit("the socket was refused: check ALLOWED_HOSTS and the session")
    sent = time.perf_counter()
    await ws.send_json_to({"action": "send", "prompt": prompt, "stream": "true"})
    first = None
    frames = 0
    ws_bytes = render_bytes = 0
    while True:
        frame = await ws.receive_from(timeout=120)
        ws_bytes += len(frame.encode())
        if frame.startswith(RENDER_FRAME):
            render_bytes += len(frame.encode())
        if frame.startswith(DELTA_FRAME):
            frames += 1
            first = first or time.perf_counter()
        if frame == '{"event": "streaming", "active": false}':
            break
    done = time.perf_counter()
    await ws.disconnect()
    message = await Message.objects.filter(role="assistant").alatest("id")
    tokens = message.usage["completion_tokens"]
    text_bytes = len((message.reasoning + message.content).encode())
    return {
        "ws_per_text": ws_bytes / text_bytes,
        "render_per_text": render_bytes / text_bytes,
        "first_frame_ms": (first - sent) * 1000,
        "frames_per_s": frames / (done - first),
        "tokens_per_frame": tokens / frames,
        "db_writes": message.revision,
        "seconds": done - sent,
        "tokens": tokens,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tps", type=int, default=400, help="simulator tokens per second")
    parser.add_argument("--words", type=int, default=2000, help="answer tokens")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--code", action="store_true", help="a fenced code block in the answer")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        _setup(Path(tmp) / "bench.sqlite3")
        from daphne.testing import DaphneProcess
        from django.conf import settings
        from django.contrib.auth import get_user_model
        from django.test import Client

        from chat.models import Conversation
        from chat.simulator import app as simulator
        from playground.asgi import application

        server = DaphneProcess(
            host="127.0.0.1",
            get_application=lambda: simulator.make_app(
                tokens_per_second=args.tps, first_token_delay=0
            ),
        )
        server.start()
        server.ready.wait(10)
        settings.PLAYGROUND_API_BASE = f"http://127.0.0.1:{server.port.value}/v1"
        user = get_user_model().objects.create_user("bench")
        client = Client()
        client.force_login(user)
        cookie = (b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode())
        topic = "Benchmark with code" if args.code else "Benchmark"
        prompt = f"{topic} [[sim:words={args.words}]] [[sim:reasoning=200]]"
        try:
            results = [
                # A fresh conversation each run: the first frame re-renders the whole path.
                asyncio.run(
                    _one_run(
                        application, cookie, Conversation.objects.create(owner=user).pk, prompt
                    )
                )
                for _ in range(args.runs)
            ]
        finally:
            server.terminate()
    print(f"simulator pace {args.tps} tokens/s, {results[0]['tokens']} tokens, {args.runs} runs")
    for key, unit in (
        ("first_frame_ms", "ms to the first reasoning frame"),
        ("frames_per_s", "frames per second to the browser (cap 25 at a 40 ms flush)"),
        ("tokens_per_frame", "tokens per frame"),
        ("ws_per_text", "websocket bytes per byte of text"),
        ("render_per_text", "of them in render frames (live Markdown)"),
        ("db_writes", "database writes per message"),
        ("seconds", "s total"),
    ):
        values = [r[key] for r in results]
        spread = f"min {min(values):.2f}, max {max(values):.2f}"
        print(f"{statistics.median(values):10.2f}  {unit} (median; {spread})")


if __name__ == "__main__":
    main()
