"""Two tabs of one person: what one does to the conversation list, the other's sidebar
shows without a reload."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.conftest import send, sign_up, wait_live


def test_a_new_and_a_renamed_conversation_appear_in_the_other_tab(page: Page, base: str) -> None:
    sign_up(page, base, "fern")
    send(page, "Explain recursion [[sim:words=5]]")
    expect(page.locator("article.message.assistant")).to_have_attribute("data-status", "complete")
    first = page.url

    other = page.context.new_page()  # the same person, signed in: a second tab
    other.goto(first)
    wait_live(other)
    rows = other.locator("#conversation-rows")
    expect(rows.get_by_role("link", name="Explain recursion", exact=True)).to_be_visible()

    page.get_by_role("button", name="New conversation").first.click()
    expect(page).not_to_have_url(first)
    wait_live(page)
    send(page, "Describe the tides [[sim:words=5]]")
    expect(rows.get_by_role("link", name="Describe the tides", exact=True)).to_be_visible()
    expect(page.locator("article.message.assistant")).to_have_attribute("data-status", "complete")

    title = page.get_by_label("Conversation title")
    title.fill("Moon and tides")
    page.get_by_role("button", name="Rename").click()
    expect(rows.get_by_role("link", name="Moon and tides", exact=True)).to_be_visible()
    expect(rows.get_by_role("link", name="Describe the tides", exact=True)).to_have_count(0)
    # The other tab stayed where it was, with its own conversation open.
    expect(other).to_have_url(re.compile(re.escape(first) + "$"))
    other.close()
