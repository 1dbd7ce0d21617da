from django.urls import path

from chat.consumers import ComparisonConsumer, ConversationConsumer

websocket_urlpatterns = [
    path("ws/c/<int:pk>/", ConversationConsumer.as_asgi()),
    path("ws/compare/<int:pk>/", ComparisonConsumer.as_asgi()),
]
