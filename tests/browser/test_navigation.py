"""Layout and navigation in a real Chromium: the one-line top bar and its account menu,
the phone's drawers, focus and Tab order, the keyboard shortcuts, long titles and the
smallest text on the playground page."""

from __future__ import annotations

import re

from django.contrib.auth.models import User
from django.utils import timezone
from playwright.sync_api import Locator, Page, expect

from chat.models import Conversation
from tests.browser.conftest import open_account_menu, send, sign_up, wait_live

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1440, "height": 900}
ASSISTANT = re.compile("Assistant")
SLOW_LONG = "[[sim:tps=20]] [[sim:words=400]]"
# Within the 200 characters a title may have (PostgreSQL refuses more; SQLite would not).
LONG_TITLE = ("A very long conversation title " * 6).strip()

# The thread's part of the viewport: between the top bar (or the viewport's top) and
# the top of the message box, which stays at the bottom of the screen.
THREAD_SHARE_JS = """() => {
    const thread = document.getElementById('messages').getBoundingClientRect();
    const composer = document.querySelector('.composer').getBoundingClientRect();
    const top = Math.max(thread.top, 0);
    const bottom = Math.min(thread.bottom, composer.top, window.innerHeight);
    return Math.max(bottom - top, 0) / window.innerHeight;
}"""

# Every item of the top bar shown on screen, as [top, bottom] of its box.
TOPBAR_ITEMS_JS = """() => [...document.querySelectorAll(
        '.topbar > *, .topbar-end > *, .topnav > a')]
    .filter(el => el.checkVisibility() && el.getBoundingClientRect().width > 1)
    .map(el => { const r = el.getBoundingClientRect(); return [r.top, r.bottom]; })"""

# Visible text smaller than 13 px: each element with text of its own, and each control.
SMALL_TEXT_JS = """() => {
    const small = [];
    for (const el of document.body.querySelectorAll('*')) {
        const own = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
        const control = el.matches('input:not([type=hidden]), textarea, select, button');
        if (!own && !control) continue;
        if (!el.checkVisibility({ checkOpacity: true, checkVisibilityCSS: true })) continue;
        const box = el.getBoundingClientRect();
        if (box.width <= 1 || box.height <= 1) continue;  // .visually-hidden
        const size = parseFloat(getComputedStyle(el).fontSize);
        if (size < 13) small.push(`${el.tagName.toLowerCase()}.${el.className} ${size}px`);
    }
    return small;
}"""

OVERLAP_JS = """([a, b]) => {
    const r = a.getBoundingClientRect(), s = b.getBoundingClientRect();
    return r.left < s.right && s.left < r.right && r.top < s.bottom && s.top < r.bottom;
}"""


def _listed(username: str, title: str, **fields: object) -> Conversation:
    """A conversation of `username`'s that the sidebar lists (one used, with a title)."""
    owner = User.objects.get(username=username)
    return Conversation.objects.create(
        owner=owner, title=title, started_at=timezone.now(), settings={"model": "m"}, **fields
    )


def _tab_until(page: Page, target: Locator, limit: int) -> int:
    """Tab presses from the skip link, the page's first stop, until `target` has focus."""
    page.get_by_role("link", name="Skip to content").focus()
    for count in range(1, limit + 1):
        page.keyboard.press("Tab")
        if target.evaluate("el => el === document.activeElement"):
            return count + 1  # and the skip link's own stop
    return limit + 1


def _blur(page: Page) -> None:
    """Focus on nothing in particular, as after a click on the page's background."""
    page.evaluate("() => document.activeElement && document.activeElement.blur()")


def test_on_a_phone_the_thread_and_the_message_box_take_the_height(page: Page, base: str) -> None:
    page.set_viewport_size(PHONE)
    sign_up(page, base, "alice")
    send(page, "Hello [[sim:words=5]]")
    expect(page.get_by_role("article", name=ASSISTANT)).to_have_attribute("data-status", "complete")
    page.reload()
    wait_live(page)

    expect(page.get_by_label("Message")).to_be_in_viewport()
    expect(page.get_by_role("button", name="Send")).to_be_in_viewport()
    assert page.evaluate(THREAD_SHARE_JS) >= 0.6
    # One line: the bar is no taller than a line of controls, and every item shares it.
    bar = page.locator(".topbar").bounding_box()
    assert bar is not None and bar["height"] < 64
    items = page.evaluate(TOPBAR_ITEMS_JS)
    assert len(items) >= 4
    assert max(top for top, _ in items) < min(bottom for _, bottom in items)
    # The sections are one tap away, in the menu.
    open_account_menu(page)
    menu = page.locator("[data-account-menu]")
    for name in ["Conversations", "Compare", "Blind A/B", "Prompts", "Share links", "Providers"]:
        expect(menu.get_by_role("link", name=name, exact=True)).to_be_visible()


