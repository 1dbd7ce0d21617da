"""Function calling as a person uses it: pick a tool example, watch the call stream in,
answer it, and read the model's final answer. The simulator records what it was sent."""

from __future__ import annotations

import json
import re

import httpx
import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Page, expect

from chat.models import Provider
from tests.browser.conftest import send, sign_up, wait_live

ASSISTANT = re.compile("Assistant")
# Slow enough to see the call arrive: the name, then its arguments filling in.
SLOW = "[[sim:tps=12,reasoning=8]]"


@pytest.fixture
def recording(simulator_url: str) -> str:
    """A simulator of its own that keeps the bodies it is sent (the app's does not)."""
    httpx.delete(simulator_url.removesuffix("/v1") + "/_sim/requests")
    return simulator_url


def _use_recording_simulator(page: Page, username: str, url: str) -> None:
    """The person's own provider at the recording simulator, chosen in the panel."""
    Provider.objects.create(
        owner=User.objects.get(username=username),
        name="Recorder",
        base_url=url,
        model_ids=["kimi-k2-thinking"],
    )
    page.reload()
    wait_live(page)
    page.get_by_label("Provider", exact=True).select_option(label="Recorder")
    expect(page.get_by_label("Model", exact=True).locator("option")).to_have_text(
        ["kimi-k2-thinking"]
    )


def _sent_bodies(url: str) -> list[dict]:
    return httpx.get(url.removesuffix("/v1") + "/_sim/requests").json()


def _pick_example(page: Page, label: str) -> None:
    page.get_by_label("Tool examples").select_option(label)
    # The server adds the definition and sends the editor back with the picker reset.
    expect(page.get_by_label("Tools", exact=True)).to_contain_text(f'"{_name_of(label)}"')
    expect(page.get_by_label("Tool examples")).to_have_value("")


def _name_of(label: str) -> str:
    return {"Weather": "get_weather", "Calculator": "calculate", "Web search": "web_search"}[label]


def test_a_weather_call_is_answered_and_the_model_uses_the_result(
    page: Page, base: str, recording: str
) -> None:
    sign_up(page, base, "alice")
    _use_recording_simulator(page, "alice", recording)
    _pick_example(page, "Weather")
    send(page, f"What is the weather in Paris? {SLOW}")

    card = page.get_by_role("article", name=ASSISTANT)
    call = card.get_by_role("region", name=re.compile("Tool call 1: get_weather"))
    # The name shows while the answer still streams, before the arguments are whole.
    expect(call).to_be_visible()
    expect(card).to_have_attribute("data-status", "streaming")
    expect(card).to_have_attribute("data-status", "complete")
    arguments = json.loads(call.locator(".tool-arguments").text_content() or "")
    assert arguments["location"] == "Paris"
    expect(card.get_by_role("region", name="Reasoning")).to_contain_text("get_weather")

    page.get_by_role("textbox", name="Result for get_weather").fill(
        '{"temperature": 21, "sky": "clear"}'
    )
    page.get_by_role("button", name="Send results").click()

    results = page.get_by_role("article", name="Tool results")
    expect(results).to_contain_text('{"temperature": 21, "sky": "clear"}')
    final = page.get_by_role("article", name=ASSISTANT).last
    expect(final).to_have_attribute("data-status", "complete")
    expect(final.get_by_role("region", name="Answer")).to_contain_text(
        "The get_weather tool returned"
    )
    # The first card's call is answered now: no more result box for it.
    expect(page.get_by_role("textbox", name="Result for get_weather")).to_have_count(0)
    expect(page.get_by_role("button", name="Send results")).to_have_count(0)

    second = _sent_bodies(recording)[-1]["messages"]
    first_call = second[-2]
    assert first_call["role"] == "assistant"
    assert first_call["tool_calls"][0]["function"]["name"] == "get_weather"
    assert first_call["reasoning_content"]
    assert second[-1] == {
        "role": "tool",
        "tool_call_id": first_call["tool_calls"][0]["id"],
        "name": "get_weather",
        "content": '{"temperature": 21, "sky": "clear"}',
    }


