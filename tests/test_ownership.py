"""Every URL that names a conversation, a message or a share link, walked as someone else.

Bob asks for Alice's things by every method, with and without htmx: he gets 404 (or
the 405 that anyone gets for that method), and nothing of Alice's changes.
"""

from __future__ import annotations

import pytest
from django.urls import URLPattern, URLResolver, reverse

from chat import urls
from chat.models import (
    Attachment,
    BlindTrial,
    Comparison,
    ComparisonShareLink,
    Conversation,
    Evaluation,
    EvaluationRun,
    EvaluationShareLink,
    Message,
    PromptShareLink,
    PromptVersion,
    Provider,
    SavedPrompt,
    ShareLink,
)

pytestmark = pytest.mark.django_db

# Public by design: a share link is readable by anyone who has it, and continuing it
# copies into the reader's own account (tests/test_sharing.py covers both).
PUBLIC = {
    "chat-shared",
    "chat-shared-continue",
    "chat-shared-image",
    "chat-prompt-shared",
    "chat-prompt-shared-copy",
    "chat-compare-shared",
    "chat-eval-shared",
}
# Answers the same to everybody: the websockets live at these addresses (426 over HTTP).
NOT_AN_OBJECT_VIEW = {"ws-conversation", "ws-compare", "ws-shared"}
# Which of Alice's objects a URL's pk or token names, by the URL name's prefix.
OWNERS_OF_PK = (
    ("chat-prompt", "prompt"),
    ("chat-compare", "comparison"),
    ("chat-provider", "provider"),
    ("chat-blind", "blind_trial"),
    ("chat-eval", "evaluation"),
    # A blind test from two of Alice's comparison's columns.
    ("chat-blind-from", "comparison"),
)
OWNERS_OF_TOKEN = (
    ("chat-prompt-share", "prompt_token"),
    ("chat-compare-share", "comparison_token"),
    ("chat-eval-share", "evaluation_token"),
)


@pytest.fixture
def alices(django_user_model):
    """Alice's conversation with a prompt, an answer and a live share link."""
    alice = django_user_model.objects.create_user("alice", password="pw-alice-123")
    conversation = Conversation.objects.create(
        owner=alice, title="Alice's", started_at="2026-01-01T00:00Z"
    )
    prompt = Message.objects.create(conversation=conversation, role="user", content="secret prompt")
    answer = Message.objects.create(
        conversation=conversation,
        parent=prompt,
        role="assistant",
        content="secret answer",
        status="stopped",
    )
    conversation.current_leaf = answer
    conversation.save()
    image = Attachment.objects.create(
        owner=alice, message=prompt, file="attachments/alices.png", content_type="image/png", size=1
    )
    link = ShareLink.objects.create(owner=alice, conversation=conversation, snapshot={"steps": []})
    prompt = SavedPrompt.objects.create(owner=alice, name="Alice's prompt")
    version = PromptVersion.objects.create(prompt=prompt, number=1, system_prompt="secret")
    prompt_link = PromptShareLink.objects.create(owner=alice, prompt=prompt, version=version)
    comparison = Comparison.objects.create(owner=alice, title="Alice's comparison")
    comparison_link = ComparisonShareLink.objects.create(
        owner=alice, comparison=comparison, snapshot={}
    )
    provider = Provider.objects.create(owner=alice, name="Alice's", base_url="https://a.example/v1")
    comparison.columns = [{"temperature": 0.2}, {"temperature": 1.5}]
    comparison.save()
    blind = Comparison.objects.create(owner=alice, columns=comparison.columns)
    trial = BlindTrial.objects.create(
        owner=alice,
        comparison=blind,
        pair_key="0" * 64,
        a_is_first=True,
        first_label="Temperature 0.2",
        second_label="Temperature 1.5",
    )
    evaluation = Evaluation.objects.create(
        owner=alice, title="Alice's evaluation", cases=[{"values": {}, "expected": "x"}]
    )
    EvaluationRun.objects.create(evaluation=evaluation, number=1)
    evaluation_link = EvaluationShareLink.objects.create(owner=alice, evaluation=evaluation)
    return {
        "evaluation": evaluation.pk,
        "evaluation_token": evaluation_link.token,
        "number": 1,
        "kind": "csv",
        "index": 0,
        "pk": conversation.pk,
        "message_pk": answer.pk,
        "token": link.token,
        "prompt": prompt.pk,
        "comparison": comparison.pk,
        "provider": provider.pk,
        "blind_trial": trial.pk,
        "prompt_token": prompt_link.token,
        "comparison_token": comparison_link.token,
        "key": image.key,
        "column": 0,
    }


