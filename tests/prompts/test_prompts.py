"""Saved prompts: saving a conversation's setup, versions, comparing, restoring, running
with variables, the library (search, tags, duplicate, delete), share links and copies."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

import httpx
import pytest
from asgiref.sync import sync_to_async
from django.test import Client
from django.utils import timezone

from chat.models import Conversation, Message, PromptShareLink, PromptVersion, SavedPrompt
from tests.sockets import recorded, wait_generations

pytestmark = pytest.mark.django_db

ATTACK = "<img src=x onerror=alert(1)>"
SYSTEM = "You are a {{ tone }} tutor."
FIRST = "Explain {{topic}}."
ANSWER = "Here is {{topic}} in short."
LAST = r"Now for {{ audience }}, and keep \{{literal}} as it is."
TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "lookup",
            "description": "Look a word up.",
            "parameters": {"type": "object", "properties": {}},
        },
    }
]
SETTINGS = {
    "model": "kimi-k2-thinking",
    "temperature": 0.4,
    "max_tokens": 64,
    "stream": True,
    "response_format": "json_object",
    "tools": TOOLS,
}
VALUES = {"tone": "patient", "topic": "tides", "audience": "kids"}


@pytest.fixture
def alice(django_user_model):
    """Alice owns the conversation and the prompts saved from it."""
    return django_user_model.objects.create_user(
        "alice-owner", email="alice@owner.example", password="pw-alice-123"
    )


@pytest.fixture
def bob(django_user_model):
    """Bob is signed in too: he must see and change nothing of Alice's prompts."""
    return django_user_model.objects.create_user("bob", password="pw-bob-123")


@pytest.fixture
def alice_client(client, alice):
    client.force_login(alice)
    return client


@pytest.fixture
def bob_client(bob):
    client = Client()
    client.force_login(bob)
    return client


@pytest.fixture
def anonymous():
    """Someone holding a link, not signed in."""
    return Client()


@pytest.fixture
def conversation(alice):
    """Alice's conversation with variables in it: a prompt, its answer (and a second
    choice), a follow-up prompt on the visible path, and an answer in another branch."""
    conversation = Conversation.objects.create(
        owner=alice,
        title="Tides",
        system_prompt=SYSTEM,
        started_at=timezone.now(),
        settings=SETTINGS,
    )
    first = _message(conversation, None, "user", FIRST)
    answer = _message(conversation, first, "assistant", ANSWER)
    _message(conversation, first, "assistant", "A second choice.", choice_index=1)
    _message(conversation, first, "assistant", "", status="error", error="It failed.")
    follow = _message(conversation, answer, "user", LAST)
    _message(conversation, first, "assistant", "Another branch, not shown.")
    conversation.current_leaf = follow
    conversation.save()
    return conversation


def _message(conversation, parent, role, content, **fields):
    return Message.objects.create(
        conversation=conversation, parent=parent, role=role, content=content, **fields
    )


