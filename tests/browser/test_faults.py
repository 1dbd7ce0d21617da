"""Faults through the whole path, as a person sees them: a rate limit that is retried,
a connection dropped mid-answer, and the server killed mid-stream and restarted.

These run servers of their own (the `daphne` command, tests/servers.py): one with
retries on, and one that is killed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import send, sign_up
from tests.servers import Server, free_port, server

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


@pytest.mark.server_outage
def test_an_open_tab_shows_interrupted_after_the_server_is_killed_and_restarted(
    page: Page, base: str
) -> None:
    port = free_port()
    first = Server(port).start()
    try:
        sign_up(page, first.url, "alice")
        send(page, f"Tell me a long story {SLOW}")
        card = page.get_by_role("article", name=ASSISTANT).last
        expect(card).to_have_attribute("data-status", "streaming")
        expect(card.get_by_role("region", name="Reasoning")).not_to_be_empty()
        # The sidebar has redrawn with it (a fetch cut by the kill would be a console
        # error of its own, not what this test is about).
        rows = page.locator("#conversation-rows")
        expect(rows.get_by_role("link", name="Tell me a long story", exact=True)).to_be_visible()
        first.kill()
    finally:
        first.close()
    with server(port):
        # The tab reconnects by itself, backing off up to 60 s while the server was down;
        # the new server ends the orphan on that connect and tells the tab.
        expect(card).to_have_attribute("data-status", "interrupted", timeout=150_000)
        expect(card.get_by_role("region", name="Reasoning")).not_to_be_empty()
        expect(card.get_by_role("button", name="Continue", exact=True)).to_be_visible()
        expect(card.get_by_role("button", name="Run again")).to_be_visible()
        expect(page.get_by_role("button", name="Send", exact=True)).to_be_enabled()
