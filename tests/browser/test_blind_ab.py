"""A blind A/B test as a person runs one, in a real Chromium against the simulator: two
settings answer a prompt as "A" and "B", streamed side by side with their reasoning;
the vote reveals which was which, and three rounds add up in the pair's tally.

The answers are <article>s named "Answer A" and "Answer B" with a data-status; the
setting editors are regions named "Setting 1" and "Setting 2".
"""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.conftest import sign_up

# Slow enough to watch both answers stream at once, short enough for a fast suite.
SLOW = "[[sim:tps=20,reasoning=20,words=20]]"
BOTH_STREAMING = """() => {
    const sides = [...document.querySelectorAll('article.blind-side')];
    return sides.length === 2 && sides.every(side =>
        side.dataset.status === 'streaming'
        && side.querySelector('[id^="reasoning-text-"]').textContent.length > 0);
}"""
TRIAL = re.compile(r"/blind/\d+/$")


def _answers_finish(page: Page) -> None:
    for letter in "AB":
        answer = page.get_by_role("article", name=f"Answer {letter}")
        expect(answer).to_have_attribute("data-status", "complete", timeout=30_000)
        expect(answer.get_by_role("region", name="Reasoning")).not_to_be_empty()
        expect(answer.get_by_role("region", name="Answer")).not_to_be_empty()


def _vote_and_see_which_was_which(page: Page, vote: str) -> None:
    main = page.locator("main")
    # Nothing says which setting is which before the vote.
    expect(main).not_to_contain_text("Temperature")
    expect(main).not_to_contain_text("kimi")
    page.get_by_role("button", name=vote).click()
    reveal = page.get_by_role("region", name="Which was which")
    expect(reveal).to_contain_text("Temperature 0.2")
    expect(reveal).to_contain_text("Temperature 1.5")
    expect(reveal.get_by_role("table", name="Settings that differ")).to_contain_text("Temperature")
    labels = reveal.locator(".blind-labels dd").all_inner_texts()
    assert sorted(labels) == ["Temperature 0.2", "Temperature 1.5"]


def test_a_blind_vote_and_the_tally_after_three_votes(page: Page, base: str) -> None:
    sign_up(page, base, "alice")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Blind A/B").click()
    page.get_by_role("link", name="New blind test").click()

    page.get_by_label("Message", exact=True).fill(f"Why is the sea salty? {SLOW}")
    for number, temperature in ((1, "0.2"), (2, "1.5")):
        page.get_by_role("region", name=f"Setting {number}").get_by_label("Temperature").fill(
            temperature
        )
    page.get_by_role("button", name="Start blind test").click()
    expect(page).to_have_url(TRIAL)
    expect(page.locator("[data-connection]")).to_have_text("Live")
    page.wait_for_function(BOTH_STREAMING, timeout=10_000)  # side by side, with reasoning
    expect(page.get_by_text("Vote once both answers have finished.")).to_be_visible()
    _answers_finish(page)
    _vote_and_see_which_was_which(page, "A is better")
    expect(page.get_by_role("region", name="Tally of this pair")).to_contain_text("over 1 vote")

    for vote in ("B is better", "A tie"):
        page.get_by_role("button", name="Another round").click()
        expect(page).to_have_url(TRIAL)
        _answers_finish(page)
        _vote_and_see_which_was_which(page, vote)

    tally = page.get_by_role("region", name="Tally of this pair")
    expect(tally).to_contain_text("3 votes:")
    expect(tally).to_contain_text("1 tie")
    expect(tally).to_contain_text(
        re.compile(r"win rate: \d+% \(95% CI \d+\u2013\d+%\) over 3 votes")
    )

    page.get_by_role("link", name="All pairs").first.click()
    pairs = page.get_by_role("table", name=re.compile("^Each pair of settings"))
    row = pairs.get_by_role("row", name=re.compile("Temperature 0.2 vs Temperature 1.5"))
    expect(row).to_have_count(1)
    expect(row).to_contain_text("over 3 votes")
    expect(row.get_by_role("cell").nth(2)).to_have_text("1")  # the one tie
    # The trials are not comparisons of the list.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Compare").click()
    expect(page.get_by_text("No comparisons yet.")).to_be_visible()