def test_on_a_phone_the_drawers_open_and_close_with_the_keyboard(page: Page, base: str) -> None:
    page.set_viewport_size(PHONE)
    sign_up(page, base, "alice")
    _listed("alice", "Glacier notes")
    page.reload()
    wait_live(page)
    sidebar = page.get_by_role("complementary", name="Your conversations")
    settings = page.get_by_role("complementary", name="Parameters")
    expect(sidebar).to_be_hidden()
    expect(settings).to_be_hidden()

    opener = page.get_by_role("button", name="Your conversations", exact=True)
    opener.focus()
    page.keyboard.press("Enter")
    expect(sidebar).to_be_visible()
    expect(opener).to_have_attribute("aria-expanded", "true")
    expect(sidebar.get_by_role("link", name="Glacier notes", exact=True)).to_be_visible()
    expect(page.get_by_label("Search conversations")).to_be_focused()
    page.keyboard.press("Escape")
    expect(sidebar).to_be_hidden()
    expect(opener).to_be_focused()
    expect(opener).to_have_attribute("aria-expanded", "false")

    params = page.get_by_role("button", name="Parameters")
    params.focus()
    page.keyboard.press("Enter")
    expect(settings).to_be_visible()
    expect(page.get_by_label("Temperature", exact=True)).to_be_visible()
    page.keyboard.press("Escape")
    expect(settings).to_be_hidden()
    expect(params).to_be_focused()

    # Its Close button, and a tap beside it, close it too.
    params.click()
    settings.get_by_role("button", name="Close").click()
    expect(settings).to_be_hidden()
    opener.click()
    expect(sidebar).to_be_visible()
    page.mouse.click(PHONE["width"] - 10, PHONE["height"] // 2)
    expect(sidebar).to_be_hidden()


def test_on_a_phone_other_pages_keep_their_head_as_it_was(page: Page, base: str) -> None:
    # The compare page shares the conversation head's classes, not its phone layout.
    page.set_viewport_size(PHONE)
    sign_up(page, base, "alice")
    page.goto(f"{base}/compare/")
    banner = page.get_by_role("note")
    expect(banner).to_contain_text("not by a real model")
    assert banner.evaluate("el => el.scrollWidth <= el.clientWidth")
    assert banner.evaluate("el => getComputedStyle(el).whiteSpace") == "normal"


def test_on_a_phone_a_bad_parameter_named_beside_send_opens_its_drawer(
    page: Page, base: str
) -> None:
    page.set_viewport_size(PHONE)
    sign_up(page, base, "alice")
    page.get_by_role("button", name="Parameters").click()
    temperature = page.get_by_label("Temperature", exact=True)
    temperature.fill("3")
    temperature.dispatch_event("change")
    page.keyboard.press("Escape")
    expect(temperature).to_be_hidden()
    page.locator("#param-summary").get_by_role("link").click()
    expect(temperature).to_be_focused()


def test_the_account_menu_holds_its_items_and_logs_out(page: Page, base: str) -> None:
    page.set_viewport_size(DESKTOP)
    sign_up(page, base, "alice")
    nav = page.get_by_role("navigation", name="Main")
    for name in ["Conversations", "Compare", "Blind A/B", "Prompts"]:
        expect(nav.get_by_role("link", name=name, exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="New conversation")).to_have_count(1)
    expect(page.get_by_role("link", name="Share links")).to_be_hidden()

    menu = page.locator("[data-account-menu]")
    open_account_menu(page)
    for name in ["Share links", "Import", "Providers", "Change password"]:
        expect(menu.get_by_role("link", name=name, exact=True)).to_be_visible()
    expect(menu.get_by_role("link", name="Admin")).to_have_count(0)
    expect(menu).to_contain_text("Signed in as alice")
    page.keyboard.press("Escape")
    expect(menu.get_by_role("link", name="Import")).to_be_hidden()

    # From the keyboard, as from the mouse.
    menu.locator("summary").focus()
    page.keyboard.press("Enter")
    expect(menu.get_by_role("button", name="Log out")).to_be_visible()
    menu.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/"))


def test_staff_find_admin_in_the_account_menu(page: Page, base: str) -> None:
    sign_up(page, base, "alice")
    User.objects.filter(username="alice").update(is_staff=True)
    page.reload()
    open_account_menu(page)
    expect(page.locator("[data-account-menu]").get_by_role("link", name="Admin")).to_be_visible()


def test_the_message_box_has_focus_on_open_and_is_few_tab_stops_away(page: Page, base: str) -> None:
    page.set_viewport_size(DESKTOP)
    sign_up(page, base, "alice")
    for number in range(12):
        _listed("alice", f"Older conversation {number}")
    for prompt in ["First question [[sim:words=5]]", "Second question [[sim:words=5]]"]:
        send(page, prompt)
        expect(page.get_by_role("article", name=ASSISTANT).last).to_have_attribute(
            "data-status", "complete"
        )
    page.reload()
    wait_live(page)

    box = page.get_by_label("Message")
    expect(box).to_be_focused()
    assert _tab_until(page, box, 60) < 25


def test_question_mark_lists_the_shortcuts_and_esc_closes_them(page: Page, base: str) -> None:
    sign_up(page, base, "alice")
    box = page.get_by_label("Message")
    # Typed in the message box, "?" is only a character.
    box.press("?")
    expect(box).to_have_value("?")
    dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(dialog).to_be_hidden()

    _blur(page)
    page.keyboard.press("?")
    expect(dialog).to_be_visible()
    for action in [
        "Send the message",
        "Stop the answer",
        "New conversation",
        "Focus the conversation search",
        "latest answer's reasoning",
    ]:
        expect(dialog).to_contain_text(action)
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()

    page.get_by_role("button", name="Keyboard shortcuts").click()
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="Close").click()
    expect(dialog).to_be_hidden()


