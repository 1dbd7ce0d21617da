"""Faults through the whole path, as a person sees them: a rate limit that is retried,
and a connection dropped mid-answer. (A server killed mid-stream is tested at the socket
level in tests/conversations/test_recovery.py.)

The retry test runs a server of its own (the `daphne` command, tests/servers.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import send, sign_up
from tests.servers import Server, server

ASSISTANT = re.compile("Assistant")
SLOW = "[[sim:tps=5]]"


@pytest.fixture
def retrying_server(base: str) -> Iterator[Server]:
    """The app with three attempts per request (tests elsewhere run with one)."""
    with server(PLAYGROUND_UPSTREAM_ATTEMPTS="3") as running:
        yield running


def test_a_rate_limit_is_retried_after_retry_after_then_answered(
    page: Page, retrying_server: Server
) -> None:
    sign_up(page, retrying_server.url, "alice")
    send(page, "Hello [[sim:fault=429,times=1]]")

    card = page.get_by_role("article", name=ASSISTANT).last
    expect(card).to_contain_text("Retrying in 7 s…")
    expect(card).to_have_attribute("data-status", "complete", timeout=30_000)
    expect(card).not_to_contain_text("Retrying in")
    expect(card.get_by_role("region", name="Answer")).not_to_be_empty()
    expect(card.get_by_role("alert")).to_have_count(0)


def test_a_drop_mid_stream_shows_an_error_and_keeps_the_text(page: Page, base: str) -> None:
    sign_up(page, base, "alice")
    send(page, "Hello [[sim:fault=drop]]")

    card = page.get_by_role("article", name=ASSISTANT).last
    expect(card).to_have_attribute("data-status", "error")
    expect(card.get_by_role("alert")).to_contain_text("dropped mid-stream")
    expect(card.get_by_role("region", name="Reasoning")).not_to_be_empty()
