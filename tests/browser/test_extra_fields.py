"""Extra request fields as a person uses them: typed in the panel, sent, seen in "View
code", and refused beside the field when they would override a parameter. A real
Chromium, a real server, the simulator."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.conftest import send, sign_up, wait_live

HIGH = '{"reasoning_effort": "high"}'
REFUSAL = '"temperature" is set by the Temperature field; use it instead.'


def test_extra_fields_are_sent_shown_in_view_code_and_refused_when_they_override(
    page: Page, base: str
) -> None:
    sign_up(page, base, "alice")
    extra = page.get_by_label("Extra request fields", exact=True)
    expect(extra).to_have_attribute("placeholder", HIGH)
    extra.fill(HIGH)
    extra.blur()
    expect(page.locator("#error-extra_body")).to_be_empty()

    # What Send would send: the panel's View code.
    page.get_by_label("Message").fill("Think it through")
    page.get_by_role("button", name="View code", exact=True).click()
    curl = page.locator("#code-view [data-snippet='curl']")
    expect(curl).to_contain_text('"reasoning_effort": "high"')

    send(page, "Think it through")
    cards = page.get_by_role("article", name=re.compile("Assistant"))
    expect(cards).to_have_count(1)
    expect(cards.first).to_have_attribute("data-status", "complete")

    # What was sent for the answer: its own View code page.
    cards.first.get_by_role("link", name="View code").click()
    expect(page.get_by_role("heading", name="Code for this answer's request")).to_be_visible()
    for name in ("curl", "httpx", "fetch"):
        expect(page.locator(f"[data-snippet='{name}']")).to_contain_text(
            '"reasoning_effort": "high"'
        )
    expect(page.locator("[data-snippet='openai']")).to_contain_text(
        'extra_body={"reasoning_effort": "high"}'
    )
    page.go_back()
    page.reload()  # the panel as the server keeps it, not as the page was left
    wait_live(page)

    # A field the panel owns is refused beside the field, and Send starts nothing.
    extra = page.get_by_label("Extra request fields", exact=True)
    expect(extra).to_have_value(HIGH)  # kept with the conversation
    extra.fill('{"temperature": 2}')
    extra.blur()
    error = page.locator("#error-extra_body")
    expect(error).to_have_text(REFUSAL)
    send(page, "Once more")
    expect(page.locator("#param-summary")).to_contain_text(REFUSAL)
    expect(error).to_have_text(REFUSAL)
    expect(page.get_by_label("Message")).to_have_value("Once more")  # not sent
    expect(cards).to_have_count(1)
    expect(page.get_by_role("article", name="You", exact=True)).to_have_count(1)
