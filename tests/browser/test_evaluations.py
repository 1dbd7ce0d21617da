"""An evaluation as a person runs one: a saved prompt's test cases imported from CSV,
two checks, two columns run twice, the graded matrix, an edit and a second run with
what changed, an answer opened as a conversation, and the evaluation shared.

The matrix's cells carry data-passed ("pass" / "fail") and its column heads "Pass rate
…"; the run's status line says "Running" or "Done". These are the contract the tests
hold the pages to.
"""

from __future__ import annotations

import re

from django.contrib.auth.models import User
from playwright.sync_api import Browser, Page, expect

from chat.models import PromptVersion, SavedPrompt
from tests.browser.conftest import sign_up

# Slow enough that the matrix shows answers streaming, short enough for a fast suite.
SLOW = "[[sim:tps=40]]"
CSV = b"city,expected,note\nParis,Paris,capital\nLyon,Lyon,\nTurin,Italy,north\n"


def _saved_prompt(username: str) -> None:
    prompt = SavedPrompt.objects.create(owner=User.objects.get(username=username), name="Countries")
    PromptVersion.objects.create(
        prompt=prompt,
        number=1,
        messages=[{"role": "user", "content": f"Which country is {{{{city}}}} in? {SLOW}"}],
        settings={"model": "kimi-k2-thinking", "temperature": 1.0, "max_tokens": 300},
    )


def _wait_done(page: Page, answers: int) -> None:
    status = page.locator(".run-status")
    expect(status).to_contain_text("Done", timeout=30_000)
    expect(status).to_contain_text(f"{answers} answers")


def test_an_evaluation_is_imported_graded_run_again_compared_opened_and_shared(
    page: Page, base: str, browser: Browser
) -> None:
    sign_up(page, base, "alice")
    _saved_prompt("alice")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Evaluate").click()
    expect(page.get_by_text("No evaluations yet.")).to_be_visible()
    page.get_by_label("Title").fill("Cities")
    page.get_by_label("Prompt").select_option(label="Saved prompt: Countries")
    page.get_by_role("button", name="New evaluation").click()
    expect(page.get_by_text("Variables: city")).to_be_visible()

    page.get_by_label("File").set_input_files(
        {"name": "cities.csv", "mimeType": "text/csv", "buffer": CSV}
    )
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_role("status")).to_contain_text("Imported 3 test cases.")
    expect(page.get_by_label("Test case 3: city")).to_have_value("Turin")

    page.get_by_label("Check", exact=True).select_option(label="Contains")
    page.get_by_role("button", name="Add check").click()
    page.get_by_text("Add a check").click()
    page.get_by_label("Check", exact=True).select_option(label="Is valid JSON")
    page.get_by_role("button", name="Add check").click()
    checks = page.locator(".check-list li")
    expect(checks).to_have_count(2)
    expect(checks.first).to_contain_text("contains the expected output")

    page.get_by_label("Sweep 1: parameter").select_option("temperature")
    page.get_by_label("Sweep 1: values").fill("0.2, 1.5")
    page.get_by_label("Repeats").fill("2")
    page.get_by_role("button", name="Save settings").click()
    expect(page.locator(".column-pill")).to_have_text(["Temperature 0.2", "Temperature 1.5"])
    expect(page.locator(".run-estimate")).to_contain_text("12 requests")

    page.get_by_role("button", name="Run evaluation").click()
    expect(page).to_have_url(re.compile(r"/evals/\d+/runs/1/$"))
    # The matrix refreshes while the answers stream, each showing its status.
    expect(page.locator(".run-status")).to_contain_text("Running")
    expect(page.locator('.answer-cell[data-status="streaming"]').first).to_be_visible()
    _wait_done(page, 12)
    cells = page.locator(".answer-cell")
    expect(cells).to_have_count(12)
    expect(page.locator('.answer-cell[data-passed="fail"]')).to_have_count(12)  # none is JSON
    heads = page.locator(".results-matrix thead .column-head")
    expect(heads.nth(0)).to_contain_text("Pass rate 0% (0 of 6)")
    expect(heads.nth(0)).to_contain_text("contains the expected output: 67% (4 of 6)")
    expect(heads.nth(1)).to_contain_text("contains the expected output: 67% (4 of 6)")
    turin = page.locator("tr", has_text="Turin")
    expect(turin).to_contain_text('The answer does not contain the expected output "Italy".')
    expect(turin).to_contain_text("Not valid JSON")

    # Edit the prompt (a new version of the saved prompt) and run again.
    page.get_by_role("link", name="Edit and run again").click()
    page.get_by_label("User message").fill(f"Which country is {{{{city}}}} in, Italy? {SLOW}")
    page.get_by_role("button", name="Save as version 2").click()
    expect(page.get_by_role("status")).to_contain_text("Saved as version 2 of Countries.")
    page.get_by_role("button", name="Run evaluation").click()
    expect(page).to_have_url(re.compile(r"/runs/2/$"))
    _wait_done(page, 12)
    page.get_by_role("link", name="What changed since run 1").click()
    fixed = page.get_by_role("region", name=re.compile("Now passing"))
    expect(fixed.locator(".change-row")).to_have_count(2)  # Turin, in both columns
    expect(fixed.locator(".change-row").first).to_contain_text("Turin")
    expect(fixed.locator(".change-row").first).to_contain_text("fail → pass")
    expect(fixed.locator("ins").first).to_contain_text("Italy")
    expect(page.get_by_role("region", name=re.compile("Now failing"))).to_have_count(0)

    # The pass rate of each run, over time, on the evaluation's page.
    page.get_by_role("link", name="Cities").first.click()
    expect(page.get_by_role("img", name="Pass rate per run")).to_be_visible()

    # One answer, in full, then as a conversation of its own.
    page.get_by_role("link", name="Run 2", exact=True).click()
    page.locator("tr", has_text="Paris").locator(".cell-link").first.click()
    expect(page.get_by_role("region", name="Reasoning")).not_to_be_empty()
    expect(page.get_by_role("region", name="Answer")).to_contain_text("Paris")
    page.get_by_role("button", name="Open as conversation").click()
    expect(page).to_have_url(re.compile(r"/c/\d+/$"))
    expect(page.locator("body")).to_contain_text("Which country is Paris in, Italy?")

    # Shared, and opened by someone signed out.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Evaluate").click()
    page.get_by_role("link", name="Cities").click()
    page.get_by_role("navigation", name="This evaluation").get_by_role("link", name="Share").click()
    page.get_by_role("button", name="Create share link").click()
    url = page.locator(".share-url").first.inner_text().strip()
    stranger = browser.new_context(viewport={"width": 1200, "height": 900}).new_page()
    stranger.goto(url)
    expect(stranger.get_by_role("heading", name="Cities")).to_be_visible()
    expect(stranger.locator(".answer-cell")).to_have_count(12)
    expect(stranger.locator(".column-head").first).to_contain_text("Pass rate")
    expect(stranger.locator("body")).not_to_contain_text("alice")
    expect(stranger.get_by_role("button", name="Log out")).to_have_count(0)
    stranger.context.close()
