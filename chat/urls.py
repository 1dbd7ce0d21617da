from django.urls import path

from chat import views

urlpatterns = [
    path("", views.home, name="chat-home"),
    path("c/", views.conversation_list, name="chat-list"),
    path("c/new/", views.new_conversation, name="chat-new"),
    path("c/check-params/", views.check_params, name="chat-check-params"),
    path("c/<int:pk>/", views.conversation_page, name="chat-conversation"),
    path("c/<int:pk>/send/", views.send_prompt, name="chat-send"),
    path("c/<int:pk>/title/", views.rename_conversation, name="chat-rename"),
    path("c/<int:pk>/fork/<int:message_pk>/", views.fork_conversation, name="chat-fork"),
    # Only its URL is reversed here; the websocket itself is routed in playground/asgi.py.
    path("ws/c/<int:pk>/", views.websocket_only, name="ws-conversation"),
    # -- history: list, search, pin, delete (chat/history_views.py) --
    # -- sharing (chat/share_views.py) --
    # -- export and import (chat/transfer_views.py) --
]
