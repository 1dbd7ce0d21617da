"""The playground as a person uses it: a real Chromium, a real server, the simulator.

Assistant messages are <article>s named "Assistant…" with regions "Reasoning" and
"Answer" and a data-status; these labels are the contract the tests hold the page to.
"""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Locator, Page, Route, expect

from tests.browser.conftest import PASSWORD, open_account_menu, send, sign_up, wait_live

ASSISTANT = re.compile("Assistant")
# Slow enough to watch; each marker is explained in the chat.simulator package.
SLOW_SHORT = "[[sim:tps=25]] [[sim:reasoning=30]] [[sim:words=30]]"
SLOW_LONG = "[[sim:tps=20]] [[sim:words=400]]"
SLOW_MEDIUM = "[[sim:tps=25]] [[sim:words=120]]"

# The reasoning and answer text of a card, read in one go (one moment of the page).
TEXTS_JS = """card => [
    card.querySelector('[id^="reasoning-text-"]').textContent,
    card.querySelector('[id^="answer-text-"]').textContent,
]"""


@pytest.fixture
def carol(base: str) -> User:
    # carol already has an account: she logs in rather than signing up.
    return User.objects.create_user("carol", password=PASSWORD)


def assistants(page: Page) -> Locator:
    return page.get_by_role("article", name=ASSISTANT)


def texts(card: Locator) -> tuple[str, str]:
    reasoning, answer = card.evaluate(TEXTS_JS)
    return reasoning, answer


def wait_until(page: Page, card: Locator, condition: str, timeout: float = 5_000) -> None:
    """Wait until `condition` (JS, over status, reasoning, answer) holds at one moment.

    The card is found again by id at each poll: a finished card replaces its element.
    """
    page.wait_for_function(
        f"""id => {{
            const card = document.getElementById(id);
            if (!card) return false;
            const status = card.dataset.status;
            const [reasoning, answer] = ({TEXTS_JS})(card);
            return {condition};
        }}""",
        arg=card.get_attribute("id"),
        timeout=timeout,
    )


def test_it_connects_even_when_the_socket_extension_arrives_late(page: Page, base: str) -> None:
    sign_up(page, base, "alice")
    held: list[Route] = []
    page.route("**/hx-ws.js", lambda route: held.append(route))
    page.reload(wait_until="commit")
    # Polled on a timer: no frame is painted while a script is held.
    page.wait_for_function("() => window.htmx !== undefined", polling=50, timeout=5_000)
    # A task queued now runs after htmx's own start-up task: htmx has started.
    page.evaluate("() => new Promise(resolve => setTimeout(resolve))")
    assert len(held) == 1
    held[0].continue_()

    wait_live(page)
    send(page, "Still there?")
    expect(assistants(page)).to_have_attribute("data-status", "complete")


def test_it_signs_up_onto_an_empty_conversation(page: Page, base: str) -> None:
    sign_up(page, base, "alice")

    expect(page.get_by_role("note")).to_contain_text("the built-in simulator")
    expect(page.get_by_role("article")).to_have_count(0)
    expect(page.get_by_text("Write a prompt below")).to_be_visible()
    open_account_menu(page)
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def test_it_streams_reasoning_before_answer(page: Page, base: str) -> None:
    sign_up(page, base, "alice")
    send(page, f"Why is the sky blue? {SLOW_SHORT}")

    card = assistants(page)
    expect(card).to_have_attribute("data-status", "streaming")
    expect(card.get_by_role("region", name="Reasoning")).to_contain_text(
        re.compile(r"Thinking… \d+\.\d s")
    )
    wait_until(page, card, "reasoning.length > 0 && answer.length === 0")
    wait_until(page, card, "status === 'streaming' && answer.length > 0")
    expect(card).to_have_attribute("data-status", "complete")

    reasoning, answer = texts(card)
    assert reasoning.strip()
    assert answer.strip()
    expect(card.get_by_role("region", name="Answer")).to_contain_text(answer.strip()[:20])
    expect(card).to_contain_text("stop: the model finished its answer")
    card.get_by_text("Details", exact=True).click()
    expect(card.get_by_role("term").filter(has_text="Total time")).to_be_visible()
    expect(card.get_by_role("term").filter(has_text="Completion tokens")).to_be_visible()
    expect(card.get_by_role("region", name="Reasoning")).to_contain_text("Thought for")


