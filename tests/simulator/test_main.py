"""`python -m chat.simulator`: the standalone server, its flags and its environment."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from chat.simulator.__main__ import parse_args

ROOT = Path(__file__).resolve().parent.parent.parent
VARIABLES = (
    "PLAYGROUND_SIM_TOKENS_PER_SECOND",
    "PLAYGROUND_SIM_FIRST_TOKEN_DELAY",
    "PLAYGROUND_SIM_RECORD",
)
# Generous: a busy machine may take long to start Python, Twisted and Daphne.
START_TIMEOUT = 60


@pytest.fixture
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No PLAYGROUND_SIM_* variables from the machine running the tests."""
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_without_flags_or_environment_it_serves_the_defaults(clean_environment) -> None:
    args = parse_args([])
    assert (args.host, args.port) == ("127.0.0.1", 9000)
    assert (args.tps, args.first_token_delay, args.record) == (40.0, 0.3, False)


def test_the_environment_sets_the_defaults_and_flags_win(clean_environment) -> None:
    clean_environment.setenv("PLAYGROUND_SIM_TOKENS_PER_SECOND", "12")
    clean_environment.setenv("PLAYGROUND_SIM_FIRST_TOKEN_DELAY", "0")
    clean_environment.setenv("PLAYGROUND_SIM_RECORD", "yes")
    args = parse_args([])
    assert (args.tps, args.first_token_delay, args.record) == (12.0, 0.0, True)
    assert parse_args(["--tps", "5", "--first-token-delay", "1.5"]).tps == 5.0


def test_an_empty_variable_reads_as_the_settings_read_it(clean_environment) -> None:
    for name in VARIABLES:
        clean_environment.setenv(name, "")
    args = parse_args([])
    assert (args.tps, args.first_token_delay, args.record) == (40.0, 0.3, False)


@pytest.mark.parametrize(
    ("name", "raw", "message"),
    [
        ("PLAYGROUND_SIM_TOKENS_PER_SECOND", "fast", "must be a number, not 'fast'"),
        ("PLAYGROUND_SIM_FIRST_TOKEN_DELAY", "-1", "must be at least 0"),
        ("PLAYGROUND_SIM_RECORD", "maybe", "must be a boolean"),
    ],
)
def test_a_bad_variable_stops_it_naming_the_variable(
    clean_environment, capsys, name: str, raw: str, message: str
) -> None:
    clean_environment.setenv(name, raw)
    with pytest.raises(SystemExit) as stopped:
        parse_args([])
    assert stopped.value.code == 2
    assert f"{name} {message}" in capsys.readouterr().err


def test_a_pace_of_zero_is_refused(clean_environment, capsys) -> None:
    with pytest.raises(SystemExit):
        parse_args(["--tps", "0"])
    assert "tokens per second must be above 0" in capsys.readouterr().err


@pytest.fixture
def standalone() -> Iterator[str]:
    """`python -m chat.simulator` on a free port; its base URL once Daphne listens."""
    environ = {k: v for k, v in os.environ.items() if k not in VARIABLES}
    server = subprocess.Popen(
        [sys.executable, "-m", "chat.simulator", "--port", "0", "--first-token-delay", "0"],
        cwd=ROOT,
        env=environ,
        stderr=subprocess.PIPE,
        text=True,
    )
    # A server that never starts listening is killed, which ends the wait for its log.
    watchdog = threading.Timer(START_TIMEOUT, server.kill)
    watchdog.start()
    try:
        port = _listening_port(server)
        watchdog.cancel()
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        watchdog.cancel()
        server.terminate()
        server.wait(timeout=START_TIMEOUT)


def _listening_port(server: subprocess.Popen[str]) -> int:
    """The port Daphne reports in its "Listening on TCP address" log line."""
    assert server.stderr is not None
    seen = []
    for line in server.stderr:  # ends when the server exits
        seen.append(line)
        if match := re.search(r"Listening on TCP address [\d.]+:(\d+)", line):
            # Keep reading, so that the server never blocks on a full pipe.
            threading.Thread(target=server.stderr.read, daemon=True).start()
            return int(match.group(1))
    raise AssertionError("the simulator exited before listening:\n" + "".join(seen))


def test_it_serves_alone_as_the_readme_says(standalone: str) -> None:
    models = httpx.get(f"{standalone}/models", timeout=START_TIMEOUT)
    assert [m["id"] for m in models.json()["data"]] == [
        "kimi-k2-thinking",
        "kimi-k2-thinking-turbo",
    ]
    question = {"model": "kimi-k2-thinking", "messages": [{"role": "user", "content": "Hi"}]}
    answer = httpx.post(f"{standalone}/chat/completions", json=question, timeout=START_TIMEOUT)
    assert answer.json()["choices"][0]["finish_reason"] == "stop"
