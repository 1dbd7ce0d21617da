"""JSON mode as a person uses it: the panel's reminder, "Valid JSON" and "Invalid JSON"
on the answer cards, and Continue refused with the API's reason. A real Chromium, a
real server, the simulator."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from chat.api import rules
from tests.browser.conftest import send, sign_up

ASK_FOR_JSON = "JSON mode: ask for JSON explicitly in your prompt."
NOT_MENTIONED = "Your prompt does not mention JSON yet."


def test_json_mode_reminds_labels_valid_and_invalid_answers_and_refuses_continue(
    page: Page, base: str
) -> None:
    sign_up(page, base, "alice")
    advice = page.locator("#advice")
    page.get_by_label("Response format", exact=True).select_option("json_object")
    expect(advice).to_contain_text(ASK_FOR_JSON)
    expect(advice).to_contain_text(NOT_MENTIONED)
    prompt = page.get_by_label("Message")
    prompt.fill("List three fruits as JSON")
    prompt.blur()
    expect(advice).not_to_contain_text(NOT_MENTIONED)
    expect(advice).to_contain_text(ASK_FOR_JSON)

    send(page, "List three fruits as JSON")
    valid = page.get_by_role("article", name=re.compile("Assistant")).first
    expect(valid).to_have_attribute("data-status", "complete")
    label = valid.get_by_text("Valid JSON", exact=True)
    expect(label).to_be_visible()
    pretty = valid.locator(".json-valid pre code")
    expect(pretty).to_be_visible()
    assert pretty.inner_text().startswith("{\n  ")  # pretty-printed, two spaces
    label.click()  # collapsible
    expect(pretty).to_be_hidden()

    page.get_by_label("Max tokens", exact=True).fill("25")
    send(page, "List fruits as JSON [[sim:reasoning=5]]")
    cards = page.get_by_role("article", name=re.compile("Assistant"))
    expect(cards).to_have_count(2)
    invalid = cards.nth(1)
    expect(invalid).to_have_attribute("data-status", "complete")
    expect(invalid.get_by_role("note").filter(has_text="Invalid JSON")).to_contain_text(
        re.compile(r"at line \d+, column \d+\.")
    )
    expect(invalid.get_by_text("Valid JSON", exact=True)).to_have_count(0)

    # Cut at max_tokens, so Continue is offered; partial mode cannot carry json_object.
    go_on = invalid.get_by_role("button", name="Continue", exact=True)
    expect(go_on).to_have_attribute("title", re.compile("Cannot continue in JSON mode"))
    go_on.click()
    expect(page.locator("#error-prompt")).to_have_text(rules.PARTIAL_WITH_JSON)
    expect(cards).to_have_count(2)
    expect(invalid).to_have_attribute("data-status", "complete")
