from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def upstream(request: HttpRequest) -> dict:
    return {
        "signup_enabled": settings.PLAYGROUND_SIGNUP_ENABLED,
        "simulator_answers": not settings.PLAYGROUND_API_BASE,
    }
