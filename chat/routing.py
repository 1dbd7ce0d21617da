from django.urls import path

from chat.compare.consumer import ComparisonConsumer
from chat.conversations.consumer import ConversationConsumer

websocket_urlpatterns = [
    path("ws/c/<int:pk>/", ConversationConsumer.as_asgi()),
    path("ws/compare/<int:pk>/", ComparisonConsumer.as_asgi()),
]
