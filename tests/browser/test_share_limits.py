"""Share links people control, in a real Chromium: a view limit, revoke with undo, and
a Live link that streams to a logged-out reader."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import send, sign_up, wait_live
from tests.browser.test_playground import assistants

VIEWPORT = {"width": 1200, "height": 900}


def _stranger(browser: Browser) -> Page:
    """A new browser context: no cookies, nobody logged in."""
    return browser.new_context(viewport=VIEWPORT).new_page()


def _share(page: Page, *, live: bool = False, view_limit: str = "") -> str:
    page.get_by_role("link", name="Share", exact=True).click()
    if live:
        page.locator("form.share-create input[name=live]").check()
    page.get_by_label("Expires").select_option("7d")
    page.get_by_label("View limit").fill(view_limit)
    page.get_by_role("button", name="Create share link").click()
    return page.locator(".share-url").first.inner_text().strip()


def test_a_live_link_streams_the_answer_to_a_logged_out_reader(
    page: Page, base: str, browser: Browser
) -> None:
    sign_up(page, base, "alice")
    send(page, "First [[sim:words=5]]")
    expect(assistants(page).last).to_have_attribute("data-status", "complete")
    conversation = page.url
    url = _share(page, live=True)
    stranger = _stranger(browser)
    stranger.goto(url)
    expect(stranger.locator("#shared-messages")).to_be_attached()

    page.goto(conversation)
    wait_live(page)
    send(page, "A slow story [[sim:tps=15]] [[sim:words=60]]")
    streaming = stranger.locator(
        '.message.assistant[data-status="streaming"] .answer-pane .stream-text'
    )
    # Text arrives while the card is still streaming, then the card completes.
    expect(streaming.first).to_have_text(re.compile(r"\w+"), timeout=30_000)
    done = stranger.locator('.message.assistant[data-status="complete"]')
    expect(done).to_have_count(1, timeout=60_000)
    expect(done.locator(".answer-pane")).to_contain_text(re.compile(r"\w+"))
    # Read-only: nothing to stop, edit or send.
    for name in ("Stop", "Send", "Edit"):
        expect(stranger.get_by_role("button", name=name)).to_have_count(0)
    expect(assistants(page).last).to_have_attribute("data-status", "complete")
    stranger.context.close()


def test_a_view_limit_and_a_revoke_with_undo(page: Page, base: str, browser: Browser) -> None:
    sign_up(page, base, "alice")
    send(page, "Limited [[sim:words=5]]")
    expect(assistants(page).last).to_have_attribute("data-status", "complete")
    url = _share(page, view_limit="1")
    stranger = _stranger(browser)
    first = stranger.goto(url)
    assert first is not None and first.status == 200
    again = stranger.goto(url)
    assert again is not None and again.status == 404

    page.goto(f"{base}/shares/")
    expect(page.locator("[data-share-views]").first).to_have_text("1 of 1")
    expect(page.get_by_text("View limit reached")).to_be_visible()
    page.locator("summary", has_text="Expiry and views").first.click()
    page.get_by_label("View limit").first.fill("5")
    page.get_by_role("button", name="Save limits").first.click()
    reopened = stranger.goto(url)
    assert reopened is not None and reopened.status == 200

    page.get_by_role("link", name="Revoke").first.click()
    page.get_by_role("button", name="Revoke").click()
    revoked = stranger.goto(url)
    assert revoked is not None and revoked.status == 404
    page.get_by_role("button", name="Undo").click()
    restored = stranger.goto(url)
    assert restored is not None and restored.status == 200
    stranger.context.close()
