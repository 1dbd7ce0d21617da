"""Every prompt page: another person's prompts are 404, wrong methods 405, login
needed, and untrusted text is escaped everywhere."""

from __future__ import annotations

import pytest

from chat.models import Conversation, Message, PromptShareLink, PromptVersion, SavedPrompt
from tests.prompts.builders import ATTACK, VALUES, add_message, add_version, share

pytestmark = pytest.mark.django_db


def _state() -> list:
    return [
        list(SavedPrompt.objects.values().order_by("pk")),
        list(PromptVersion.objects.values().order_by("pk")),
        list(PromptShareLink.objects.values().order_by("pk")),
        list(Conversation.objects.values().order_by("pk")),
        list(Message.objects.values().order_by("pk")),
    ]


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", "/c/{conversation}/save-prompt/"),
        ("post", "/c/{conversation}/save-prompt/"),
        ("get", "/prompts/{pk}/"),
        ("get", "/prompts/{pk}/run/"),
        ("post", "/prompts/{pk}/run/"),
        ("post", "/prompts/{pk}/restore/"),
        ("post", "/prompts/{pk}/duplicate/"),
        ("get", "/prompts/{pk}/delete/"),
        ("post", "/prompts/{pk}/delete/"),
        ("post", "/prompts/{pk}/share/"),
        ("post", "/prompt-shares/{token}/revoke/"),
    ],
)
@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_bob_gets_404_for_alices_prompts_and_nothing_changes(
    alice_client, bob_client, conversation, prompt, method, url, htmx
):
    link = share(alice_client, prompt)
    before = _state()
    target = url.format(conversation=conversation.pk, pk=prompt.pk, token=link.token)
    data = {"name": "bob", "version": "1", "target": prompt.pk, **VALUES}
    data.update({f"var-{k}": v for k, v in VALUES.items()})
    headers = {"HX-Request": "true"} if htmx else {}
    response = getattr(bob_client, method)(
        target, data if method == "post" else None, headers=headers
    )
    assert response.status_code == 404
    assert b"Tutor" not in response.content and b"tutor" not in response.content
    assert _state() == before


def test_bobs_library_has_none_of_alices_prompts(bob_client, prompt):
    html = bob_client.get("/prompts/", {"q": "tutor"}).content.decode()
    assert "Tutor" not in html and "No saved prompts yet" in html
    assert "Tutor" not in bob_client.get("/prompts/").content.decode()


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", "/prompts/"),
        ("get", "/prompts/1/"),
        ("get", "/prompts/1/run/"),
        ("post", "/prompts/1/restore/"),
        ("post", "/prompts/1/duplicate/"),
        ("get", "/prompts/1/delete/"),
        ("post", "/prompts/1/share/"),
        ("post", "/prompt-shares/x/revoke/"),
        ("get", "/p/x/copy/"),
        ("get", "/c/1/save-prompt/"),
    ],
)
def test_prompt_pages_need_login(client, method, url):
    response = getattr(client, method)(url)
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("post", "/prompts/"),
        ("post", "/prompts/{pk}/"),
        ("get", "/prompts/{pk}/restore/"),
        ("get", "/prompts/{pk}/duplicate/"),
        ("get", "/prompts/{pk}/share/"),
        ("post", "/p/x/"),
    ],
)
def test_wrong_methods_are_refused(alice_client, prompt, method, url):
    response = getattr(alice_client, method)(url.format(pk=prompt.pk))
    assert response.status_code == 405
    assert prompt.versions.count() == 1 and SavedPrompt.objects.count() == 1


def test_attack_strings_render_escaped_on_every_page(alice_client, bob_client, anonymous, alice):
    text = f"{ATTACK} {{{{x}}}}"
    conversation = Conversation.objects.create(
        owner=alice, title=ATTACK, system_prompt=text, settings={"model": ATTACK}
    )
    user = add_message(conversation, None, "user", text)
    conversation.current_leaf = add_message(conversation, user, "assistant", ATTACK)
    conversation.save()
    pages = [alice_client.get(f"/c/{conversation.pk}/save-prompt/")]
    pages.append(
        alice_client.post(
            f"/c/{conversation.pk}/save-prompt/",
            {"name": ATTACK, "tags": f"{ATTACK}, b", "note": ATTACK},
            follow=True,
        )
    )
    prompt = SavedPrompt.objects.get(owner=alice)
    add_version(prompt, system_prompt=f"{ATTACK} changed", note=ATTACK, settings={"model": "m"})
    pages.append(
        alice_client.post(f"/c/{conversation.pk}/save-prompt/", {"name": "", "note": "x" * 301})
    )
    link = share(alice_client, prompt)
    pages += [
        alice_client.get(f"/prompts/{prompt.pk}/"),
        alice_client.get(f"/prompts/{prompt.pk}/?from=1&to=2"),
        alice_client.get("/prompts/"),
        alice_client.get("/prompts/", {"q": ATTACK}),
        alice_client.get("/prompts/", {"tag": ATTACK}),
        alice_client.get(f"/prompts/{prompt.pk}/run/"),
        alice_client.post(f"/prompts/{prompt.pk}/run/", {"var-x": ""}),
        alice_client.get(f"/prompts/{prompt.pk}/delete/"),
        alice_client.post(f"/prompts/{prompt.pk}/duplicate/", follow=True),
    ]
    prompt.last_values = {"x": ATTACK}
    prompt.save()
    pages.append(alice_client.get(f"/prompts/{prompt.pk}/run/?version=1"))
    pages += [bob_client.get(f"/p/{link.token}/"), bob_client.get(f"/p/{link.token}/copy/")]
    pages.append(anonymous.get(f"/p/{link.token}/"))
    for response in pages:
        assert response.status_code in (200, 400)
        html = response.content.decode()
        assert "<img" not in html, response.request["PATH_INFO"]
    assert any("&lt;img src=x onerror=alert(1)&gt;" in r.content.decode() for r in pages)
