"""Prompts, versions and messages made the way the app makes them, for the tests of
saved prompts and of their share links."""

from __future__ import annotations

from django.utils import timezone

from chat.models import Conversation, Message, PromptShareLink, PromptVersion, SavedPrompt

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


def conversation_with_variables(owner) -> Conversation:
    """A conversation with variables in it: a prompt, its answer (and a second choice,
    and a failed one), a follow-up prompt on the visible path, and an answer in another
    branch."""
    conversation = Conversation.objects.create(
        owner=owner,
        title="Tides",
        system_prompt=SYSTEM,
        started_at=timezone.now(),
        settings=SETTINGS,
    )
    first = add_message(conversation, None, "user", FIRST)
    answer = add_message(conversation, first, "assistant", ANSWER)
    add_message(conversation, first, "assistant", "A second choice.", choice_index=1)
    add_message(conversation, first, "assistant", "", status="error", error="It failed.")
    follow = add_message(conversation, answer, "user", LAST)
    add_message(conversation, first, "assistant", "Another branch, not shown.")
    conversation.current_leaf = follow
    conversation.save()
    return conversation


def add_message(conversation, parent, role, content, **fields) -> Message:
    return Message.objects.create(
        conversation=conversation, parent=parent, role=role, content=content, **fields
    )


def save(client, conversation, **data) -> SavedPrompt:
    """Save the conversation's setup through the "Save prompt" form."""
    data = {"name": "Tutor", "tags": "teaching, science", "note": "", **data}
    response = client.post(f"/c/{conversation.pk}/save-prompt/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    prompt = SavedPrompt.objects.latest("updated_at", "id")
    assert response.url == f"/prompts/{prompt.pk}/"
    return prompt


def add_version(prompt, **fields) -> PromptVersion:
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


def share(client, prompt) -> PromptShareLink:
    """Share the prompt's latest version through its page's button."""
    response = client.post(f"/prompts/{prompt.pk}/share/")
    assert response.status_code == 302 and response.url == f"/prompts/{prompt.pk}/#share-links"
    return PromptShareLink.objects.filter(prompt=prompt).latest("id")