def test_it_stops_a_long_answer_and_keeps_what_arrived(page: Page, base: str) -> None:
    sign_up(page, base, "alice")
    send(page, f"Tell me everything about rivers. {SLOW_LONG}")

    card = assistants(page)
    stop = page.get_by_role("button", name="Stop", exact=True)
    expect(stop).to_be_visible()
    wait_until(page, card, "reasoning.length > 0")
    stop.click()

    expect(card).to_have_attribute("data-status", "stopped", timeout=3_000)
    reasoning, answer = texts(card)
    assert reasoning.strip() or answer.strip()
    expect(stop).to_be_hidden()
    expect(page.get_by_role("button", name="Send", exact=True)).to_be_enabled()


def test_send_waits_while_an_answer_streams_even_after_a_reload(page: Page, base: str) -> None:
    sign_up(page, base, "alice")
    send(page, f"Describe glaciers. {SLOW_MEDIUM}")
    card = assistants(page)
    stop = page.get_by_role("button", name="Stop", exact=True)
    send_button = page.get_by_role("button", name="Send", exact=True)
    expect(stop).to_be_visible()
    expect(send_button).to_be_disabled()

    # Reloaded mid-stream: the page is rendered so, and the socket keeps it so.
    page.reload()
    expect(stop).to_be_visible()
    expect(send_button).to_be_disabled()
    wait_live(page)
    expect(card).to_have_attribute("data-status", "complete", timeout=10_000)
    expect(stop).to_be_hidden()
    expect(send_button).to_be_enabled()


def test_it_catches_up_after_a_reload_mid_stream(page: Page, base: str) -> None:
    sign_up(page, base, "alice")
    send(page, f"Explain tides slowly. {SLOW_MEDIUM}")
    card = assistants(page)
    wait_until(page, card, "status === 'streaming' && answer.length > 20")
    shown_at_reload = len(texts(card)[1])

    page.reload()
    wait_live(page)
    card = assistants(page)
    # The text so far is back, and it still grows live.
    wait_until(page, card, f"status === 'streaming' && answer.length >= {shown_at_reload}")
    _, caught_up = texts(card)
    wait_until(page, card, f"status === 'streaming' && answer.length > {len(caught_up)}")
    expect(card).to_have_attribute("data-status", "complete", timeout=8_000)
    assert len(texts(card)[1]) > shown_at_reload


def readable(cards: Locator) -> list[bool]:
    """Per card: shown at least 480 px wide, or hidden behind its tab."""
    return cards.evaluate_all(
        "cards => cards.map(c => c.offsetParent === null || c.getBoundingClientRect().width >= 480)"
    )


def test_it_shows_three_choices_as_tabs_each_readable(page: Page, base: str) -> None:
    page.set_viewport_size({"width": 1440, "height": 900})
    sign_up(page, base, "alice")
    page.get_by_label("Choices (n)", exact=True).fill("3")
    send(page, f"Name a colour. {SLOW_SHORT}")

    # The choices behind other tabs are there, hidden.
    cards = page.get_by_role("article", name=ASSISTANT, include_hidden=True)
    expect(cards).to_have_count(3)
    tabs = page.get_by_role("tablist", name="Choices").get_by_role("tab")
    expect(tabs).to_have_text([re.compile(rf"^Choice {i}") for i in (1, 2, 3)])
    # While they stream, every tab says so, and one choice is shown at a time.
    expect(tabs.nth(2)).to_contain_text("streaming")
    expect(cards.nth(0)).to_be_visible()
    expect(cards.nth(1)).to_be_hidden()
    assert all(readable(cards))

    tabs.nth(0).focus()
    page.keyboard.press("ArrowRight")
    expect(tabs.nth(1)).to_be_focused()
    expect(tabs.nth(1)).to_have_attribute("aria-selected", "true")
    expect(cards.nth(1)).to_be_visible()
    expect(cards.nth(0)).to_be_hidden()
    for index in range(3):
        expect(cards.nth(index)).to_have_attribute("data-status", "complete", timeout=15_000)
    expect(tabs.nth(2)).not_to_contain_text("streaming")
    # A finished card replaces its element; the chosen tab holds.
    expect(cards.nth(1)).to_be_visible()
    assert all(readable(cards))

    # Side by side is offered only when each card gets 480 px.
    side = page.get_by_role("button", name="Side by side")
    if side.is_visible():
        side.click()
        assert all(readable(cards))

    page.reload()
    expect(tabs).to_have_count(3)
    expect(cards.nth(0)).to_be_visible()
    expect(cards.nth(2)).to_be_hidden()
    tabs.nth(2).click()
    expect(cards.nth(2)).to_be_visible()
    assert all(readable(cards))


