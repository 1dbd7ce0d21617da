"""Compare mode as a person uses it: a sweep built, run, watched, summed up, diffed, saved
and shared, in a real Chromium against the simulator.

Runs are <article>s named "Column N, run K" with regions "Reasoning" and "Answer" and a
data-status; column editors are regions named "Column N settings". These labels are the
contract the tests hold the pages to.
"""

from __future__ import annotations

import re

from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import sign_up

# Slow enough to watch six runs stream at once, short enough for a fast suite.
SLOW = "[[sim:tps=20,reasoning=20,words=20]]"
RUN = re.compile(r"^Column \d+, run \d+$")
ALL_STREAMING = """() => {
    const cards = [...document.querySelectorAll('article.compare-run')];
    return cards.length === 6 && cards.every(card =>
        card.dataset.status === 'streaming'
        && card.querySelector('[id^="reasoning-text-"]').textContent.length > 0);
}"""


def test_a_temperature_sweep_streams_side_by_side_is_diffed_saved_and_shared(
    page: Page, base: str, browser: Browser
) -> None:
    sign_up(page, base, "alice")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Compare").click()
    page.get_by_role("link", name="New comparison").click()

    page.get_by_label("Message 1", exact=True).fill(f"Why is the sky blue? {SLOW}")
    page.get_by_label("Sweep parameter", exact=True).select_option("temperature")
    page.get_by_label("Values", exact=True).fill("0, 0.7, 1.4")
    page.get_by_role("button", name="Generate columns").click()
    editors = page.get_by_role("region", name=re.compile(r"^Column \d+ settings$"))
    expect(editors).to_have_count(3)
    expect(editors.nth(1)).to_contain_text("Temperature 0.7")
    expect(editors.nth(2)).to_contain_text("Temperature 1.4")
    third = editors.nth(2)
    third.get_by_text("All parameters").click()
    third.get_by_label("Max tokens").fill("500")
    third.get_by_label("Max tokens").press("Tab")  # a change refreshes what each column changes
    expect(third).to_contain_text("Max tokens 500")
    expect(page.locator("#estimate")).to_contain_text("columns 1, 2 set no Max tokens")
    page.get_by_label("Repeats").fill("2")
    page.get_by_label("Repeats").press("Tab")  # a change refreshes the estimate
    expect(page.locator("#estimate")).to_contain_text("6 requests")

    page.get_by_role("button", name="Run", exact=True).click()
    expect(page).to_have_url(re.compile(r"/compare/\d+/$"))
    expect(page.locator("[data-connection]")).to_have_text("Live")
    runs = page.get_by_role("article", name=RUN)
    expect(runs).to_have_count(6)
    page.wait_for_function(ALL_STREAMING, timeout=5_000)  # six at once, each with text
    for run in runs.all():
        expect(run).to_have_attribute("data-status", "complete")
        expect(run.get_by_role("region", name="Answer")).not_to_be_empty()
    expect(page.get_by_role("region", name="Column 2")).to_contain_text("Temperature 0.7")
    # Every column is named by what differs between them, the first one too.
    expect(
        page.get_by_role("heading", name="Column 1 Temperature 0 · Max tokens unset")
    ).to_be_visible()

    table = page.get_by_role("table", name=re.compile("Every column"))
    expect(table.get_by_role("row")).to_have_count(4)
    table.get_by_role("button", name=re.compile("^Total time")).click()
    expect(table.locator("th[aria-sort=ascending]")).to_have_count(1)
    expect(page.get_by_role("img", name=re.compile("^Compare: "))).to_be_visible()
    expect(page.locator("svg.compare-chart rect.bar.col-3").first).to_be_attached()

    page.get_by_label("First run").select_option(label="Column 1, run 1")
    page.get_by_label("Second run").select_option(label="Column 3, run 1")
    page.get_by_role("button", name="Diff", exact=True).click()
    diff = page.get_by_role("region", name="Diff of Column 1, run 1 and Column 3, run 1")
    expect(diff).to_contain_text("Temperature 1.4")
    expect(diff.get_by_role("heading")).to_have_text(
        "Temperature 0 · Max tokens unset (column 1, run 1)"
        " vs Temperature 1.4 · Max tokens 500 (column 3, run 1)"
    )
    expect(diff.get_by_role("region", name="Answer diff").locator("ins").first).to_be_attached()
    expect(diff.get_by_role("region", name="Reasoning diff")).not_to_be_empty()

    page.get_by_label("Comparison title").fill("Sky sweep")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("Saved", exact=True)).to_be_visible()
    page.get_by_role("navigation", name="This comparison").get_by_role(
        "link", name="All comparisons"
    ).click()
    expect(page.get_by_role("link", name="Sky sweep")).to_be_visible()
    page.get_by_role("link", name="Sky sweep").click()

    page.get_by_role("navigation", name="This comparison").get_by_role("link", name="Share").click()
    page.get_by_role("button", name="Create share link").click()
    url = page.locator(".share-url").first.inner_text().strip()

    stranger = browser.new_context(viewport={"width": 1200, "height": 900}).new_page()
    stranger.goto(url)
    expect(stranger.get_by_role("heading", name="Sky sweep")).to_be_visible()
    expect(stranger.get_by_role("article", name=RUN)).to_have_count(6)
    expect(stranger.get_by_role("table", name=re.compile("Every column"))).to_be_visible()
    expect(stranger.get_by_role("img", name=re.compile("^Compare: "))).to_be_visible()
    expect(stranger.locator("body")).not_to_contain_text("alice")
    expect(stranger.get_by_role("button", name="Log out")).to_have_count(0)
    stranger.context.close()
