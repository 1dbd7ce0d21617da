"""An evaluation of a prompt written in the evaluation itself, its test cases pasted
from a spreadsheet, graded by a model (the simulator as a deterministic judge: a
rubric's quoted phrases must appear in the answer), with the judge's request in view
code; and bad input that starts nothing."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import sign_up


@pytest.mark.bad_input
def test_a_judge_grades_each_answer_and_its_request_is_in_view_code(page: Page, base: str) -> None:
    sign_up(page, base, "alice")
    page.goto(f"{base}/evals/")
    page.get_by_label("Title").fill("Judged")
    page.get_by_role("button", name="New evaluation").click()

    # Running without a prompt or test cases is refused, and says why.
    expect(page.get_by_role("button", name="Run evaluation")).to_be_disabled()
    run = page.get_by_role("region", name="Run", exact=True)
    expect(run).to_contain_text("The prompt has no user message to send.")
    expect(run).to_contain_text("Add at least one test case before running.")

    page.get_by_label("User message").fill("Tell me about {{city}}.")
    page.get_by_role("button", name="Save prompt").click()
    page.get_by_label("Or paste rows from a spreadsheet (header first)").fill(
        "city\tnote\nParis\tthe capital\nLyon\tthe south"
    )
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_label("Test case 2: city")).to_have_value("Lyon")

    # An invalid regex is refused with its reason, and nothing is added.
    page.get_by_label("Check", exact=True).select_option(label="Matches a regex")
    page.get_by_label("Regex").fill("(unclosed")
    page.get_by_role("button", name="Add check").click()
    expect(page.get_by_role("alert")).to_contain_text("The regex does not compile")
    expect(page.locator(".check-list li")).to_have_count(0)

    page.get_by_label("Check", exact=True).select_option(label="Model-graded (judge)")
    page.get_by_label("Regex").fill("")
    page.get_by_label("Rubric (model-graded)").fill('The answer mentions "Paris".')
    page.get_by_role("button", name="Add check").click()
    expect(page.locator(".check-list li")).to_have_count(1)

    page.get_by_role("button", name="Run evaluation").click()
    expect(page).to_have_url(re.compile(r"/evals/\d+/runs/1/$"))
    expect(page.locator(".run-status")).to_contain_text("Done", timeout=30_000)
    paris = page.locator('tr[data-case="0"]')
    lyon = page.locator('tr[data-case="1"]')
    expect(paris.locator(".answer-cell")).to_have_attribute("data-passed", "pass")
    expect(paris).to_contain_text('The answer mentions "Paris".')
    expect(lyon.locator(".answer-cell")).to_have_attribute("data-passed", "fail")
    expect(lyon).to_contain_text('The answer does not mention "Paris".')
    expect(page.locator(".column-head").first).to_contain_text("Pass rate 50% (1 of 2)")

    lyon.locator(".cell-link").click()
    page.get_by_role("link", name="View the judge's request").click()
    expect(page.get_by_role("heading", name=re.compile("Code for column 1"))).to_be_visible()
    expect(page.locator("body")).to_contain_text("<rubric>")
    expect(page.locator("body")).to_contain_text('The answer mentions \\"Paris\\".')
