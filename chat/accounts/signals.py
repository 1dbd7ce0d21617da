"""Sessions that end tell their open sockets: sign-out, a password change, an account
disabled or deleted (chat.sessions does the telling; ChatConfig.ready connects these)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.contrib.auth.signals import user_logged_out
from django.http import HttpRequest

from chat import sessions


def on_logged_out(
    sender: object, request: HttpRequest, user: AbstractBaseUser | None, **kwargs: Any
) -> None:
    # Sent before the session is flushed: name it, so its sockets close without asking.
    if user is not None and user.pk is not None:
        sessions.tell_sockets(user.pk, request.session.session_key)


def on_user_saved(
    sender: object,
    instance: AbstractBaseUser,
    created: bool = False,
    update_fields: frozenset[str] | None = None,
    **kwargs: Any,
) -> None:
    # A new account has no sockets; signing in saves last_login only, which ends no
    # session. Any other save may have changed the password or is_active: each socket
    # checks, which is one query.
    if created:
        return
    if update_fields is not None and set(update_fields) <= {"last_login"}:
        return
    sessions.tell_sockets(instance.pk)


def on_user_deleted(sender: object, instance: AbstractBaseUser, **kwargs: Any) -> None:
    sessions.tell_sockets(instance.pk)


def connect() -> None:
    from django.contrib.auth import get_user_model
    from django.db.models.signals import post_delete, post_save

    user_model = get_user_model()
    user_logged_out.connect(on_logged_out, dispatch_uid="chat-sessions-logged-out")
    post_save.connect(on_user_saved, sender=user_model, dispatch_uid="chat-sessions-saved")
    post_delete.connect(on_user_deleted, sender=user_model, dispatch_uid="chat-sessions-deleted")