def test_two_parallel_calls_are_both_answered(page: Page, base: str, recording: str) -> None:
    sign_up(page, base, "bob")
    _use_recording_simulator(page, "bob", recording)
    _pick_example(page, "Weather")
    _pick_example(page, "Calculator")
    send(page, "What is the weather in Paris, and calculate 12 * 7?")

    card = page.get_by_role("article", name=ASSISTANT)
    expect(card).to_have_attribute("data-status", "complete")
    expect(card.get_by_role("region", name=re.compile("Tool call 1: get_weather"))).to_be_visible()
    expect(card.get_by_role("region", name=re.compile("Tool call 2: calculate"))).to_be_visible()

    page.get_by_role("textbox", name="Result for get_weather").fill("Sunny, 21 C")
    page.get_by_role("button", name="Send results").click()
    expect(card).to_contain_text(
        'Write a result for calculate (call 2), or tick "This call failed".'
    )
    assert len(_sent_bodies(recording)) == 1  # nothing was sent

    page.get_by_role("textbox", name="Result for calculate").fill("84")
    page.get_by_role("button", name="Send results").click()
    final = page.get_by_role("article", name=ASSISTANT).last
    expect(final.get_by_role("region", name="Answer")).to_contain_text(
        "The calculate tool returned: 84."
    )
    expect(final.get_by_role("region", name="Answer")).to_contain_text(
        "The get_weather tool returned: Sunny, 21 C."
    )
    sent = _sent_bodies(recording)[-1]["messages"]
    assert [m["role"] for m in sent[-3:]] == ["assistant", "tool", "tool"]
    assert [m["tool_call_id"] for m in sent[-2:]] == [c["id"] for c in sent[-3]["tool_calls"]]


def test_a_tool_the_api_would_refuse_is_named_beside_send(page: Page, base: str) -> None:
    sign_up(page, base, "carol")
    page.get_by_label("Tools", exact=True).fill('[{"type": "function", "function": {"name": "x"}}]')
    page.get_by_label("Message").fill("Hello")
    page.get_by_role("button", name="Send", exact=True).click()
    expect(page.locator("#error-prompt")).to_have_text(
        'Tool 1: function "x" needs a description (a string).'
    )
    expect(page.get_by_role("article", name=ASSISTANT)).to_have_count(0)


def test_a_tools_json_error_says_where(page: Page, base: str) -> None:
    sign_up(page, base, "dave")
    tools = page.get_by_label("Tools", exact=True)
    tools.fill('[\n  {"type": "function",\n   "function": }]')
    tools.blur()  # a change: the panel checks itself
    expect(page.locator("#error-tools")).to_have_text(
        "Tools is not valid JSON: Expecting value at line 3, column 16."
    )


def test_tools_are_listed_and_can_be_reordered_and_removed(page: Page, base: str) -> None:
    sign_up(page, base, "erin")
    _pick_example(page, "Weather")
    _pick_example(page, "Calculator")
    listed = page.get_by_role("list", name="Tools offered").get_by_role("listitem")
    expect(listed).to_have_count(2)
    expect(listed.nth(0)).to_contain_text("get_weather")

    page.get_by_role("button", name="Move calculate up").click()
    expect(listed.nth(0)).to_contain_text("calculate")
    names = [t["function"]["name"] for t in json.loads(_tools_text(page))]
    assert names == ["calculate", "get_weather"]

    page.get_by_role("button", name="Remove calculate").click()
    expect(listed).to_have_count(1)
    assert [t["function"]["name"] for t in json.loads(_tools_text(page))] == ["get_weather"]


def _tools_text(page: Page) -> str:
    return page.get_by_label("Tools", exact=True).input_value()
