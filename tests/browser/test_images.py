"""Images in the playground as a person attaches them: with the "Attach images" picker,
by dropping and by pasting, against a real server and the simulator.

"Attach images" is a contract: a file input with that accessible label.
"""

from __future__ import annotations

import base64
import re

from playwright.sync_api import Page, expect

from chat.models import Attachment
from tests.browser.conftest import send, sign_up
from tests.images import PNG, image_bytes

ASSISTANT = re.compile("Assistant")
JPEG = image_bytes("JPEG", size=(8, 6), color="green")
BIG_PNG = image_bytes("PNG", size=(600, 600), noise=True)

# A file made in the page from base64, put in a DataTransfer, and given to `event` on
# the composer's message box: what a drop or a paste hands the page.
HAND_OVER_JS = """([event, name, type, data]) => {
    const bytes = Uint8Array.from(atob(data), c => c.charCodeAt(0));
    const transfer = new DataTransfer();
    transfer.items.add(new File([bytes], name, { type }));
    const box = document.getElementById("prompt");
    const options = { bubbles: true, cancelable: true };
    if (event === "paste") {
        box.dispatchEvent(new ClipboardEvent("paste", { ...options, clipboardData: transfer }));
    } else {
        for (const kind of ["dragenter", "dragover", "drop"]) {
            box.dispatchEvent(new DragEvent(kind, { ...options, dataTransfer: transfer }));
        }
    }
}"""


def loaded(page: Page, alt: str) -> None:
    """The image is on the page and its bytes arrived (served and allowed by the CSP)."""
    image = page.get_by_role("img", name=alt)
    expect(image).to_be_visible()
    page.wait_for_function(
        "image => image.complete && image.naturalWidth > 0", arg=image.element_handle()
    )


def test_attached_images_are_sent_upstream_in_order_and_shown_with_the_prompt(
    page: Page, base: str
) -> None:
    sign_up(page, base, "alice")
    # A PNG whatever its name says (it is read from its bytes), big enough that the
    # small JPEG after it is uploaded first: the order is still the one chosen.
    page.get_by_label("Attach images").set_input_files(
        [
            {"name": "notes.txt", "mimeType": "text/plain", "buffer": BIG_PNG},
            {"name": "small.jpg", "mimeType": "image/jpeg", "buffer": JPEG},
        ]
    )
    loaded(page, "Image to send: notes.txt")
    loaded(page, "Image to send: small.jpg")
    send(page, "What is in the pictures?")
    card = page.get_by_role("article", name=ASSISTANT)
    expect(card).to_have_attribute("data-status", "complete")
    # The simulator says what it was sent: each image's type and size, from its data URL
    # (tests/conversations/test_consumer_images.py checks the request body itself).
    answer = card.get_by_role("region", name="Answer")
    expect(answer).to_contain_text(
        f"I see 2 images (image/png, {len(BIG_PNG)} bytes; image/jpeg, {len(JPEG)} bytes)"
    )
    loaded(page, "Attached image 1")
    loaded(page, "Attached image 2")
    expect(page.locator("#pending-attachments li")).to_have_count(0)  # the composer is clear
    page.reload()
    loaded(page, "Attached image 2")  # in the history, as saved


def test_a_text_file_named_png_is_refused_with_a_message_and_not_attached(
    page: Page, base: str
) -> None:
    sign_up(page, base, "alice")
    page.get_by_label("Attach images").set_input_files(
        [{"name": "cat.png", "mimeType": "image/png", "buffer": b"meow, not a picture\n"}]
    )
    expect(page.locator("#error-attachments")).to_have_text(
        '"cat.png" is not an image: attach PNG, JPEG, WebP or GIF files.'
    )
    expect(page.locator("#pending-attachments li")).to_have_count(0)


def test_dropped_and_pasted_images_are_attached_and_one_can_be_removed(
    page: Page, base: str
) -> None:
    sign_up(page, base, "alice")
    encoded = base64.b64encode(JPEG).decode()
    page.evaluate(HAND_OVER_JS, ["drop", "dropped.jpg", "image/jpeg", encoded])
    loaded(page, "Image to send: dropped.jpg")
    page.evaluate(HAND_OVER_JS, ["paste", "image.png", "image/png", base64.b64encode(PNG).decode()])
    loaded(page, "Image to send: image.png")
    page.get_by_role("button", name="Remove image image.png").click()
    expect(page.get_by_role("img", name="Image to send: image.png")).to_have_count(0)
    # Deleted on the server, not only in the page: one pending upload is left.
    assert list(Attachment.objects.values_list("content_type", flat=True)) == ["image/jpeg"]

    send(page, "Only the dropped one")
    expect(page.get_by_role("article", name=ASSISTANT)).to_have_attribute("data-status", "complete")
    loaded(page, "Attached image 1")
    expect(page.get_by_role("img", name="Attached image 2")).to_have_count(0)
    answer = page.get_by_role("article", name=ASSISTANT).get_by_role("region", name="Answer")
    expect(answer).to_contain_text(f"I see 1 image (image/jpeg, {len(JPEG)} bytes)")


def test_a_saved_prompt_keeps_its_images_and_a_run_sends_them_again(page: Page, base: str) -> None:
    sign_up(page, base, "alice")
    page.get_by_label("Attach images").set_input_files(
        [{"name": "small.jpg", "mimeType": "image/jpeg", "buffer": JPEG}]
    )
    loaded(page, "Image to send: small.jpg")
    send(page, "What is in the picture?")
    card = page.get_by_role("article", name=ASSISTANT)
    expect(card).to_have_attribute("data-status", "complete")
    page.get_by_role("link", name="Save prompt").click()
    loaded(page, "Attached image 1")  # in what is saved, before saving
    page.get_by_label("Name").fill("Picture question")
    page.get_by_role("button", name="Save prompt").click()
    expect(page.get_by_role("heading", name="Picture question")).to_be_visible()
    loaded(page, "Attached image 1")  # on the prompt's page
    page.get_by_role("link", name="Run", exact=True).click()
    page.get_by_role("button", name="Run").click()
    expect(page).to_have_url(re.compile(r"/c/\d+/$"))
    card = page.get_by_role("article", name=ASSISTANT)
    expect(card).to_have_attribute("data-status", "complete")
    expect(card.get_by_role("region", name="Answer")).to_contain_text(
        f"I see 1 image (image/jpeg, {len(JPEG)} bytes)"
    )
    loaded(page, "Attached image 1")  # the new conversation's prompt has its copy
