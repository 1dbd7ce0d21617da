"""The request of a signed-in person, for the views behind login_required."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.http import HttpRequest


class AuthedRequest(HttpRequest):
    """An HttpRequest whose user is signed in: login_required has checked it.

    django-stubs types `request.user` as `User | AnonymousUser`; the views behind
    login_required annotate their request with this instead of casting the user.
    """

    user: User