def test_alt_shift_n_starts_a_new_conversation(page: Page, base: str) -> None:
    sign_up(page, base, "alice")
    first = page.url
    page.get_by_label("Message").press("Alt+Shift+KeyN")
    expect(page).not_to_have_url(first)
    expect(page).to_have_url(re.compile(r"/c/\d+/$"))
    wait_live(page)


def test_slash_focuses_the_search_on_a_desktop_and_on_a_phone(page: Page, base: str) -> None:
    sign_up(page, base, "alice")
    search = page.get_by_label("Search conversations")
    _blur(page)
    page.keyboard.press("/")
    expect(search).to_be_focused()
    expect(search).to_have_value("")

    page.set_viewport_size(PHONE)
    _blur(page)
    expect(search).to_be_hidden()
    page.keyboard.press("/")
    expect(search).to_be_visible()
    expect(search).to_be_focused()


def test_alt_shift_r_shows_and_hides_the_latest_reasoning(page: Page, base: str) -> None:
    sign_up(page, base, "alice")
    send(page, "First [[sim:words=5]]")
    expect(page.get_by_role("article", name=ASSISTANT)).to_have_attribute("data-status", "complete")
    send(page, "Second [[sim:words=5]]")
    cards = page.get_by_role("article", name=ASSISTANT)
    expect(cards.nth(1)).to_have_attribute("data-status", "complete")
    latest = cards.nth(1).locator(".reasoning-pane details")
    earlier = cards.nth(0).locator(".reasoning-pane details")
    expect(latest).to_have_attribute("open", "")

    page.get_by_label("Message").press("Alt+Shift+KeyR")
    expect(latest).not_to_have_attribute("open", "")
    expect(earlier).to_have_attribute("open", "")
    page.get_by_label("Message").press("Alt+Shift+KeyR")
    expect(latest).to_have_attribute("open", "")


def test_esc_stops_a_streaming_answer(page: Page, base: str) -> None:
    sign_up(page, base, "alice")
    send(page, f"Tell me everything {SLOW_LONG}")
    card = page.get_by_role("article", name=ASSISTANT)
    expect(card).to_have_attribute("data-status", "streaming")
    expect(page.get_by_role("button", name="Stop")).to_be_visible()
    page.get_by_label("Message").press("Escape")
    expect(card).to_have_attribute("data-status", "stopped")


def test_a_long_title_ends_in_an_ellipsis_clear_of_pin_and_delete(page: Page, base: str) -> None:
    sign_up(page, base, "alice")
    conversation = _listed("alice", LONG_TITLE)
    page.goto(f"{base}/c/{conversation.pk}/")
    wait_live(page)
    row = page.locator("#conversation-rows .conversation-row").first
    title = row.locator(".row-title")
    expect(title).to_contain_text("A very long conversation title")
    row.hover()  # the old layout showed the actions over the title on hover
    _assert_ellipsis(title)
    for action in [row.get_by_role("button", name="Pin"), row.get_by_role("link", name="Delete")]:
        expect(action).to_be_visible()
        assert not page.evaluate(OVERLAP_JS, [title.element_handle(), action.element_handle()])
    _assert_ellipsis(page.get_by_label("Conversation title"))

    page.goto(f"{base}/c/")
    _assert_ellipsis(page.locator("#conversation-rows .row-title").first)


def _assert_ellipsis(element: Locator) -> None:
    cut, overflow = element.evaluate(
        "el => [el.scrollWidth > el.clientWidth, getComputedStyle(el).textOverflow]"
    )
    assert cut and overflow == "ellipsis"


def test_no_text_on_the_playground_is_smaller_than_13_px(page: Page, base: str) -> None:
    sign_up(page, base, "alice")
    _listed("alice", "Pinned and listed", pinned=True)
    send(page, "Hello [[sim:words=40]]")
    expect(page.get_by_role("article", name=ASSISTANT)).to_have_attribute("data-status", "complete")
    page.reload()
    wait_live(page)
    page.locator(".message-meta summary").first.click()
    assert page.evaluate(SMALL_TEXT_JS) == []

    open_account_menu(page)
    assert page.evaluate(SMALL_TEXT_JS) == []
    page.keyboard.press("Escape")
    _blur(page)
    page.keyboard.press("?")
    expect(page.get_by_role("dialog", name="Keyboard shortcuts")).to_be_visible()
    assert page.evaluate(SMALL_TEXT_JS) == []
