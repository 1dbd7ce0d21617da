"""Measure the streaming path at scale: K pages each watching its own generation.

For every K: a bare httpx reader streams K answers straight from a stand-in upstream
(bench/relay_upstream.py, its own processes), the baseline; then one Daphne process of the
app (restarted for every K, on the same database) streams K answers from the same
upstream to K websockets of one signed-in person, started at once. Each page is rebuilt
from its frames (bench/relay_page.py, today's htmx fragments or compact data frames) and
must equal, exactly, what the upstream sent; every delta carries its emit time, so lag is
measured from upstream write to page. SQLite in a temporary folder, or PostgreSQL when
DATABASE_URL is set (a fresh database made and dropped).

    .venv/bin/python bench/relay.py [--k 5,50,100,300,1000] [--rate 20] [--deltas 250]

The helpers' examples run with `cd bench && python -m doctest relay_*.py`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import shlex
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import websockets
from relay_app import (
    Daphne,
    app_env,
    cpu_seconds,
    database,
    free_port,
    machine,
    messages,
    new_conversation,
    prepare,
    rss_bytes,
    sign_in,
    updates_of_messages,
)
from relay_page import Page, verdict
from relay_table import Run, print_table

HERE = Path(__file__).resolve().parent
MODEL = "kimi-k2-thinking"
OPEN_AT_ONCE = 50  # sockets and conversations being opened together


@dataclass
class Bench:
    k: int
    rate: float
    deltas: int
    deadline: float
    upstream_url: str
    sent: Path
    upstream_pids: list[int]
    nonce: str = field(default_factory=lambda: f"{time.time_ns():x}")

    def key(self, side: str, i: int) -> str:
        return f"{side}-{self.k}-{i}-{self.nonce}"

    def prompt(self, key: str) -> str:
        return f"Relay bench relay-key:{key}"

    def sent_text(self, key: str) -> dict | None:
        """What the upstream sent for `key` (None: it never streamed it), once
        settle() let the last streams' records reach the disk."""
        path = self.sent / f"{key}.json"
        return json.loads(path.read_text()) if path.exists() else None

    async def settle(self) -> None:
        # The upstream writes a stream's record just after its last bytes, which a reader
        # may see first.
        await asyncio.sleep(1.0)

    def upstream_cpu(self) -> float:
        return sum(cpu_seconds(pid) for pid in self.upstream_pids)


# -- the bare reader --------------------------------------------------------------------


async def bare(bench: Bench) -> Run:
    limits = httpx.Limits(max_connections=None, max_keepalive_connections=None)
    timeout = httpx.Timeout(bench.deadline)
    run = Run("bare", bench.k)
    async with httpx.AsyncClient(
        base_url=bench.upstream_url, limits=limits, timeout=timeout
    ) as client:
        upstream_cpu, cpu, started = bench.upstream_cpu(), time.process_time(), time.time()
        keys = [bench.key("bare", i) for i in range(bench.k)]
        pages = await asyncio.gather(*(_bare_stream(client, bench, key) for key in keys))
        run.cpu = time.process_time() - cpu
        run.seconds = time.time() - started
        run.upstream_cpu = bench.upstream_cpu() - upstream_cpu
    run.client_cpu = run.cpu
    await bench.settle()
    for key, page in zip(keys, pages, strict=True):
        _judge(run, bench, key, page, page.text(0) if page.ended else None)
    return run


async def _bare_stream(client: httpx.AsyncClient, bench: Bench, key: str) -> Page:
    """One streaming request, its SSE read minimally: data lines, their delta text."""
    body = {
        "model": MODEL,
        "stream": True,
        "messages": [{"role": "user", "content": bench.prompt(key)}],
    }
    page = Page(sent_at=time.time())
    try:
        async with asyncio.timeout(bench.deadline):
            async with client.stream("POST", "/chat/completions", json=body) as response:
                async for line in response.aiter_lines():
                    if not line.startswith("data: "):
                        continue
                    if line == "data: [DONE]":
                        page.ended = True
                        break
                    now = time.time()
                    for choice in json.loads(line[6:])["choices"]:
                        delta = choice["delta"]
                        if text := delta.get("reasoning_content"):
                            page.append(("r", 0), text, now)
                        if text := delta.get("content"):
                            page.append(("a", 0), text, now)
    except (TimeoutError, httpx.HTTPError) as failure:
        page.refused = page.refused or ("" if isinstance(failure, TimeoutError) else "http")
    return page


# -- the app ----------------------------------------------------------------------------


@dataclass
class Socket:
    conversation: int
    cookie: str
    key: str
    ws: websockets.ClientConnection | None = None
    page: Page | None = None
    closed: bool = False


