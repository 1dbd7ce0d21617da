"""The text index a search goes through (chat/conversations/search.py)."""

from django.db import migrations

# External content: the index keeps only trigrams, the text stays in chat_message.
SQLITE_TABLE = """CREATE VIRTUAL TABLE chat_message_text USING fts5(
    content, reasoning, content='chat_message', content_rowid='id', tokenize='trigram')"""
# Later migrations that make SQLite copy chat_message restore these (see 0007).
SQLITE_TRIGGERS = [
    """CREATE TRIGGER chat_message_text_insert AFTER INSERT ON chat_message BEGIN
        INSERT INTO chat_message_text(rowid, content, reasoning)
        VALUES (new.id, new.content, new.reasoning);
    END""",
    """CREATE TRIGGER chat_message_text_delete AFTER DELETE ON chat_message BEGIN
        INSERT INTO chat_message_text(chat_message_text, rowid, content, reasoning)
        VALUES ('delete', old.id, old.content, old.reasoning);
    END""",
    # Only when the text changes: a streaming answer's other saves cost nothing here.
    """CREATE TRIGGER chat_message_text_update AFTER UPDATE OF content, reasoning
        ON chat_message BEGIN
        INSERT INTO chat_message_text(chat_message_text, rowid, content, reasoning)
        VALUES ('delete', old.id, old.content, old.reasoning);
        INSERT INTO chat_message_text(rowid, content, reasoning)
        VALUES (new.id, new.content, new.reasoning);
    END""",
]
SQLITE_REBUILD = "INSERT INTO chat_message_text(chat_message_text) VALUES ('rebuild')"
SQLITE = [SQLITE_TABLE, *SQLITE_TRIGGERS, SQLITE_REBUILD]
SQLITE_UNDO = [
    "DROP TRIGGER IF EXISTS chat_message_text_insert",
    "DROP TRIGGER IF EXISTS chat_message_text_delete",
    "DROP TRIGGER IF EXISTS chat_message_text_update",
    "DROP TABLE IF EXISTS chat_message_text",
]
# pg_trgm is a trusted extension (PostgreSQL 13+): the database's owner may create it.
# The indexes are on UPPER(...) because that is what Django's icontains compares.
POSTGRESQL = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS message_content_trgm ON chat_message "
    "USING gin (UPPER(content) gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS message_reasoning_trgm ON chat_message "
    "USING gin (UPPER(reasoning) gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS conversation_title_trgm ON chat_conversation "
    "USING gin (UPPER(title) gin_trgm_ops)",
]
POSTGRESQL_UNDO = [
    "DROP INDEX IF EXISTS message_content_trgm",
    "DROP INDEX IF EXISTS message_reasoning_trgm",
    "DROP INDEX IF EXISTS conversation_title_trgm",
]


def _run(statements: dict[str, list[str]]):
    def run(apps, schema_editor):
        for sql in statements.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("chat", "0005_message_owner")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE, "postgresql": POSTGRESQL}),
            _run({"sqlite": SQLITE_UNDO, "postgresql": POSTGRESQL_UNDO}),
        ),
    ]
