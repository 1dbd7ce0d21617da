"""The library: listing, search, tags; duplicating and deleting a prompt."""

from __future__ import annotations

import re

import pytest

from chat.models import Conversation, PromptShareLink, PromptVersion, SavedPrompt
from tests.prompts.builders import add_version

pytestmark = pytest.mark.django_db


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
    add_version(prompt, system_prompt="Latest.", note="v2")
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
