"""Sensitive changes ask for the password again, unless the person signed in recently.

A provider holds a base URL and an API key: whoever sits at a browser left signed in
could otherwise point someone's key elsewhere or swap in their own. Adding, changing
or deleting one therefore needs "Your password", or a sign-in (or password confirmed)
within PLAYGROUND_REAUTH_SECONDS, recorded in the session.
"""

from __future__ import annotations

import time
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest
from django.views.decorators.debug import sensitive_variables

# When this session last proved who it is (seconds since the epoch).
SESSION_KEY = "chat-confirmed-at"
WRONG = "That is not your password: nothing was saved. Enter the password you sign in with."


class PasswordForm(forms.Form):
    password = forms.CharField(
        label="Your password",
        strip=False,
        error_messages={"required": "Enter your password: nothing was saved without it."},
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        minutes = max(settings.PLAYGROUND_REAUTH_SECONDS // 60, 1)
        self.fields["password"].help_text = (
            f"You signed in more than {minutes} minute{'s' if minutes != 1 else ''} ago: "
            "confirm it is you to change providers and their keys."
        )

    @sensitive_variables("password")
    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError(WRONG)
        return password


@receiver(user_logged_in)
def _note_sign_in(sender: Any, request: HttpRequest | None, **kwargs: Any) -> None:
    if request is not None and hasattr(request, "session"):
        request.session[SESSION_KEY] = time.time()


def is_recent(request: HttpRequest) -> bool:
    confirmed = request.session.get(SESSION_KEY)
    if not isinstance(confirmed, int | float):
        return False  # signed in before sign-ins were recorded: ask
    return 0 <= time.time() - confirmed <= settings.PLAYGROUND_REAUTH_SECONDS


def password_form(request: HttpRequest) -> PasswordForm | None:
    """The "Your password" form this request must pass, or None after a recent sign-in.
    Bound to the POST data when there is some."""
    if is_recent(request):
        return None
    data = request.POST if request.method == "POST" else None
    return PasswordForm(data, user=request.user)


def pending(request: HttpRequest, form: PasswordForm | None) -> PasswordForm | None:
    """The form to show again: none once the password was confirmed (another field of
    the page may still have been wrong)."""
    return None if form is None or is_recent(request) else form


def confirmed(request: HttpRequest, form: PasswordForm | None) -> bool:
    """Whether the change may go ahead; a correct password counts as a fresh sign-in,
    so the next few changes do not ask again."""
    if form is None:
        return True
    if not form.is_valid():
        return False
    request.session[SESSION_KEY] = time.time()
    return True
