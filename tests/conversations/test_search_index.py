"""A search goes through the database's text index, and the index follows the text."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from chat.conversations import search
from chat.models import Conversation, Message

pytestmark = pytest.mark.django_db


def _rows(html: str) -> int:
    return html.count('class="conversation-row')


@pytest.fixture
def astronomy(alice):
    conversation = Conversation.objects.create(
        owner=alice, title="Evening sky", started_at=timezone.now(), settings={"model": "m"}
    )
    prompt = Message.objects.create(conversation=conversation, role="user", content="Which?")
    answer = Message.objects.create(
        conversation=conversation,
        parent=prompt,
        role="assistant",
        content="Look for the Pleiades low in the east.",
        reasoning="Autumn evenings favour the Pleiades.",
        status="complete",
    )
    return conversation, answer


def test_an_answer_s_new_words_are_found_and_its_old_ones_no_longer(alice_client, astronomy):
    _, answer = astronomy
    assert _rows(alice_client.get("/c/?q=pleiades").content.decode()) == 1
    # A streaming answer is saved many times: the index must follow each save.
    Message.objects.filter(pk=answer.pk).update(content="Orion rises late.", reasoning="")
    assert _rows(alice_client.get("/c/?q=pleiades").content.decode()) == 0
    assert _rows(alice_client.get("/c/?q=orion").content.decode()) == 1


def test_a_deleted_message_is_no_longer_found(alice_client, astronomy):
    _, answer = astronomy
    answer.delete()
    assert _rows(alice_client.get("/c/?q=pleiades").content.decode()) == 0


@pytest.mark.parametrize("q", ['"Pleiades', "Pleiades*", "NEAR(low east)", "content:low", "AND"])
def test_search_syntax_in_the_words_is_just_text(alice_client, astronomy, q):
    response = alice_client.get("/c/", {"q": q})
    assert response.status_code == 200
    found = _rows(response.content.decode())
    # Only a literal occurrence of every word counts ("low" is there, "content:low" not).
    assert found == 0


def test_short_words_are_still_found_without_the_index(alice_client, astronomy):
    assert _rows(alice_client.get("/c/?q=in").content.decode()) == 1
    assert _rows(alice_client.get("/c/?q=zq").content.decode()) == 0


def _plan(sql: str, params: tuple = ()) -> str:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # A test database is tiny: forbid scans, so the plan shows whether the
            # index could serve the query at all.
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("SET LOCAL enable_indexscan = off")  # nor walks of the pkey
            cursor.execute(f"EXPLAIN {sql}", params)
        else:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        return "\n".join(str(row) for row in cursor.fetchall())


def test_a_rare_word_s_conversations_come_from_the_text_index(alice, astronomy):
    conversation, _ = astronomy
    with CaptureQueriesContext(connection) as queries:
        assert search.conversations_holding(alice.pk, "pleiades") == {conversation.pk}
    if connection.vendor == "postgresql":
        # Django's own icontains is what the expression indexes were made for.
        matching = Message.objects.filter(search.holds("pleiades")).values("conversation_id")
        plan = _plan(*matching.query.sql_with_params())
        assert "message_content_trgm" in plan and "message_reasoning_trgm" in plan
    else:
        plan = _plan(queries.captured_queries[-1]["sql"])
        assert "chat_message_text VIRTUAL TABLE" in plan


def test_a_common_word_is_found_by_walking_the_list(alice_client, alice, monkeypatch):
    # More messages hold the word than the index is asked for: every conversation that
    # has it is still found, none that lacks it.
    monkeypatch.setattr(search, "MESSAGE_CAP", 3)
    for n in range(5):
        conversation = Conversation.objects.create(
            owner=alice, title=f"Chat {n}", started_at=timezone.now(), settings={}
        )
        Message.objects.create(conversation=conversation, role="user", content=f"orbit {n}")
    quiet = Conversation.objects.create(
        owner=alice, title="Quiet", started_at=timezone.now(), settings={}
    )
    Message.objects.create(conversation=quiet, role="user", content="nothing here")
    assert search.conversations_holding(alice.pk, "orbit") is None
    html = alice_client.get("/c/?q=orbit").content.decode()
    assert _rows(html) == 5 and "Quiet" not in html


def test_only_the_person_s_own_messages_count_against_the_index_s_cap(
    alice, bob, astronomy, monkeypatch
):
    monkeypatch.setattr(search, "MESSAGE_CAP", 3)
    for _ in range(5):
        theirs = Conversation.objects.create(owner=bob, started_at=timezone.now(), settings={})
        Message.objects.create(conversation=theirs, role="user", content="Pleiades!")
    conversation, _ = astronomy
    assert search.conversations_holding(alice.pk, "pleiades") == {conversation.pk}


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's own triggers")
def test_the_index_s_triggers_outlive_the_migrations_that_copy_the_messages_table():
    # SQLite adds a NOT NULL column by copying the table, which drops its triggers;
    # without them the index would silently stop following the text.
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        triggers = {name for (name,) in cursor.fetchall()}
    assert {
        "chat_message_text_insert",
        "chat_message_text_delete",
        "chat_message_text_update",
    } <= triggers
