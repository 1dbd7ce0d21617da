"""Which conversations hold a word, through the database's text index when that helps.

A search looks for each word anywhere inside a message's prompt, answer or reasoning
(a substring, as people expect of a search box, not a whole-word match). Two kinds of
word need two plans:

- A rare word is found through the index: trigrams, which serve exactly this kind of
  match. PostgreSQL's pg_trgm GIN indexes on UPPER(content) and UPPER(reasoning) serve
  Django's own icontains; SQLite asks its FTS5 trigram table (chat_message_text, kept
  in step by triggers). Both come from migration 0006. Its conversations, a few, are
  then kept as the list walks down its own index.
- A common word is in almost every conversation: listing all its messages first would
  read most of the database, while walking the list and looking inside each candidate
  conversation finds a page of them after a few dozen.

So the index is asked for at most MESSAGE_CAP of the word's messages: fewer, and the
word is rare and those are all; as many, and it is common and the list walks. A word
of fewer than three characters has no trigram: it always walks.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connection
from django.db.models import Q

from chat.models import Message

TRIGRAM = 3
MESSAGE_CAP = 500

# The index drives the join (each match is one primary-key lookup) and the LIMIT stops
# it early; an IN (...) over the matches would read every one of them first.
_SQLITE_HITS = """
    SELECT m.conversation_id FROM chat_message_text
    JOIN chat_message m ON m.id = chat_message_text.rowid
    JOIN chat_conversation c ON c.id = m.conversation_id
    WHERE chat_message_text MATCH %s AND c.owner_id = %s
    LIMIT %s
"""


def holds(word: str) -> Q:
    """Messages whose prompt, answer or reasoning contains the word (no index: for the
    few messages of the conversations at hand)."""
    return Q(content__icontains=word) | Q(reasoning__icontains=word)


def holds_any(words: Sequence[str]) -> Q:
    """Messages with any of the words (no index, as holds)."""
    match = Q()
    for word in words:
        match |= holds(word)
    return match


def conversations_holding(owner_id: int, word: str) -> set[int] | None:
    """The person's conversations with a message that contains the word, when the word
    is rare enough to list them; None when it is common (or too short to index)."""
    if len(word) < TRIGRAM:
        return None
    if connection.vendor == "sqlite":
        # A phrase of one token: FTS5 reads the quoted word as text, never as syntax.
        phrase = '"' + word.replace('"', '""') + '"'
        with connection.cursor() as cursor:
            cursor.execute(_SQLITE_HITS, [phrase, owner_id, MESSAGE_CAP])
            found = [row[0] for row in cursor.fetchall()]
    else:
        # Unordered, so the LIMIT stops the scan (of the index, or of the table for a
        # word the planner knows is common) at the cap.
        query = Message.objects.filter(holds(word), conversation__owner_id=owner_id).order_by()
        found = list(query.values_list("conversation_id", flat=True)[:MESSAGE_CAP])
    return set(found) if len(found) < MESSAGE_CAP else None