def _save(client, conversation, **data) -> SavedPrompt:
    data = {"name": "Tutor", "tags": "teaching, science", "note": "", **data}
    response = client.post(f"/c/{conversation.pk}/save-prompt/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    prompt = SavedPrompt.objects.latest("updated_at", "id")
    assert response.url == f"/prompts/{prompt.pk}/"
    return prompt


def _version(prompt, **fields) -> PromptVersion:
    """A further version of `prompt`, copying the latest with some fields changed."""
    latest = prompt.versions.order_by("-number").first()
    data = {
        "system_prompt": latest.system_prompt,
        "messages": latest.messages,
        "settings": latest.settings,
        "note": "",
        **fields,
    }
    return PromptVersion.objects.create(prompt=prompt, number=latest.number + 1, **data)


@pytest.fixture
def prompt(alice_client, conversation) -> SavedPrompt:
    """Alice's prompt saved from the conversation: version 1."""
    return _save(alice_client, conversation, note="First try")


# -- saving -----------------------------------------------------------------------------------


def test_the_conversation_page_links_to_save_prompt(alice_client, conversation):
    html = alice_client.get(f"/c/{conversation.pk}/").content.decode()
    assert f'href="/c/{conversation.pk}/save-prompt/"' in html and ">Save prompt</a>" in html


def test_the_save_form_asks_for_name_tags_and_note(alice_client, conversation):
    html = alice_client.get(f"/c/{conversation.pk}/save-prompt/").content.decode()
    for label in (">Name</label>", ">Tags</label>", ">Note</label>"):
        assert label in html
    assert "Comma-separated" in html and "Optional" in html
    assert '<button type="submit" class="primary">Save prompt</button>' in html
    assert "Save as" not in html  # no prompt to add a version to yet
    assert "Explain {{topic}}." in html  # what will be saved


def test_saving_keeps_the_system_prompt_the_visible_path_and_every_parameter(
    alice_client, conversation
):
    prompt = _save(alice_client, conversation, note="First try")
    assert prompt.name == "Tutor" and prompt.tags == "teaching, science"
    version = prompt.versions.get()
    assert version.number == 1 and version.note == "First try"
    assert version.system_prompt == SYSTEM
    assert version.messages == [
        {"role": "user", "content": FIRST},
        {"role": "assistant", "content": ANSWER},
        {"role": "user", "content": LAST},
    ]
    assert version.settings == SETTINGS  # tools and response format included


def test_saving_again_to_the_same_prompt_makes_the_next_version(alice_client, conversation, prompt):
    conversation.system_prompt = "You are terse."
    conversation.save()
    html = alice_client.get(f"/c/{conversation.pk}/save-prompt/").content.decode()
    assert "Save as" in html and "A new version of “Tutor”" in html
    again = _save(alice_client, conversation, target=prompt.pk, name="", tags="", note="Terse")
    assert again == prompt
    assert list(prompt.versions.order_by("number").values_list("number", "note")) == [
        (1, "First try"),
        (2, "Terse"),
    ]
    assert prompt.versions.get(number=2).system_prompt == "You are terse."
    prompt.refresh_from_db()
    assert prompt.name == "Tutor" and prompt.tags == "teaching, science"
    third = _save(alice_client, conversation, target=prompt.pk)
    assert third.versions.order_by("-number").first().number == 3


def test_a_new_prompt_needs_a_name_and_nothing_is_saved_without_one(alice_client, conversation):
    response = alice_client.post(f"/c/{conversation.pk}/save-prompt/", {"name": "  ", "note": "x"})
    assert response.status_code == 400
    assert "Give the new prompt a name." in response.content.decode()
    assert SavedPrompt.objects.count() == 0 and PromptVersion.objects.count() == 0


def test_tags_are_tidied_and_a_conversation_without_messages_can_be_saved(alice_client, alice):
    empty = Conversation.objects.create(owner=alice, system_prompt="Only a system prompt.")
    prompt = _save(alice_client, empty, tags=" Work,, code  review , work,Fun ")
    assert prompt.tags == "Work, code review, Fun"
    version = prompt.versions.get()
    assert version.messages == [] and version.system_prompt == "Only a system prompt."
    assert version.settings["model"] == "kimi-k2-thinking"  # the panel's defaults


def test_saving_to_someone_elses_prompt_is_404_and_changes_nothing(
    bob_client, bob, conversation, prompt
):
    bobs = Conversation.objects.create(owner=bob, system_prompt="Bob's")
    url = f"/c/{bobs.pk}/save-prompt/"
    response = bob_client.post(url, {"target": prompt.pk, "note": "mine"})
    assert response.status_code == 404
    assert prompt.versions.count() == 1 and SavedPrompt.objects.count() == 1
    assert "Tutor" not in bob_client.get(url).content.decode()


# -- the prompt page, versions, diff, restore ------------------------------------------------


def test_the_prompt_page_shows_name_tags_versions_and_the_latest_setup(alice_client, prompt):
    _version(prompt, note="Second")
    html = alice_client.get(f"/prompts/{prompt.pk}/").content.decode()
    assert "Tutor" in html and "?tag=teaching" in html and "?tag=science" in html
    assert "First try" in html and "Second" in html
    assert re.search(r"<td>2</td>\s*<td[^>]*>Second</td>\s*<td><time", html)
    assert "Version 2 <span" in html
    assert "You are a {{ tone }} tutor." in html and "Explain {{topic}}." in html
    assert "Temperature" in html and "0.4" in html and "lookup" in html  # parameters
    for name in ("tone", "topic", "audience"):
        assert f'<code class="variable" hx-ignore>{name}</code>' in html
    assert "literal" not in re.findall(r'class="variable"[^>]*>([^<]*)<', html)


def test_the_diff_marks_an_inserted_word_and_lists_a_changed_temperature(alice_client, prompt):
    messages = [*prompt.versions.get().messages]
    messages[0] = {"role": "user", "content": "Explain {{topic}} briefly."}
    _version(prompt, messages=messages, settings={**SETTINGS, "temperature": 0.9})
    html = alice_client.get(f"/prompts/{prompt.pk}/").content.decode()
    assert "From version" in html and "To version" in html and ">Compare</button>" in html
    assert re.search(r"<ins>\s*briefly\s*</ins>", html)
    assert re.search(r"<th scope=\"row\">Temperature</th><td><del>0.4</del></td><td><ins>0.9", html)
    assert "Max tokens</th>" not in html  # the same in both: not listed


def test_any_two_versions_can_be_compared_with_get_parameters(alice_client, prompt):
    _version(prompt, system_prompt="You are a {{ tone }} teacher.")
    _version(prompt, system_prompt="You are a {{ tone }} teacher.", settings={"temperature": 2})
    same = alice_client.get(f"/prompts/{prompt.pk}/?from=2&to=3").content.decode()
    assert "The system prompt and messages are the same in both versions." in same
    assert "Temperature</th><td><del>0.4</del></td><td><ins>2" in same
    assert "Tools</th>" in same and "unset" in same  # tools dropped in version 3
    first = alice_client.get(f"/prompts/{prompt.pk}/?from=1&to=2").content.decode()
    assert re.search(r"<del>\s*tutor\s*</del>", first) and re.search(r"<ins>\s*teacher", first)
    assert "None: both versions use the same parameters." in first
    assert re.search(r'<option value="1" selected>1</option>', first)
    reverse = alice_client.get(f"/prompts/{prompt.pk}/?from=3&to=1").content.decode()
    assert "version 3 → version 1" in reverse
    # Nonsense falls back to the last two.
    default = alice_client.get(f"/prompts/{prompt.pk}/?from=x&to=99").content.decode()
    assert "version 2 → version 3" in default


def test_a_single_version_says_how_to_get_something_to_compare(alice_client, prompt):
    html = alice_client.get(f"/prompts/{prompt.pk}/").content.decode()
    assert "Only one version so far" in html and "From version" not in html


def test_restore_adds_a_version_copying_the_chosen_one(alice_client, prompt):
    _version(prompt, system_prompt="Changed.", settings={"temperature": 1.5}, note="Worse")
    response = alice_client.post(f"/prompts/{prompt.pk}/restore/", {"version": "1"})
    assert response.status_code == 302 and response.url == f"/prompts/{prompt.pk}/"
    first, second, restored = prompt.versions.order_by("number")
    assert restored.number == 3 and restored.note == "Restored from version 1"
    assert restored.system_prompt == first.system_prompt == SYSTEM
    assert restored.messages == first.messages and restored.settings == first.settings
    assert second.system_prompt == "Changed."  # kept
    html = alice_client.get(f"/prompts/{prompt.pk}/").content.decode()
    assert "Restored from version 1" in html


@pytest.mark.parametrize("version", ["", "0", "9", "x", "-1"])
def test_restoring_a_version_that_does_not_exist_is_404(alice_client, prompt, version):
    response = alice_client.post(f"/prompts/{prompt.pk}/restore/", {"version": version})
    assert response.status_code == (302 if version == "" else 404)
    assert prompt.versions.count() == (2 if version == "" else 1)


# -- running with variables --------------------------------------------------------------------


def test_the_run_form_asks_for_each_variable_prefilled_with_the_last_values(alice_client, prompt):
    prompt.last_values = {"tone": "cheerful", "unused": "x"}
    prompt.save()
    html = alice_client.get(f"/prompts/{prompt.pk}/run/").content.decode()
    labels = re.findall(r'<label for="(var-\d)" hx-ignore>([^<]*)</label>', html)
    assert [name for _, name in labels] == ["tone", "topic", "audience"]
    assert '<textarea id="var-1" name="var-tone" rows="2" >cheerful</textarea>' in html
    assert '<textarea id="var-2" name="var-topic" rows="2" ></textarea>' in html
    assert "literal" not in [name for _, name in labels]
    assert r"\{{</code> is sent as <code>{{</code>" in html  # the escape, explained
    assert ">Run</button>" in html


def test_missing_values_are_named_and_nothing_is_created(alice_client, prompt):
    before = (Conversation.objects.count(), Message.objects.count())
    response = alice_client.post(
        f"/prompts/{prompt.pk}/run/", {"var-tone": "calm", "var-topic": "  ", "version": "1"}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Give a value for topic, audience. Nothing was sent." in html
    assert 'name="var-tone" rows="2" >calm</textarea>' in html  # what was typed stays
    assert 'name="var-topic" rows="2" aria-invalid="true"' in html
    assert (Conversation.objects.count(), Message.objects.count()) == before
    prompt.refresh_from_db()
    assert prompt.last_values == {}


def test_a_run_ending_with_an_answer_opens_a_conversation_with_the_messages(
    alice_client, alice, prompt
):
    messages = [*prompt.versions.get().messages[:2]]  # ends with the assistant's answer
    _version(prompt, messages=messages)
    before = Conversation.objects.count()
    response = alice_client.post(
        f"/prompts/{prompt.pk}/run/", {"var-tone": "dry", "var-topic": "x"}
    )
    conversation = Conversation.objects.latest("id")
    assert response.status_code == 302 and response.url == f"/c/{conversation.pk}/"
    assert Conversation.objects.count() == before + 1
    assert conversation.owner == alice and conversation.system_prompt == "You are a dry tutor."
    assert conversation.settings["temperature"] == 0.4 and conversation.settings["tools"] == TOOLS
    user, answer = conversation.messages.order_by("id")
    assert (user.role, user.content, user.parent) == ("user", "Explain x.", None)
    assert (answer.role, answer.content, answer.parent) == (
        "assistant",
        "Here is x in short.",
        user,
    )
    assert answer.status == "complete" and conversation.current_leaf == answer
    assert conversation.started_at is not None and conversation.title == "Explain x."
    prompt.refresh_from_db()
    assert prompt.last_values == {"tone": "dry", "topic": "x"}
    again = alice_client.get(f"/prompts/{prompt.pk}/run/").content.decode()
    assert 'name="var-tone" rows="2" >dry</textarea>' in again


def test_a_run_of_an_earlier_version_uses_that_version(alice_client, prompt):
    _version(prompt, system_prompt="Version two.", messages=[])
    html = alice_client.get(f"/prompts/{prompt.pk}/run/?version=1").content.decode()
    assert 'name="version" value="1"' in html and 'name="var-audience"' in html
    latest = alice_client.get(f"/prompts/{prompt.pk}/run/").content.decode()
    assert "This prompt has no variables." in latest
    response = alice_client.post(f"/prompts/{prompt.pk}/run/", {"version": "2"})
    conversation = Conversation.objects.get(pk=int(response.url.split("/")[2]))
    assert conversation.system_prompt == "Version two." and conversation.messages.count() == 0
    assert alice_client.get(f"/prompts/{prompt.pk}/run/?version=7").status_code == 404


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("close_thread_connections")
async def test_a_run_sends_the_substituted_last_message_and_streams(
    async_client, alice, conversation, settings, simulator_url
):
    settings.PLAYGROUND_API_BASE = simulator_url
    await sync_to_async(httpx.delete)(simulator_url.removesuffix("/v1") + "/_sim/requests")
    await async_client.aforce_login(alice)
    response = await async_client.post(
        f"/c/{conversation.pk}/save-prompt/", {"name": "Tutor", "tags": "", "note": ""}
    )
    assert response.status_code == 302
    prompt = await SavedPrompt.objects.aget(owner=alice)
    response = await async_client.post(
        f"/prompts/{prompt.pk}/run/", {f"var-{k}": v for k, v in VALUES.items()}
    )
    await wait_generations()
    run = await Conversation.objects.exclude(pk=conversation.pk).aget()
    assert response.status_code == 302 and response.url == f"/c/{run.pk}/"
    sent_last = "Now for kids, and keep {{literal}} as it is."
    rows = [m async for m in run.messages.order_by("id")]
    assert [(m.role, m.content) for m in rows[:3]] == [
        ("user", "Explain tides."),
        ("assistant", "Here is tides in short."),
        ("user", sent_last),
    ]
    assert rows[3].role == "assistant" and rows[3].status == "complete" and rows[3].content
    assert [m.parent_id for m in rows] == [None, rows[0].pk, rows[1].pk, rows[2].pk]
    body = (await sync_to_async(recorded)(simulator_url))[-1]
    assert body["messages"] == [
        {"role": "system", "content": "You are a patient tutor."},
        {"role": "user", "content": "Explain tides."},
        {"role": "assistant", "content": "Here is tides in short."},
        {"role": "user", "content": sent_last},
    ]
    assert body["temperature"] == 0.4 and body["max_tokens"] == 64
    assert body["tools"] == TOOLS and body["response_format"] == {"type": "json_object"}
    await prompt.arefresh_from_db()
    assert prompt.last_values == VALUES
    page = (await async_client.get(f"/c/{run.pk}/")).content.decode()
    assert sent_last in page and "You are a patient tutor." in page


# -- the library -------------------------------------------------------------------------------


@pytest.fixture
def library(alice, prompt):
    """Alice's three prompts: the tutor, a reviewer and one whose old version said "kraken"."""
    reviewer = SavedPrompt.objects.create(owner=alice, name="Code Reviewer", tags="work, Code")
    PromptVersion.objects.create(
        prompt=reviewer,
        number=1,
        system_prompt="Review the diff for BUGS.",
        messages=[{"role": "user", "content": "Here is my Pull request"}],
    )
    old = SavedPrompt.objects.create(owner=alice, name="Changed", tags="work")
    PromptVersion.objects.create(prompt=old, number=1, system_prompt="Mention the kraken.")
    PromptVersion.objects.create(prompt=old, number=2, system_prompt="Mention the squid.")
    return {"tutor": prompt, "reviewer": reviewer, "old": old}


def _names(html: str) -> list[str]:
    return re.findall(r'class="row-title" href="/prompts/\d+/"><span hx-ignore>([^<]*)<', html)


def test_the_library_lists_prompts_newest_first_with_tags_and_dates(alice_client, library):
    html = alice_client.get("/prompts/").content.decode()
    assert _names(html) == ["Changed", "Code Reviewer", "Tutor"]
    assert "Search prompts" in html and 'name="q"' in html
    assert 'title="Latest version"' in html
    for tag in ("work", "Code", "teaching", "science"):
        assert f"?tag={tag}" in html


@pytest.mark.parametrize(
    ("q", "names"),
    [
        ("tutor", ["Tutor"]),  # name
        ("SCIENCE", ["Tutor"]),  # tags, any case
        ("bugs", ["Code Reviewer"]),  # system prompt
        ("pull REQUEST", ["Code Reviewer"]),  # messages, every word
        ("{{topic}}", ["Tutor"]),
        ("squid", ["Changed"]),  # the latest version
        ("kraken", []),  # an older version is not searched
        ("content", []),  # the JSON's keys are not text
        ("role user", []),
        ("tutor bugs", []),
    ],
)
def test_search_covers_name_tags_and_the_latest_text(alice_client, library, q, names):
    html = alice_client.get("/prompts/", {"q": q}).content.decode()
    assert _names(html) == names
    if not names:
        assert "No prompt matches" in html and "Try fewer or different words" in html


def test_tag_links_filter_the_list(alice_client, library):
    html = alice_client.get("/prompts/", {"tag": "WORK"}).content.decode()
    assert _names(html) == ["Changed", "Code Reviewer"]
    assert 'aria-current="page" hx-ignore>work</a>' in html
    both = alice_client.get("/prompts/", {"tag": "work", "q": "squid"}).content.decode()
    assert _names(both) == ["Changed"] and 'name="tag" value="work"' in both
    none = alice_client.get("/prompts/", {"tag": "nothing"}).content.decode()
    assert _names(none) == [] and "with the tag “<span hx-ignore>nothing</span>”" in none


def test_an_empty_library_says_how_to_save_a_prompt(alice_client):
    html = alice_client.get("/prompts/").content.decode()
    assert "No saved prompts yet" in html and "Save prompt" in html


def test_duplicate_copies_the_latest_version_as_version_1(alice_client, prompt):
    _version(prompt, system_prompt="Latest.", note="v2")
    prompt.last_values = {"tone": "calm"}
    prompt.save()
    response = alice_client.post(f"/prompts/{prompt.pk}/duplicate/")
    copy = SavedPrompt.objects.exclude(pk=prompt.pk).get()
    assert response.status_code == 302 and response.url == f"/prompts/{copy.pk}/"
    assert copy.name == "Copy of Tutor" and copy.tags == prompt.tags and copy.owner == prompt.owner
    assert copy.last_values == {"tone": "calm"}
    version = copy.versions.get()
    assert version.number == 1 and version.system_prompt == "Latest."
    assert version.messages == prompt.versions.get(number=2).messages
    assert prompt.versions.count() == 2
    html = alice_client.get("/prompts/").content.decode()
    assert "Copy of Tutor" in _names(html)


def test_delete_asks_first_then_removes_the_prompt_its_versions_and_links(alice_client, library):
    prompt = library["tutor"]
    alice_client.post(f"/prompts/{prompt.pk}/share/")
    html = alice_client.get(f"/prompts/{prompt.pk}/delete/").content.decode()
    assert "Delete “<span hx-ignore>Tutor</span>”?" in html and 'class="danger-button"' in html
    assert SavedPrompt.objects.filter(pk=prompt.pk).exists()
    response = alice_client.post(f"/prompts/{prompt.pk}/delete/", follow=True)
    assert response.redirect_chain == [("/prompts/", 302)]
    assert "Deleted “Tutor”." in response.content.decode()
    assert not SavedPrompt.objects.filter(pk=prompt.pk).exists()
    assert not PromptVersion.objects.filter(prompt_id=prompt.pk).exists()
    assert PromptShareLink.objects.count() == 0
    assert SavedPrompt.objects.count() == 2
    assert Conversation.objects.count() == 1  # the conversation it came from stays


# -- sharing ------------------------------------------------------------------------------------


def _share(client, prompt) -> PromptShareLink:
    response = client.post(f"/prompts/{prompt.pk}/share/")
    assert response.status_code == 302 and response.url == f"/prompts/{prompt.pk}/#share-links"
    return PromptShareLink.objects.filter(prompt=prompt).latest("id")


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.urls += [v or "" for k, v in attrs if k in ("href", "action", "src")]


def test_a_share_link_points_at_the_latest_version_and_is_listed(alice_client, prompt):
    _version(prompt, system_prompt="Shared text.", note="private note")
    link = _share(alice_client, prompt)
    assert link.version.number == 2 and link.owner == prompt.owner
    assert re.fullmatch(r"[A-Za-z0-9_-]{43,}", link.token) and link.token != str(link.pk)
    html = alice_client.get(f"/prompts/{prompt.pk}/").content.decode()
    assert f"http://testserver/p/{link.token}/" in html
    assert f'action="/prompt-shares/{link.token}/revoke/"' in html and ">Revoke</button>" in html


def test_the_public_page_shows_the_version_and_nothing_else_of_the_owner(
    alice_client, anonymous, prompt
):
    link = _share(alice_client, prompt)
    _version(prompt, system_prompt="Saved after sharing.", note="secret note")
    response = anonymous.get(f"/p/{link.token}/")
    assert response.status_code == 200
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert response["Referrer-Policy"] == "no-referrer"
    assert response["Cache-Control"] == "no-store"
    html = response.content.decode()
    assert '<meta name="robots" content="noindex">' in html
    assert "Tutor" in html and SYSTEM in html and FIRST in html and ANSWER in html
    assert "Temperature" in html and "0.4" in html and "lookup" in html
    for secret in (
        "alice-owner",
        "alice@owner.example",
        "teaching",
        "First try",
        "Saved after sharing.",
        "secret note",
    ):
        assert secret not in html
    parser = _Links()
    parser.feed(html)
    paths = [urlsplit(url).path for url in parser.urls]
    assert not any(re.search(r"/\d+/", path) for path in paths)  # no database id anywhere
    assert "Sign in to copy this prompt" in html and "Copy to my library" not in html
    assert "<form" not in html.split("<main", 1)[1]  # no-referrer: actions are links


def test_revoke_makes_the_link_404_at_once(alice_client, anonymous, bob_client, prompt):
    link = _share(alice_client, prompt)
    assert anonymous.get(f"/p/{link.token}/").status_code == 200
    assert bob_client.get(f"/p/{link.token}/copy/").status_code == 200
    response = alice_client.post(f"/prompt-shares/{link.token}/revoke/")
    assert response.status_code == 302 and response.url == f"/prompts/{prompt.pk}/#share-links"
    link.refresh_from_db()
    assert link.revoked_at is not None
    assert anonymous.get(f"/p/{link.token}/").status_code == 404
    assert bob_client.get(f"/p/{link.token}/copy/").status_code == 404
    assert bob_client.post(f"/p/{link.token}/copy/").status_code == 404
    assert SavedPrompt.objects.count() == 1
    html = alice_client.get(f"/prompts/{prompt.pk}/").content.decode()
    assert "Revoked" in html and f"/p/{link.token}/" not in html


@pytest.mark.parametrize("token", ["nope", "A" * 43, "1"])
def test_an_unknown_token_is_404(client, token):
    assert client.get(f"/p/{token}/").status_code == 404


def test_a_signed_in_reader_copies_the_shared_version_to_their_library(
    alice_client, bob_client, bob, prompt
):
    link = _share(alice_client, prompt)
    prompt.last_values = {"tone": "alice's secret value"}
    prompt.save()
    _version(prompt, system_prompt="Later.")
    page = bob_client.get(f"/p/{link.token}/").content.decode()
    assert f'href="/p/{link.token}/copy/"' in page and "Copy to my library" in page
    confirm = bob_client.get(f"/p/{link.token}/copy/").content.decode()
    assert '<form method="post"' in confirm and "Copy to my library</button>" in confirm
    response = bob_client.post(f"/p/{link.token}/copy/")
    copy = SavedPrompt.objects.get(owner=bob)
    assert response.status_code == 302 and response.url == f"/prompts/{copy.pk}/"
    assert copy.name == "Tutor" and copy.tags == "" and copy.last_values == {}
    version = copy.versions.get()
    assert version.number == 1 and version.system_prompt == SYSTEM
    assert version.messages == prompt.versions.get(number=1).messages
    assert version.settings == SETTINGS
    assert (
        prompt.versions.count() == 2 and SavedPrompt.objects.filter(owner=prompt.owner).count() == 1
    )


def test_an_anonymous_copy_goes_to_login(alice_client, anonymous, prompt):
    link = _share(alice_client, prompt)
    response = anonymous.post(f"/p/{link.token}/copy/")
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")
    assert SavedPrompt.objects.count() == 1


# -- ownership and methods ------------------------------------------------------------------


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
    link = _share(alice_client, prompt)
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
        ("get", "/prompt-shares/x/revoke/"),
        ("post", "/p/x/"),
    ],
)
def test_wrong_methods_are_refused(alice_client, prompt, method, url):
    response = getattr(alice_client, method)(url.format(pk=prompt.pk))
    assert response.status_code == 405
    assert prompt.versions.count() == 1 and SavedPrompt.objects.count() == 1


# -- untrusted text ----------------------------------------------------------------------------


def test_attack_strings_render_escaped_on_every_page(alice_client, bob_client, anonymous, alice):
    text = f"{ATTACK} {{{{x}}}}"
    conversation = Conversation.objects.create(
        owner=alice, title=ATTACK, system_prompt=text, settings={"model": ATTACK}
    )
    user = _message(conversation, None, "user", text)
    conversation.current_leaf = _message(conversation, user, "assistant", ATTACK)
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
    _version(prompt, system_prompt=f"{ATTACK} changed", note=ATTACK, settings={"model": "m"})
    pages.append(
        alice_client.post(f"/c/{conversation.pk}/save-prompt/", {"name": "", "note": "x" * 301})
    )
    link = _share(alice_client, prompt)
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
