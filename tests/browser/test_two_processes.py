"""Two server processes, one conversation: tabs served by either see the same stream."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import send, sign_up, wait_live
from tests.browser.test_playground import SLOW_LONG, SLOW_SHORT, assistants, texts, wait_until


@pytest.fixture
def servers(two_servers, transactional_db, _allow_async_unsafe) -> tuple[str, str]:
    return two_servers


@pytest.fixture
def two_tabs(browser: Browser, servers) -> tuple[Page, Page]:
    """Alice's conversation open twice: once from each server process."""
    first, second = servers
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    mine = context.new_page()
    sign_up(mine, first, "alice")
    theirs = context.new_page()  # cookies are per host, not per port: still Alice
    theirs.goto(mine.url.replace(first, second))
    wait_live(theirs)
    yield mine, theirs
    context.close()


def test_a_tab_on_another_server_process_sees_the_live_stream(two_tabs) -> None:
    mine, theirs = two_tabs
    send(mine, f"Describe a glacier. {SLOW_SHORT}")
    wait_until(theirs, assistants(theirs), "status === 'streaming' && reasoning.length > 0")
    expect(assistants(mine)).to_have_attribute("data-status", "complete")
    expect(assistants(theirs)).to_have_attribute("data-status", "complete")
    assert texts(assistants(mine)) == texts(assistants(theirs))


def test_stop_pressed_on_another_server_process_stops_the_stream(two_tabs) -> None:
    mine, theirs = two_tabs
    send(mine, f"A long story. {SLOW_LONG}")
    wait_until(theirs, assistants(theirs), "status === 'streaming' && reasoning.length > 0")
    theirs.get_by_role("button", name="Stop").click()
    expect(assistants(mine)).to_have_attribute("data-status", "stopped")
    expect(assistants(theirs)).to_have_attribute("data-status", "stopped")
