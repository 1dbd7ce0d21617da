"""A refusal as a person sees it: the model declines (the API's `refusal` field, while
`content` stays null) and the card says so as it streams, after it ends and after a
reload. A real Chromium, a real server, the simulator's refusal marker."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.conftest import send, sign_up, wait_live

# Slow enough that the card is still streaming well after the refusal starts.
SLOW_REFUSAL = "[[sim:tps=8,reasoning=2,refusal=40]]"


def test_a_refusal_shows_on_the_card_while_it_streams_and_stays(page: Page, base: str) -> None:
    sign_up(page, base, "alice")
    send(page, f"Explain how to pick a lock {SLOW_REFUSAL}")
    card = page.get_by_role("article", name=re.compile("Assistant")).first
    refusal = card.get_by_role("note", name="Refusal")
    expect(refusal).to_contain_text("I'm sorry, but I can't help")
    # Shown while the answer streams, not only once it is saved.
    expect(card).to_have_attribute("data-status", "streaming")
    expect(refusal).to_contain_text("Refusal")
    expect(refusal).to_contain_text("The model declined")

    expect(card).to_have_attribute("data-status", "complete", timeout=30_000)
    expect(refusal).to_be_visible()
    text = refusal.locator(".refusal-text").inner_text()
    assert len(text.split()) == 40  # every token of it, once
    expect(card.locator(".answer-pane .rendered").first).to_have_text("")  # content stayed null

    page.reload()
    wait_live(page)
    card = page.get_by_role("article", name=re.compile("Assistant")).first
    expect(card.get_by_role("note", name="Refusal").locator(".refusal-text")).to_have_text(text)
