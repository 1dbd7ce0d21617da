"""A person's own provider, as they add and use it: the Providers page, the panel's
Provider select and its Model list, and "Fetch models" keeping a typed key."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.conftest import open_account_menu, send, sign_up, wait_live

KEY = "sk-box-Hq4Lm8Np2Rs6Tv0Wx3Yz"
NEW_KEY = "sk-box-Aa1Bb2Cc3Dd4Ee5Ff6Gg"


def test_a_provider_is_added_chosen_in_the_panel_and_answers(page: Page, base: str) -> None:
    sign_up(page, base, "dora")
    open_account_menu(page)
    page.get_by_role("link", name="Providers", exact=True).click()
    page.get_by_label("Name").fill("My box")
    # The app's own simulator, reached like a local model server (allowed with DEBUG).
    page.get_by_label("Base URL").fill(f"{base}/sim/v1")
    page.get_by_label("API key").fill(KEY)
    page.get_by_label("Models").fill("kimi-k2-thinking-turbo")
    page.get_by_role("button", name="Add provider").click()
    expect(page.get_by_text("••••" + KEY[-4:])).to_be_visible()
    expect(page.locator("body")).not_to_contain_text(KEY[:-4])

    page.goto(f"{base}/")
    wait_live(page)
    model = page.get_by_label("Model", exact=True)
    expect(model.locator("option")).to_have_count(2)
    page.get_by_label("Provider", exact=True).select_option(label="My box")
    # The Model select now lists the provider's own models.
    expect(model.locator("option")).to_have_text(["kimi-k2-thinking-turbo"])

    send(page, "Hello box [[sim:words=5]]")
    card = page.get_by_role("article", name=re.compile("Assistant"))
    expect(card).to_have_attribute("data-status", "complete")
    expect(card.locator(".metrics").first).to_contain_text("UpstreamMy box")
    expect(card).to_contain_text("kimi-k2-thinking-turbo")

    page.reload()
    expect(page.get_by_label("Provider", exact=True).locator("option:checked")).to_have_text(
        "My box"
    )


def test_fetch_models_fills_the_list_and_keeps_the_typed_key(page: Page, base: str) -> None:
    sign_up(page, base, "erin")
    open_account_menu(page)
    page.get_by_role("link", name="Providers", exact=True).click()
    page.get_by_label("Name").fill("Box")
    page.get_by_label("Base URL").fill(f"{base}/sim/v1")
    page.get_by_label("Models").fill("only-this")
    page.get_by_role("button", name="Add provider").click()
    page.get_by_role("link", name="Box", exact=True).click()

    page.get_by_label("API key").fill(NEW_KEY)
    page.get_by_role("button", name="Fetch models").click()
    expect(page.get_by_role("status")).to_contain_text("Fetched 2 models")
    expect(page.get_by_label("Models")).to_have_value("kimi-k2-thinking\nkimi-k2-thinking-turbo")
    expect(page.get_by_label("API key")).to_have_value(NEW_KEY)

    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("••••" + NEW_KEY[-4:])).to_be_visible()
    expect(page.get_by_label("API key")).to_have_value("")
    expect(page.get_by_label("Models")).to_have_value("kimi-k2-thinking\nkimi-k2-thinking-turbo")