def _kwargs(pattern: URLPattern, objects: dict) -> dict:
    kwargs = {name: objects[name] for name in pattern.pattern.converters}
    for prefix, key in OWNERS_OF_PK:
        if pattern.name.startswith(prefix) and "pk" in kwargs:
            kwargs["pk"] = objects[key]
    for prefix, key in OWNERS_OF_TOKEN:
        if pattern.name.startswith(prefix) and "token" in kwargs:
            kwargs["token"] = objects[key]
    return kwargs


def _state() -> list:
    return [
        list(Conversation.objects.values().order_by("pk")),
        list(Message.objects.values().order_by("pk")),
        list(ShareLink.objects.values().order_by("pk")),
        list(SavedPrompt.objects.values().order_by("pk")),
        list(PromptShareLink.objects.values().order_by("pk")),
        list(Comparison.objects.values().order_by("pk")),
        list(ComparisonShareLink.objects.values().order_by("pk")),
        list(Provider.objects.values().order_by("pk")),
        list(Attachment.objects.values().order_by("pk")),
        list(BlindTrial.objects.values().order_by("pk")),
        list(Evaluation.objects.values().order_by("pk")),
        list(EvaluationRun.objects.values().order_by("pk")),
        list(EvaluationShareLink.objects.values().order_by("pk")),
    ]


def _flattened(patterns) -> list[URLPattern]:
    """Every URL of the app: chat/urls.py includes each feature's list."""
    flat = []
    for p in patterns:
        flat += _flattened(p.url_patterns) if isinstance(p, URLResolver) else [p]
    return flat


def _object_urls() -> list[URLPattern]:
    return [
        p
        for p in _flattened(urls.urlpatterns)
        if set(p.pattern.converters) & {"pk", "message_pk", "token", "key"}
        and p.name not in PUBLIC | NOT_AN_OBJECT_VIEW
    ]


def test_the_walk_covers_every_object_url():
    names = {p.name for p in _object_urls()}
    assert {
        "chat-conversation",
        "chat-fork",
        "chat-share",
        "chat-share-revoke",
        "chat-export-json",
        "chat-image",
        "chat-upload-image",
    } <= names


@pytest.mark.parametrize("pattern", _object_urls(), ids=lambda p: p.name)
@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_someone_else_gets_404_and_changes_nothing(
    client, django_user_model, alices, pattern, method, htmx
):
    bob = django_user_model.objects.create_user("bob", password="pw-bob-123")
    client.force_login(bob)
    url = reverse(pattern.name, kwargs=_kwargs(pattern, alices))
    before = _state()
    headers = {"HX-Request": "true"} if htmx else {}
    data = {"title": "bob was here", "prompt": "hi", "include_reasoning": "on"}
    response = getattr(client, method)(url, data if method == "post" else None, headers=headers)
    if response.status_code == 405:
        # Refused for the method alone: Alice gets the same, so it tells Bob nothing.
        client.force_login(Conversation.objects.get(pk=alices["pk"]).owner)
        assert getattr(client, method)(url, headers=headers).status_code == 405
    else:
        assert response.status_code == 404, (url, method, response.status_code)
        assert b"secret" not in response.content
    assert _state() == before