async def app(bench: Bench, env: dict[str, str], password: str, log: Path) -> Run:
    daphne = Daphne(env, log)
    run = Run("app", bench.k)
    try:
        sockets = await _conversations(bench, daphne, password)
        pid = daphne.process.pid
        run.db_updates = updates_of_messages(env["DATABASE_URL"])
        # What a stream costs includes its socket.
        rss = rss_bytes(pid)
        peak = [rss]
        sampler = asyncio.create_task(_sample_rss(pid, peak))
        await _connect(daphne, sockets)
        cpu, client_cpu = cpu_seconds(pid), time.process_time()
        upstream_cpu, started = bench.upstream_cpu(), time.time()
        watching = [asyncio.create_task(_watch(socket)) for socket in sockets]
        form = {"action": "send", "model": MODEL, "stream": "true"}
        for socket in sockets:
            socket.page = Page(sent_at=time.time())
            assert socket.ws is not None
            await socket.ws.send(json.dumps({**form, "prompt": bench.prompt(socket.key)}))
        await asyncio.wait(watching, timeout=bench.deadline)
        run.seconds = time.time() - started
        run.cpu = cpu_seconds(pid) - cpu
        run.client_cpu = time.process_time() - client_cpu
        run.upstream_cpu = bench.upstream_cpu() - upstream_cpu
        sampler.cancel()
        run.rss_growth = peak[0] - rss
        for task in watching:
            task.cancel()
        await asyncio.gather(*(_close(socket) for socket in sockets))
    finally:
        daphne.stop()
    if run.db_updates is not None:
        run.db_updates = (updates_of_messages(env["DATABASE_URL"]) or 0) - run.db_updates
    saved = messages(env, [socket.conversation for socket in sockets])
    await bench.settle()
    for socket in sockets:
        assert socket.page is not None
        row = saved.get(socket.conversation)
        run.frames.append(socket.page.frames)
        run.ws_bytes += socket.page.bytes
        if row is not None and row["status"] == "complete":
            run.revisions.append(row["revision"])
        _judge(run, bench, socket.key, socket.page, _shown(socket.page), row, socket.closed)
    return run


async def _conversations(bench: Bench, daphne: Daphne, password: str) -> list[Socket]:
    """Sign in and make K conversations, as K browser tabs would; their sockets to open."""
    async with httpx.AsyncClient(
        base_url=daphne.url, headers={"Origin": daphne.url}, timeout=120
    ) as client:
        csrf = await sign_in(client, password)
        gate = asyncio.Semaphore(8)

        async def one() -> int:
            async with gate:
                return await new_conversation(client, csrf)

        conversations = await asyncio.gather(*(one() for _ in range(bench.k)))
        (await client.get(f"/c/{conversations[0]}/")).raise_for_status()  # warm the templates
        cookie = "; ".join(f"{name}={value}" for name, value in client.cookies.items())
    return [Socket(pk, cookie, bench.key("app", i)) for i, pk in enumerate(conversations)]


async def _connect(daphne: Daphne, sockets: list[Socket]) -> None:
    """Open every page's socket, with its page's origin and its session cookie."""
    gate = asyncio.Semaphore(OPEN_AT_ONCE)
    ws_url = daphne.url.replace("http://", "ws://")

    async def connect(socket: Socket) -> None:
        async with gate:
            socket.ws = await websockets.connect(
                f"{ws_url}/ws/c/{socket.conversation}/",
                additional_headers={"Origin": daphne.url, "Cookie": socket.cookie},
                compression=None,  # count the bytes the app sends, as they are
                max_size=None,
                ping_interval=None,
                open_timeout=120,
            )

    await asyncio.gather(*(connect(socket) for socket in sockets))


async def _watch(socket: Socket) -> None:
    """Read the page's frames until its stream ends (frames before its prompt are not
    its stream's)."""
    assert socket.ws is not None
    try:
        async for frame in socket.ws:
            page = socket.page
            if page is None or not isinstance(frame, str):
                continue
            page.apply(frame, time.time())
            if page.ended or page.refused:
                return
    except websockets.ConnectionClosed:
        pass
    socket.closed = True


async def _sample_rss(pid: int, peak: list[int]) -> None:
    while True:
        peak[0] = max(peak[0], rss_bytes(pid))
        await asyncio.sleep(0.5)


async def _close(socket: Socket) -> None:
    if socket.ws is not None:
        await socket.ws.close()


def _shown(page: Page) -> tuple[str, str] | None:
    ids = page.message_ids()
    return page.text(next(iter(ids))) if len(ids) == 1 else None