def test_it_offers_three_choices_side_by_side_on_a_wide_screen(page: Page, base: str) -> None:
    page.set_viewport_size({"width": 2600, "height": 900})
    sign_up(page, base, "alice")
    page.get_by_label("Choices (n)", exact=True).fill("3")
    send(page, "Name a colour.")
    cards = page.get_by_role("article", name=ASSISTANT, include_hidden=True)
    for index in range(3):
        expect(cards.nth(index)).to_have_attribute("data-status", "complete")

    page.get_by_role("button", name="Side by side").click()
    boxes = [cards.nth(index).bounding_box() for index in range(3)]
    assert all(box is not None and box["width"] >= 480 for box in boxes), boxes
    assert len({round(box["y"]) for box in boxes}) == 1, boxes
    # Narrowed, the row falls back to tabs rather than squeezing the cards.
    page.set_viewport_size({"width": 1000, "height": 900})
    expect(page.get_by_role("button", name="Side by side")).to_be_hidden()
    expect(cards.nth(1)).to_be_hidden()
    assert all(readable(cards))


def test_it_refuses_a_temperature_above_two_inline(page: Page, base: str) -> None:
    sign_up(page, base, "alice")
    temperature = page.get_by_label("Temperature", exact=True)
    temperature.fill("2.5")
    send(page, "Is this too hot?")

    # Focus stays in the message box; the summary beside Send names the field.
    expect(page.get_by_label("Message")).to_be_focused()
    expect(page.locator("#param-summary")).to_have_text("Temperature must be between 0 and 2.")
    expect(temperature).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#field-temperature").get_by_role("alert")).to_contain_text(
        "between 0 and 2"
    )
    expect(temperature).to_have_accessible_description(re.compile("between 0 and 2"))
    expect(page.get_by_role("article")).to_have_count(0)
    expect(page.get_by_label("Message")).to_have_value("Is this too hot?")


def test_it_explains_a_rate_limit(page: Page, base: str) -> None:
    sign_up(page, base, "alice")
    send(page, "Hello [[sim:fault=429]]")

    card = assistants(page)
    expect(card).to_have_attribute("data-status", "error")
    expect(card.get_by_role("alert")).to_contain_text(re.compile("Rate limited|429"))
    expect(card.get_by_role("alert")).to_contain_text("7 s")
    expect(page.get_by_role("article", name="You")).to_contain_text("Hello")
    # The error stands where the answer would: no empty "Answer" to copy.
    answer = card.get_by_role("region", name="Answer")
    expect(answer.get_by_role("alert")).to_contain_text(re.compile("Rate limited|429"))
    expect(answer).not_to_contain_text("Answer")
    expect(card.get_by_role("button", name="Copy answer")).to_have_count(0)


def test_it_shows_untrusted_text_inert(page: Page, base: str) -> None:
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    sign_up(page, base, "alice")
    attack = "Look: <img src=x onerror=alert(1)> and [x](javascript:alert(1))"
    send(page, attack)

    expect(assistants(page)).to_have_attribute("data-status", "complete")
    expect(page.get_by_role("article", name="You")).to_contain_text(attack)
    messages = page.locator("#messages")
    expect(messages.locator("img")).to_have_count(0)
    expect(messages.locator('[href^="javascript:" i]')).to_have_count(0)
    page.reload()
    wait_live(page)
    expect(page.get_by_role("article", name="You")).to_contain_text(attack)
    expect(messages.locator("img")).to_have_count(0)
    assert dialogs == []


def test_enter_adds_a_line_and_ctrl_enter_sends(page: Page, base: str) -> None:
    sign_up(page, base, "alice")
    box = page.get_by_label("Message")
    box.click()
    box.press_sequentially("first line")
    box.press("Enter")
    box.press_sequentially("second line")
    expect(box).to_have_value("first line\nsecond line")
    expect(page.get_by_role("article")).to_have_count(0)

    box.press("Control+Enter")
    expect(assistants(page)).to_have_attribute("data-status", "complete")
    you = page.get_by_role("article", name="You")
    expect(you).to_have_count(1)
    expect(you).to_contain_text("first line\nsecond line")
    expect(box).to_have_value("")


