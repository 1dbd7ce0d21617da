"""What a signed-in person's pages leave in the browser: nothing htmx keeps for itself."""

from __future__ import annotations

from playwright.sync_api import Page

from tests.browser.conftest import send, sign_up


def test_htmx_keeps_no_copy_of_a_page_in_the_browser(page: Page, base: str) -> None:
    sign_up(page, base, "alice")
    send(page, "Something private.")
    page.goto(f"{base}/c/")
    page.go_back()
    page.wait_for_function("() => window.htmx !== undefined")

    assert page.evaluate("() => htmx.config.history") is False
    assert page.evaluate("() => localStorage.length + sessionStorage.length") == 0
