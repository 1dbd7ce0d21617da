"""Which messages hold a word, through the database's text index.

A search looks for each word anywhere inside a message's prompt, answer or reasoning
(a substring, as people expect of a search box, not a whole-word match). Without an
index that is a scan of every message; with 10,000 conversations of 50 messages it
takes seconds. Both databases index trigrams, which serve exactly this kind of match:
PostgreSQL's pg_trgm GIN indexes on UPPER(content) and UPPER(reasoning) serve Django's
own icontains, and SQLite's FTS5 table with the trigram tokenizer (chat_message_text,
kept in step by triggers) is asked directly. Both come from migration 0006.

A word of fewer than three characters has no trigram: it falls back to a plain scan.
"""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.db.models import Q, QuerySet
from django.db.models.expressions import RawSQL

from chat.models import Message

TRIGRAM = 3
_MATCH = "SELECT rowid FROM chat_message_text WHERE chat_message_text MATCH %s"


def messages_with_any(words: list[str] | tuple[str, ...]) -> QuerySet[Message]:
    """Messages whose prompt, answer or reasoning contains any of the words."""
    match = Q()
    for word in words:
        match |= _holds(word)
    return Message.objects.filter(match)


def conversation_ids_with(word: str) -> QuerySet[Message, Any]:
    """The conversations (ids, repeated) with a message that contains the word: a
    subquery the database runs once, not once per conversation."""
    return Message.objects.filter(_holds(word)).values("conversation_id")


def _holds(word: str) -> Q:
    if connection.vendor == "sqlite" and len(word) >= TRIGRAM:
        # A phrase of one token: FTS5 reads the quoted word as text, never as syntax.
        phrase = '"' + word.replace('"', '""') + '"'
        return Q(pk__in=RawSQL(_MATCH, [phrase]))  # noqa: S611 - the word is a parameter
    return Q(content__icontains=word) | Q(reasoning__icontains=word)
