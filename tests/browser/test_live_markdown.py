"""Markdown rendered while it streams, in a real Chromium: the Answer region shows bold
and list items before the card completes, and the finished card does not move what the
live render showed (it is what a reload shows)."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.conftest import send, sign_up, wait_live
from tests.browser.test_playground import assistants

# The simulator's answer: a heading, a paragraph, **bold** bullets, then (the prompt says
# "code") a fenced code block, slowly enough that the bullets are rendered mid-stream.
MARKDOWN_PROMPT = "Explain tides with code [[sim:tps=15]] [[sim:words=90]] [[sim:reasoning=10]]"

# At one moment: the card still streams and its Answer region holds rendered Markdown.
RENDERED_WHILE_STREAMING = """id => {
    const card = document.getElementById(id);
    if (!card || card.dataset.status !== 'streaming') return false;
    const answer = card.querySelector('section[aria-label="Answer"]');
    return answer.querySelector('strong, li') !== null;
}"""

# Where the answer's list sits in its region, recorded at every change of the thread:
# the last record while streaming and the first once complete must agree.
RECORD_LIST_OFFSET = """id => {
    window.listOffsets = [];
    new MutationObserver(() => {
        const card = document.getElementById(id);
        const answer = card && card.querySelector('section[aria-label="Answer"]');
        const list = answer && answer.querySelector('ul');
        if (!list) return;
        const top = list.getBoundingClientRect().top - answer.getBoundingClientRect().top;
        window.listOffsets.push([card.dataset.status, top]);
    }).observe(
        document.getElementById('messages'), {childList: true, subtree: true, characterData: true}
    );
}"""


def test_markdown_is_rendered_in_the_answer_before_the_card_completes(
    page: Page, base: str
) -> None:
    sign_up(page, base, "alice")
    send(page, MARKDOWN_PROMPT)
    card = assistants(page)
    expect(card).to_have_attribute("data-status", "streaming")
    card_id = card.get_attribute("id")
    page.evaluate(RECORD_LIST_OFFSET, card_id)

    page.wait_for_function(RENDERED_WHILE_STREAMING, arg=card_id, timeout=30_000)
    answer = card.get_by_role("region", name="Answer")
    # Rendered, not raw: no Markdown syntax of the bullets is left in what is shown.
    expect(answer.locator("li").first).not_to_contain_text("**")

    expect(card).to_have_attribute("data-status", "complete", timeout=60_000)
    offsets = page.evaluate("() => window.listOffsets")
    live = [top for status, top in offsets if status == "streaming"]
    final = [top for status, top in offsets if status == "complete"]
    assert live and final
    # The finished card's list is where the live render had it: no jump at the end.
    assert abs(live[-1] - final[0]) <= 1, offsets

    shown = answer.locator('[id^="answer-text-"]').inner_html()
    page.reload()
    wait_live(page)
    reloaded = assistants(page).get_by_role("region", name="Answer")
    assert reloaded.locator('[id^="answer-text-"]').inner_html() == shown
