"""The websockets, by URL; playground/asgi.py puts them behind the origin and auth checks."""

from __future__ import annotations

from django.urls import path

from chat.blind.consumer import BlindTrialConsumer
from chat.compare.consumer import ComparisonConsumer
from chat.conversations.consumer import ConversationConsumer
from chat.sharing.consumer import SharedConversationConsumer

# django-stubs types path() for HTTP views only; Channels' URLRouter takes consumers too.
websocket_urlpatterns = [
    path("ws/c/<int:pk>/", ConversationConsumer.as_asgi()),  # type: ignore[arg-type]
    path("ws/compare/<int:pk>/", ComparisonConsumer.as_asgi()),  # type: ignore[arg-type]
    path("ws/blind/<int:pk>/", BlindTrialConsumer.as_asgi()),  # type: ignore[arg-type]
    path("ws/s/<str:token>/", SharedConversationConsumer.as_asgi()),  # type: ignore[arg-type]
]