def test_it_sends_with_the_send_button(page: Page, base: str) -> None:
    sign_up(page, base, "alice")
    page.get_by_label("Message").fill("A button press.")
    page.get_by_role("button", name="Send", exact=True).click()

    expect(assistants(page)).to_have_attribute("data-status", "complete")
    expect(page.get_by_role("article", name="You")).to_contain_text("A button press.")


def test_it_asks_visitors_to_log_in_and_out(page: Page, base: str, carol: User) -> None:
    page.goto(f"{base}/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))

    page.get_by_label("Username").fill("carol")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/c/\d+/$"))
    wait_live(page)

    open_account_menu(page)
    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    page.goto(f"{base}/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    expect(page.get_by_role("button", name="Log out")).to_have_count(0)


def test_a_second_tab_shows_the_same_live_stream(page: Page, base: str) -> None:
    sign_up(page, base, "alice")
    other = page.context.new_page()
    other.goto(page.url)
    wait_live(other)

    send(page, f"Describe a volcano. {SLOW_SHORT}")
    mine, theirs = assistants(page), assistants(other)
    wait_until(other, theirs, "status === 'streaming' && reasoning.length > 0")
    wait_until(other, theirs, "status === 'streaming' && answer.length > 0")

    expect(mine).to_have_attribute("data-status", "complete")
    expect(theirs).to_have_attribute("data-status", "complete")
    assert texts(mine) == texts(theirs)


def test_copy_answer_puts_the_answer_on_the_clipboard(page: Page, base: str) -> None:
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    sign_up(page, base, "alice")
    send(page, "Name a river.")
    card = assistants(page)
    expect(card).to_have_attribute("data-status", "complete")

    copy = card.get_by_role("button", name="Copy answer")
    copy.click()
    expect(card.get_by_role("button", name="Copied")).to_be_visible()
    answer = card.locator('[id^="answer-text-"]').inner_text()
    assert page.evaluate("() => navigator.clipboard.readText()") == answer
    expect(copy).to_have_text("Copy answer")  # it reads as before again


# The last line of the answer is on screen, above the sticky composer.
LAST_LINE_IN_VIEW = """() => {
    const panes = document.querySelectorAll('article.assistant [id^="answer-text-"]');
    const pane = panes[panes.length - 1];
    if (!pane) return false;
    const composer = document.querySelector('.composer').getBoundingClientRect();
    const bottom = pane.getBoundingClientRect().bottom;
    const tall = document.scrollingElement.scrollHeight > window.innerHeight + 300;
    return tall && pane.textContent.length > 400 && bottom > 0 && bottom <= composer.top + 2;
}"""


def test_it_follows_a_long_stream_until_the_person_scrolls_up(page: Page, base: str) -> None:
    page.set_viewport_size({"width": 1400, "height": 700})
    sign_up(page, base, "alice")
    send(page, "Tell me everything. [[sim:tps=30]] [[sim:words=700]]")
    card = assistants(page)
    page.wait_for_function(LAST_LINE_IN_VIEW, timeout=20_000)
    jump = page.get_by_role("button", name="Jump to latest")
    expect(jump).to_be_hidden()

    page.mouse.move(400, 300)
    page.mouse.wheel(0, -500)
    expect(jump).to_be_visible()
    held = page.evaluate("() => window.scrollY")
    grown = len(texts(card)[1])
    wait_until(page, card, f"answer.length > {grown + 100}", timeout=15_000)
    assert page.evaluate("() => window.scrollY") == held

    jump.click()
    expect(jump).to_be_hidden()
    wait_until(page, card, f"answer.length > {grown + 200}", timeout=15_000)
    page.wait_for_function(LAST_LINE_IN_VIEW, timeout=20_000)
    expect(card).to_have_attribute("data-status", "complete", timeout=60_000)


def test_a_collapsed_reasoning_stays_collapsed_when_the_answer_finishes(
    page: Page, base: str
) -> None:
    sign_up(page, base, "alice")
    send(page, f"Think it over. {SLOW_SHORT}")
    card = assistants(page)
    wait_until(page, card, "status === 'streaming' && reasoning.length > 0")
    reasoning = card.get_by_role("region", name="Reasoning")
    reasoning.get_by_text("Reasoning", exact=True).click()
    expect(reasoning.locator("details")).not_to_have_attribute("open", "")
    expect(card).to_have_attribute("data-status", "complete", timeout=15_000)
    expect(card.locator(".answer-pane .rendered")).to_be_attached()
    expect(reasoning.locator("details")).not_to_have_attribute("open", "")
