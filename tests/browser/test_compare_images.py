"""Images in compare mode as a person attaches them: "Attach images" in the builder, two
columns run, each request carries the image, and the result and share pages show it."""

from __future__ import annotations

import re

import httpx
import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Browser, Page, expect

from chat.models import Comparison, Provider
from tests.browser.conftest import sign_up
from tests.browser.test_images import loaded
from tests.images import PNG

RUN = re.compile(r"^Column \d+, run \d+$")


@pytest.fixture
def recording(simulator_url: str) -> str:
    """A simulator of its own that keeps the bodies it is sent (the app's does not)."""
    httpx.delete(simulator_url.removesuffix("/v1") + "/_sim/requests")
    return simulator_url


def test_an_attached_image_goes_to_every_column_and_is_shown_and_shared(
    page: Page, base: str, browser: Browser, recording: str
) -> None:
    sign_up(page, base, "alice")
    Provider.objects.create(
        owner=User.objects.get(username="alice"),
        name="Recorder",
        base_url=recording,
        model_ids=["kimi-k2-thinking"],
    )
    page.goto(f"{base}/compare/")
    page.get_by_label("Message 1", exact=True).fill("What is in the picture?")
    page.get_by_label("Attach images").set_input_files(
        [{"name": "square.png", "mimeType": "image/png", "buffer": PNG}]
    )
    loaded(page, "Image to send: square.png")
    page.get_by_label("Provider", exact=True).select_option(label="Recorder")
    page.get_by_role("button", name="Add column").click()
    loaded(page, "Image to send")  # kept as the builder is drawn again
    editors = page.get_by_role("region", name=re.compile(r"^Column \d+ settings$"))
    expect(editors).to_have_count(2)
    second = editors.nth(1)
    second.get_by_text("All parameters").click()
    second.get_by_label("Temperature").fill("1.3")
    page.get_by_role("button", name="Run", exact=True).click()

    expect(page).to_have_url(re.compile(r"/compare/\d+/$"))
    runs = page.get_by_role("article", name=RUN)
    expect(runs).to_have_count(2)
    for run in runs.all():
        expect(run).to_have_attribute("data-status", "complete")
    bodies = httpx.get(recording.removesuffix("/v1") + "/_sim/requests").json()
    assert len(bodies) == 2
    for body in bodies:
        parts = body["messages"][-1]["content"]
        urls = [p["image_url"]["url"] for p in parts if p.get("type") == "image_url"]
        assert len(urls) == 1 and urls[0].startswith("data:image/png;base64,")
    page.locator("details.compare-prompt > summary").click()
    loaded(page, "Attached image 1")

    page.get_by_role("navigation", name="This comparison").get_by_role("link", name="Share").click()
    page.get_by_role("button", name="Create share link").click()
    url = page.locator(".share-url").first.inner_text().strip()
    stranger = browser.new_context().new_page()
    stranger.goto(url)
    loaded(stranger, "Attached image 1")
    stranger.context.close()

    # Bob, signed in, asking for Alice's image directly: as if there were none.
    key = Comparison.objects.get().messages[-1]["images"][0]
    bob = browser.new_context().new_page()
    sign_up(bob, base, "bob")
    response = bob.request.get(f"{base}/images/{key}/")
    assert response.status == 404
    bob.context.close()
