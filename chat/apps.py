from __future__ import annotations

from django.apps import AppConfig


class ChatConfig(AppConfig):
    name = "chat"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Records each sign-in in its session (a signal receiver, so imported at start).
        from chat.accounts import signals
        from chat.providers import reauth  # noqa: F401

        signals.connect()
