"""Feedback where people look: beside Send, on the card, in the banner and the sidebar."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.conftest import open_account_menu, send, sign_up, wait_live

ASSISTANT = re.compile("Assistant")


def test_a_bad_parameter_is_named_beside_send_and_links_to_its_field(page: Page, base: str) -> None:
    sign_up(page, base, "dora")
    temperature = page.get_by_label("Temperature", exact=True)
    temperature.fill("3")
    temperature.dispatch_event("change")
    summary = page.locator("#param-summary")
    expect(summary).to_have_text("Temperature must be between 0 and 2.")
    expect(temperature).to_have_attribute("aria-invalid", "true")
    send(page, "Hello")
    expect(summary).to_have_text("Temperature must be between 0 and 2.")
    expect(page.get_by_label("Message")).to_be_focused()
    expect(page.get_by_role("article", name=ASSISTANT)).to_have_count(0)
    summary.get_by_role("link").click()
    expect(temperature).to_be_focused()
    temperature.fill("1")
    temperature.dispatch_event("change")
    expect(summary).to_be_empty()
    expect(temperature).not_to_have_attribute("aria-invalid", "true")


def test_an_answer_without_stream_says_it_is_waiting(page: Page, base: str) -> None:
    sign_up(page, base, "dora")
    page.get_by_label("Stream").uncheck()
    send(page, "Hello [[sim:delay=4]]")
    card = page.get_by_role("article", name=ASSISTANT)
    expect(card.get_by_role("status")).to_have_text("Waiting for the answer…")
    expect(card.locator("[data-wait-elapsed]")).to_have_text(re.compile(r"^\d+\.\d s$"))
    expect(card).to_have_attribute("data-status", "complete", timeout=30_000)


def test_the_sidebar_shows_a_new_and_a_renamed_conversation(page: Page, base: str) -> None:
    sign_up(page, base, "dora")
    rows = page.locator("#conversation-rows")
    send(page, "Explain recursion [[sim:words=5]]")
    expect(rows.get_by_role("link", name="Explain recursion", exact=True)).to_be_visible()
    title = page.get_by_label("Conversation title")
    title.fill("Recursion notes")
    page.get_by_role("button", name="Rename").click()
    expect(rows.get_by_role("link", name="Recursion notes", exact=True)).to_be_visible()
    expect(rows).not_to_contain_text("[[sim:")


def test_the_banner_follows_the_provider_chosen(page: Page, base: str) -> None:
    sign_up(page, base, "erin")
    open_account_menu(page)
    page.get_by_role("link", name="Providers", exact=True).click()
    page.get_by_label("Name").fill("My box")
    # The app's own simulator, reached like a local model server (allowed with DEBUG).
    page.get_by_label("Base URL").fill(f"{base}/sim/v1")
    page.get_by_label("API key").fill("sk-box-Hq4Lm8Np2Rs6Tv0Wx3Yz")
    page.get_by_label("Models").fill("kimi-k2-thinking-turbo")
    page.get_by_role("button", name="Add provider").click()
    page.goto(f"{base}/")
    wait_live(page)
    banner = page.locator("#upstream-banner")
    expect(banner).to_contain_text("the built-in simulator")
    provider = page.get_by_label("Provider", exact=True)
    provider.select_option(label="My box")
    expect(banner).to_have_text("Answering: My box")
    provider.select_option(index=0)
    expect(banner).to_contain_text("the built-in simulator")
