"""Tool results and refusals on messages.

SQLite cannot add a NOT NULL column in place: Django copies chat_message into a new
table, and the copy loses the triggers that keep the search index (0006) current. So
this migration puts them back, and rebuilds the index from the copied rows. Any later
migration that changes chat_message's columns must do the same.
"""

import importlib

from django.db import migrations, models

search_index = importlib.import_module("chat.migrations.0006_search_index")


def restore_search_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return  # PostgreSQL adds columns in place; its indexes stay
    for sql in search_index.SQLITE_TRIGGERS:
        schema_editor.execute(sql.replace("CREATE TRIGGER", "CREATE TRIGGER IF NOT EXISTS", 1))
    schema_editor.execute(search_index.SQLITE_REBUILD)


class Migration(migrations.Migration):
    dependencies = [("chat", "0006_search_index")]

    operations = [
        migrations.AddField(
            model_name="message",
            name="refusal",
            field=models.TextField(blank=True),
        ),
        migrations.AddField(
            model_name="message",
            name="tool_results",
            field=models.JSONField(blank=True, null=True),
        ),
        migrations.RunPython(restore_search_triggers, migrations.RunPython.noop),
    ]
