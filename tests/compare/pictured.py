"""A conversation with images and a tool turn, and the builder form as a page posts it:
what the tests of comparisons' images and tool turns start from."""

from __future__ import annotations

from html.parser import HTMLParser

from django.core.files.uploadedfile import SimpleUploadedFile

from chat.conversations import attachments
from chat.models import Conversation, Message
from tests.images import PNG

CALL = {
    "id": "call_weather_1",
    "type": "function",
    "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
}
RESULT = {"tool_call_id": "call_weather_1", "name": "get_weather", "content": '{"temp": 21}'}
REASONING = "I should look the weather up."


def pictured_conversation(owner) -> Conversation:
    """A prompt with a PNG, a weather call (with its reasoning), its result, the final
    answer, and a follow-up prompt whose answer the columns redo."""
    conversation = Conversation.objects.create(owner=owner, title="Weather")
    prompt = Message.objects.create(
        conversation=conversation, role="user", content="What is this, and the weather?"
    )
    upload = attachments.store(owner, SimpleUploadedFile("x.png", PNG))
    attachments.attach(prompt, [upload])
    call = Message.objects.create(
        conversation=conversation,
        parent=prompt,
        role="assistant",
        content="",
        reasoning=REASONING,
        tool_calls=[CALL],
    )
    results = Message.objects.create(
        conversation=conversation, parent=call, role="tool", tool_results=[RESULT]
    )
    answer = Message.objects.create(
        conversation=conversation, parent=results, role="assistant", content="A square; 21 C."
    )
    follow = Message.objects.create(
        conversation=conversation, parent=answer, role="user", content="And tomorrow?"
    )
    conversation.current_leaf = follow
    conversation.save()
    return conversation


class _Fields(HTMLParser):
    """The fields a form posts: inputs (hidden, text, ticked boxes), selects, textareas."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: list[tuple[str, str]] = []
        self._open: tuple[str, str] | None = None  # (kind, name) of a select or textarea
        self._text = ""

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        name = a.get("name")
        if tag == "input" and name and a.get("type") not in ("file", "submit"):
            if a.get("type") != "checkbox" or "checked" in a:
                self.fields.append((name, a.get("value") or ""))
        elif tag in ("select", "textarea") and name:
            self._open, self._text = (tag, name), ""
        elif tag == "option" and self._open and "selected" in a:
            self.fields.append((self._open[1], a.get("value") or ""))

    def handle_data(self, data):
        if self._open and self._open[0] == "textarea":
            self._text += data

    def handle_endtag(self, tag):
        if self._open and tag == self._open[0]:
            if tag == "textarea":
                self.fields.append((self._open[1], self._text))
            self._open = None


def form_fields(html: str) -> dict[str, list[str]]:
    """What the builder page would post, by field name (repeated fields in order)."""
    parser = _Fields()
    parser.feed(html[html.index('<form id="builder"') :])
    found: dict[str, list[str]] = {}
    for name, value in parser.fields:
        found.setdefault(name, []).append(value)
    return found