def _judge(
    run: Run,
    bench: Bench,
    key: str,
    page: Page,
    shown: tuple[str, str] | None,
    row: dict | None = None,
    closed: bool = False,
) -> None:
    """Count the stream's outcome, and its figures, against what the upstream sent."""
    sent = bench.sent_text(key)
    run.lags += page.lags
    if page.first_delta is not None:
        run.first_deltas.append(page.first_delta)
    if sent is None:
        outcome = "stuck" if not page.ended else "lost"
    else:
        run.text_bytes += len((sent["reasoning"] + sent["content"]).encode())
        run.slips.append(sent["slip_max"])
        outcome = verdict(page, sent["reasoning"], sent["content"])
        if row is not None and (row["reasoning"], row["content"]) != (
            sent["reasoning"],
            sent["content"],
        ):
            run.unsaved += 1
        final = page.rendered.get(("a", row["id"])) if row else None
        run.finals += final is not None
        if final is not None and final.split() != sent["content"].split():
            run.bad_final += 1
    if outcome != "ok" and row is not None and row["status"] in ("error", "interrupted"):
        outcome = "error"
        run.errors[row["error"]] = run.errors.get(row["error"], 0) + 1
    if shown is None and outcome == "ok":
        outcome = "lost"
    if outcome == "stuck" and closed:
        outcome = "closed"
    if outcome == "lost" and sent is not None:
        whole = len(sent["reasoning"]) + len(sent["content"])
        run.lost_shown.append(sum(map(len, shown or ("", ""))) / whole if whole else 0.0)
    run.outcomes[outcome] = run.outcomes.get(outcome, 0) + 1


# -- the run ----------------------------------------------------------------------------


def _start_upstreams(count: int, args: argparse.Namespace, sent: Path) -> tuple[str, list]:
    port = free_port()
    command = [sys.executable, str(HERE / "relay_upstream.py"), "--port", str(port)]
    command += ["--rate", str(args.rate), "--deltas", str(args.deltas), "--out", str(sent)]
    processes = [subprocess.Popen(command, stdout=subprocess.PIPE, text=True) for _ in range(count)]
    for process in processes:
        assert process.stdout is not None
        if process.stdout.readline().strip() != "ready":
            raise RuntimeError("the stand-in upstream did not start")
    return f"http://127.0.0.1:{port}/v1", processes


async def _main(args: argparse.Namespace) -> None:
    print(f"machine: {machine()}")
    print(f"command: {shlex.join(sys.argv)}")
    with tempfile.TemporaryDirectory(prefix="relay-") as folder:
        tmp = Path(folder)
        sent = tmp / "sent"
        sent.mkdir()
        upstream_url, upstreams = _start_upstreams(args.upstreams, args, sent)
        runs: list[tuple[Run, Run]] = []
        try:
            with database(tmp) as database_url:
                env = app_env(database_url, upstream_url)
                where = "PostgreSQL" if database_url.startswith("postgres") else "SQLite"
                print(
                    f"app: one Daphne process, restarted for every K, on {where}; channel "
                    f"layer {'Redis' if env.get('REDIS_URL') else 'in memory'}; DEBUG=1"
                )
                print(
                    f"upstream: {args.upstreams} processes, {args.rate:g} deltas/s per stream, "
                    f"{args.deltas} deltas of 24 characters; deadline {args.deadline:.0f} s "
                    "per stream"
                )
                password = prepare(env)
                for k in args.k:
                    bench = Bench(
                        k,
                        args.rate,
                        args.deltas,
                        args.deadline,
                        upstream_url,
                        sent,
                        [p.pid for p in upstreams],
                    )
                    baseline = (
                        await bare(bench) if args.only != "app" else Run("bare", k, measured=False)
                    )
                    measured = (
                        await app(bench, env, password, tmp / "daphne.log")
                        if args.only != "bare"
                        else Run("app", k, measured=False)
                    )
                    shown = [f"{r.side} {r.summary()}" for r in (measured, baseline) if r.measured]
                    print(f"K={k}: " + "; ".join(shown), flush=True)
                    runs.append((measured, baseline))
        finally:
            for process in upstreams:
                process.terminate()
            for process in upstreams:
                try:
                    process.wait(10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(10)
    print_table(runs, args.rate, args.deltas)


def _k_values(text: str) -> list[int]:
    return [int(value) for value in text.split(",") if value.strip()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--k", type=_k_values, default=[5, 50, 100, 300, 1000], help="K values, e.g. 5,50,100"
    )
    parser.add_argument("--rate", type=float, default=20.0, help="deltas per second per stream")
    parser.add_argument("--deltas", type=int, default=250, help="deltas per stream")
    parser.add_argument("--upstreams", type=int, default=2, help="stand-in upstream processes")
    parser.add_argument("--deadline", type=float, help="seconds a stream may take to end")
    parser.add_argument("--only", choices=("app", "bare"), help="measure one side only")
    args = parser.parse_args()
    # K sockets and K upstream connections, in this process and in Daphne (which inherits).
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = 4 * max(args.k) + 1024
    if soft != resource.RLIM_INFINITY and soft < wanted:
        limit = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (limit, hard))
    if args.deadline is None:
        args.deadline = 60 + 3 * args.deltas / args.rate
    asyncio.run(_main(args))


if __name__ == "__main__":
    main()
