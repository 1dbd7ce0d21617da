"""Compare results fit the window: however many columns, however long their answers, the
page never scrolls sideways. The columns and the summary table scroll inside their own
labelled regions instead, and a column's heading stays in view down a long answer.

The comparisons are made finished in the database (no streaming needed), with answers
built to push a page wide: a 300-character word, a long URL, a code block with a long
line, a wide table and many paragraphs.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from playwright.sync_api import Page, expect

from chat.compare import runs
from chat.models import Comparison, ComparisonRun, Message
from chat.providers.upstreams import Provider
from tests.browser.conftest import sign_up

DESKTOP = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}
RUN = re.compile(r"^Column \d+, run \d+$")

WORD = "Pneumonoultramicroscopic" * 12
URL = "https://example.com/" + "a-very-long-path/" * 20
CODE = "```python\nanswer = '" + "x" * 400 + "'\nprint(answer)\n```"
TABLE = "| " + " | ".join(f"heading {n}" for n in range(12)) + " |\n" + "|---" * 12 + "|\n"
TABLE += "| " + " | ".join("cell-" + "y" * 30 for _ in range(12)) + " |"
PARAGRAPHS = "\n\n".join(f"Paragraph {n}: the sky scatters blue light." for n in range(40))
ANSWER = f"{WORD}\n\nSee {URL}\n\n{CODE}\n\n{TABLE}\n\n{PARAGRAPHS}"
REASONING = f"Thinking about {WORD} and {URL}."

# The page scrolls sideways exactly when its scrolling element is wider than its window.
PAGE_WIDTHS = """() => {
    const page = document.scrollingElement;
    return [page.scrollWidth, page.clientWidth];
}"""


def _finished_comparison(owner: User, count: int) -> Comparison:
    """`count` columns, temperatures 0, 0.1, 0.2..., each run once and answered at length."""
    comparison = Comparison.objects.create(
        owner=owner,
        title="Wide " + "z" * 120,
        messages=[{"role": "user", "content": f"Explain {WORD}"}],
        columns=[
            {"model": "kimi-k2-thinking", "temperature": round(n / 10, 1), "stream": True}
            for n in range(count)
        ],
        repeats=1,
    )
    upstream = Provider("Simulator", "http://127.0.0.1:9/v1", True)
    runs._create_run(comparison, lambda column: upstream)
    sent = timezone.now() - timedelta(seconds=5)
    Message.objects.filter(
        pk__in=ComparisonRun.objects.filter(comparison=comparison).values("message_id")
    ).update(
        status="complete",
        content=ANSWER,
        reasoning=REASONING,
        finish_reason="stop",
        usage={"prompt_tokens": 5, "completion_tokens": 900, "reasoning_tokens": 20},
        sent_at=sent,
        first_reasoning_at=sent + timedelta(seconds=0.5),
        first_content_at=sent + timedelta(seconds=1.5),
        finished_at=sent + timedelta(seconds=3),
    )
    return comparison


def _assert_no_sideways_scroll(page: Page) -> None:
    scroll_width, client_width = page.evaluate(PAGE_WIDTHS)
    assert scroll_width == client_width, (
        f"the page scrolls sideways at {page.viewport_size}: {scroll_width} > {client_width}"
    )


# Nothing in a run card is wider than the card: long words wrap, code and tables scroll.
CARDS_OVERFLOWING = """() => [...document.querySelectorAll('article.compare-run')]
    .filter(card => card.scrollWidth > card.clientWidth)
    .map(card => card.getAttribute('aria-label'))"""


# An element's left edge and width, in CSS pixels of the viewport.
BOX = "e => { const r = e.getBoundingClientRect(); return [r.left, r.width]; }"


def _open(page: Page, url: str, size: dict[str, int], count: int) -> None:
    page.set_viewport_size(size)
    page.goto(url)
    expect(page.get_by_role("article", name=RUN)).to_have_count(count)
    expect(page.locator("article.compare-run pre").first).to_be_attached()


@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["1440x900", "390x844"])
@pytest.mark.parametrize("count", [3, 12])
def test_the_results_page_never_scrolls_sideways(
    page: Page, base: str, count: int, size: dict[str, int]
) -> None:
    sign_up(page, base, "alice")
    comparison = _finished_comparison(User.objects.get(username="alice"), count)
    _open(page, f"{base}/compare/{comparison.pk}/", size, count)
    _assert_no_sideways_scroll(page)
    assert page.evaluate(CARDS_OVERFLOWING) == []
    # The columns and the table scroll in regions of their own, inside the window.
    columns = page.get_by_role("region", name="Columns, scroll sideways")
    table = page.get_by_role("region", name="Summary table, scrolls sideways")
    for region in (columns, table):
        expect(region).to_have_attribute("tabindex", "0")
        # Measured in one step once shown: the page's socket may redraw a region between
        # finding it and measuring it, and a detached one has no box.
        expect(region).to_be_visible()
        left, width = region.evaluate(BOX)
        assert left >= 0
        assert left + width <= size["width"]
    # Each column keeps a readable width rather than squeezing to fit.
    first = page.get_by_role("region", name=re.compile(r"^Column 1: "))
    expect(first).to_be_visible()
    _, width = first.evaluate(BOX)
    assert width >= min(360, size["width"] - 60)


def test_three_columns_fit_at_1440_and_their_heads_stay_in_view(page: Page, base: str) -> None:
    sign_up(page, base, "alice")
    comparison = _finished_comparison(User.objects.get(username="alice"), 3)
    _open(page, f"{base}/compare/{comparison.pk}/", DESKTOP, 3)
    columns = page.get_by_role("region", name="Columns, scroll sideways")
    third = page.get_by_role("region", name="Column 3: Temperature 0.2")
    expect(third).to_be_visible()
    # At 1440 px three columns fit side by side: none is cut off by the window.
    box = third.bounding_box()
    assert box is not None and box["x"] + box["width"] <= DESKTOP["width"]
    table = page.get_by_role("table", name=re.compile("Every column"))
    expect(table.get_by_role("row", name=re.compile("Temperature 0.2"))).to_be_visible()

    # Down a long answer, the column's heading stays in view.
    heading = page.get_by_role("heading", name="Column 1 Temperature 0", exact=True)
    page.get_by_role("article", name="Column 1, run 1").get_by_text(
        "Paragraph 30:"
    ).scroll_into_view_if_needed()
    expect(heading).to_be_in_viewport()  # clipped by the region were it not sticky

    # Keyboard users reach the columns' region and scroll it with the arrow keys.
    _open(page, f"{base}/compare/{comparison.pk}/", PHONE, 3)
    columns.focus()
    expect(columns).to_be_focused()
    before = columns.evaluate("region => region.scrollLeft")
    page.keyboard.press("ArrowRight")
    page.wait_for_function("before => document.activeElement.scrollLeft > before", arg=before)
    _assert_no_sideways_scroll(page)


def test_the_shared_page_never_scrolls_sideways(page: Page, base: str) -> None:
    sign_up(page, base, "alice")
    comparison = _finished_comparison(User.objects.get(username="alice"), 6)
    page.set_viewport_size(DESKTOP)
    page.goto(f"{base}/compare/{comparison.pk}/share/")
    page.get_by_role("button", name="Create share link").click()
    url = page.locator(".share-url").first.inner_text().strip()
    for size in (DESKTOP, PHONE):
        _open(page, url, size, 6)
        _assert_no_sideways_scroll(page)
        assert page.evaluate(CARDS_OVERFLOWING) == []
    expect(page.get_by_role("region", name="Columns, scroll sideways")).to_be_visible()
    expect(page.get_by_role("region", name="Column 6: Temperature 0.5")).to_be_attached()
