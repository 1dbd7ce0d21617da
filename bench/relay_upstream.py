"""The stand-in upstream of bench/relay.py: an OpenAI-compatible chat-completions server
that streams `reasoning_content` deltas, then `content` deltas, at a fixed pace.

Plain asyncio on raw sockets (no framework), so that one process keeps up with hundreds
of streams; several processes share one port (SO_REUSEPORT) and the kernel spreads the
connections among them. Every delta is DELTA_CHARS characters, "<seq>@<epoch seconds>"
padded with spaces, stamped as it is written, so a reader on the same machine computes
the lag from the text it is shown. What each stream sent is written to
`<out>/<key>.json` when it ends (the key is in the prompt: "relay-key:<key>"), with how
late the writes ran against their schedule, so the bench checks the text it reassembled
and that this server kept its pace.

    python bench/relay_upstream.py --port 18300 --rate 20 --deltas 250 --out /tmp/sent
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import signal
import time
from pathlib import Path

DELTA_CHARS = 24
# The token a reader looks for: 5-digit sequence, "@", the emit time, then padding.
TOKEN = re.compile(r"(\d{5})@(\d{10}\.\d{6}) +")
KEY = re.compile(r"relay-key:(\S+)")
MODEL = "kimi-k2-thinking"
_HEAD = (
    b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n"
    b"Transfer-Encoding: chunked\r\n\r\n"
)
_CHUNK = (
    '{{"id":"chatcmpl-{key}","object":"chat.completion.chunk","created":{created},'
    '"model":"' + MODEL + '","choices":[{{"index":0,"delta":{{"{field}":"{text}"}},'
    '"finish_reason":null}}]}}'
)
_FINISH = (
    '{{"id":"chatcmpl-{key}","object":"chat.completion.chunk","created":{created},'
    '"model":"' + MODEL + '","choices":[{{"index":0,"delta":{{}},"finish_reason":"stop"}}],'
    '"usage":{{"prompt_tokens":8,"completion_tokens":{deltas},"total_tokens":{total}}}}}'
)


def delta_text(seq: int, emitted: float) -> str:
    """The text of delta `seq`, stamped with its emit time.

    >>> delta_text(7, 1764658000.5)
    '00007@1764658000.500000 '
    """
    return f"{seq:05d}@{emitted:.6f}".ljust(DELTA_CHARS)


def _chunked(payload: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(payload), payload)


def _event(data: str) -> bytes:
    return _chunked(b"data: " + data.encode() + b"\n\n")


def _plain(status: str, body: bytes) -> bytes:
    head = (
        f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


class Upstream:
    def __init__(self, rate: float, deltas: int, out: Path) -> None:
        self.rate = rate
        self.deltas = deltas
        self.out = out

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while await self._one_request(reader, writer):
                pass
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    async def _one_request(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> bool:
        """Serve one request of a keep-alive connection; False when the client is gone."""
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError:
            return False
        lines = head.decode("latin-1").split("\r\n")
        method, path, _ = lines[0].split(" ", 2)
        length = 0
        for line in lines[1:]:
            name, _, value = line.partition(":")
            if name.strip().lower() == "content-length":
                length = int(value)
        body = await reader.readexactly(length) if length else b""
        if method == "GET" and path.endswith("/models"):
            models = {"object": "list", "data": [{"id": MODEL, "object": "model"}]}
            writer.write(_plain("200 OK", json.dumps(models).encode()))
        elif method == "POST" and path.endswith("/chat/completions"):
            await self._stream(json.loads(body), writer)
        else:
            writer.write(_plain("404 Not Found", b'{"error":{"message":"not here"}}'))
        await writer.drain()
        return True

    async def _stream(self, request: dict, writer: asyncio.StreamWriter) -> None:
        prompt = str(request["messages"][-1]["content"])
        found = KEY.search(prompt)
        key = found.group(1) if found else f"anonymous-{id(writer)}"
        sent = {"reasoning": [], "content": []}
        slips: list[float] = []
        complete = False
        loop = asyncio.get_running_loop()
        created = int(time.time())
        reasoning_deltas = self.deltas // 2
        writer.write(_HEAD)
        start = loop.time()
        try:
            for seq in range(self.deltas):
                due = start + seq / self.rate
                if (wait := due - loop.time()) > 0:
                    await asyncio.sleep(wait)
                slips.append(max(loop.time() - due, 0.0))
                field = "reasoning_content" if seq < reasoning_deltas else "content"
                text = delta_text(seq, time.time())
                sent["reasoning" if seq < reasoning_deltas else "content"].append(text)
                chunk = _CHUNK.format(key=key, created=created, field=field, text=text)
                writer.write(_event(chunk))
                await writer.drain()
            total = 8 + self.deltas
            writer.write(
                _event(_FINISH.format(key=key, created=created, deltas=self.deltas, total=total))
            )
            writer.write(_event("[DONE]") + b"0\r\n\r\n")
            await writer.drain()
            complete = True
        finally:
            self._record(key, sent, slips, complete)

    def _record(self, key: str, sent: dict[str, list[str]], slips: list[float], done: bool) -> None:
        slips.sort()
        record = {
            "reasoning": "".join(sent["reasoning"]),
            "content": "".join(sent["content"]),
            "complete": done,
            "slip_p99": slips[int(len(slips) * 0.99)] if slips else 0.0,
            "slip_max": slips[-1] if slips else 0.0,
        }
        (self.out / f"{key}.json").write_text(json.dumps(record))


async def serve(port: int, upstream: Upstream) -> None:
    server = await asyncio.start_server(
        upstream.handle, "127.0.0.1", port, reuse_port=True, backlog=4096
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    print("ready", flush=True)  # the bench waits for this line from every process
    await stop.wait()
    # Not server.wait_closed(): it would wait for every client's idle keep-alive connection.
    server.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--rate", type=float, default=20.0, help="deltas per second per stream")
    parser.add_argument("--deltas", type=int, default=250, help="deltas per stream")
    parser.add_argument("--out", type=Path, required=True, help="folder for what was sent")
    args = parser.parse_args()
    asyncio.run(serve(args.port, Upstream(args.rate, args.deltas, args.out)))


if __name__ == "__main__":
    main()
