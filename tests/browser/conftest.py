"""Browser fixtures: the system Chromium driven by Playwright against the Daphne-served app.

Every page is watched: a console error, an uncaught exception or a request to another
host than 127.0.0.1 fails the test that caused it.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import (
    Browser,
    ConsoleMessage,
    Page,
    Playwright,
    Route,
    expect,
    sync_playwright,
)

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ALLOWED_HOST = "127.0.0.1"
PASSWORD = "a long test password 42"
# Short enough that a broken page fails fast, long enough for a loaded CI machine.
expect.set_options(timeout=8_000)


def _chromium_path() -> str:
    path = (
        os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    )
    if not path:
        pytest.fail(
            "Chromium is missing: the browser tests need it and are never skipped. "
            "Install it (Debian/Ubuntu: apt-get install chromium) or set CHROMIUM=/path/to/it.",
            pytrace=False,
        )
    return path


@pytest.fixture(autouse=True)
def _allow_async_unsafe(monkeypatch: pytest.MonkeyPatch) -> None:
    # Playwright's sync API keeps an event loop registered in this thread, so Django
    # would refuse this process's database work (fixtures' users, the flush after).
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


# Package scope, not session: while Playwright runs, its event loop stays registered in
# this thread, and the asyncio tests that run after this package could not start theirs.
@pytest.fixture(scope="package")
def playwright(request: pytest.FixtureRequest) -> Iterator[Playwright]:
    # Every server process is forked before Playwright's event loop exists here: after
    # it, Django refuses this process's database work, and a fork would inherit the loop.
    request.getfixturevalue("app_server")
    # The recording simulator some tests talk to is a server process too (session scope:
    # made here first when these files run alone, not forked later under Playwright).
    request.getfixturevalue("simulator_url")
    # Without Redis, only the tests that need two processes are skipped (by the fixture).
    with contextlib.suppress(pytest.skip.Exception):
        request.getfixturevalue("two_servers")
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="package")
def browser(app_server: str, playwright: Playwright) -> Iterator[Browser]:
    # The server first: it is forked before Playwright's event loop exists here.
    browser = playwright.chromium.launch(
        executable_path=_chromium_path(), args=CHROMIUM_ARGS, headless=True
    )
    yield browser
    browser.close()


@pytest.fixture
def base(_allow_async_unsafe: None, transactional_db: None, app_server: str) -> str:
    """The app's address. Data is committed (the server process sees it) and flushed after."""
    return app_server


# While a test's server is down on purpose (server_outage), the page's socket reconnects
# fail, and Chromium and htmx say so on the console; only these are expected then.
OUTAGE_MESSAGES = re.compile(r"WebSocket connection to .* failed|htmx:ws:error")
# A form the server refuses (bad_input) is answered 400 with the page and its message;
# the browser logs the status as a console error.
REFUSED_MESSAGES = re.compile(r"the server responded with a status of 400")


@pytest.fixture
def page(browser: Browser, base: str, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A fresh context per test; its console errors and outside requests fail the test.

    It needs `base`, so the context closes before the database is flushed.
    """
    outage = request.node.get_closest_marker("server_outage") is not None
    refusals = request.node.get_closest_marker("bad_input") is not None
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    problems: list[str] = []
    outside: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type != "error":
            return
        if urlsplit(message.location.get("url", "")).path == "/favicon.ico":
            return
        if outage and OUTAGE_MESSAGES.search(message.text):
            return
        if refusals and REFUSED_MESSAGES.search(message.text):
            return
        problems.append(f"console: {message.text} ({message.location.get('url')})")

    def on_route(route: Route) -> None:
        url = route.request.url
        if urlsplit(url).hostname != ALLOWED_HOST:
            outside.append(url)
            route.abort()
        else:
            route.continue_()

    context.on("console", on_console)
    context.on("weberror", lambda error: problems.append(f"page error: {error.error}"))
    context.route("**/*", on_route)
    page = context.new_page()
    yield page
    context.close()
    if outside:
        pytest.fail(f"requests to other hosts were made: {outside}", pytrace=False)
    if problems:
        pytest.fail("the page reported errors:\n" + "\n".join(problems), pytrace=False)


# -- helpers ---------------------------------------------------------------


def sign_up(page: Page, base: str, username: str) -> None:
    """Create an account through the real form; it lands on a new conversation."""
    page.goto(f"{base}/accounts/signup/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password confirmation").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    expect(page).to_have_url(re.compile(r"/c/\d+/$"))
    wait_live(page)


def wait_live(page: Page) -> None:
    """The conversation's websocket is open: what is sent now reaches the server."""
    expect(page.locator("[data-connection]")).to_have_text("Live")


def send(page: Page, text: str) -> None:
    box = page.get_by_label("Message")
    box.fill(text)
    box.press("Control+Enter")


def open_account_menu(page: Page) -> None:
    """Open the top bar's account menu (Share links, Import, Providers, Log out…)."""
    menu = page.locator("[data-account-menu]")
    if menu.get_attribute("open") is None:
        menu.locator("summary").click()
    expect(menu.get_by_role("button", name="Log out")).to_be_visible()
