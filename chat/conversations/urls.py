from django.urls import path

from chat.conversations import attachment_views, code_views, listing, transfer, views

urlpatterns = [
    path("", views.home, name="chat-home"),
    path("c/", listing.conversation_list, name="chat-list"),
    path("c/new/", views.new_conversation, name="chat-new"),
    path("c/check-params/", views.check_params, name="chat-check-params"),
    path("c/<int:pk>/", views.conversation_page, name="chat-conversation"),
    path("c/<int:pk>/send/", views.send_prompt, name="chat-send"),
    path("c/<int:pk>/title/", views.rename_conversation, name="chat-rename"),
    path("c/<int:pk>/fork/<int:message_pk>/", views.fork_conversation, name="chat-fork"),
    path("ws/c/<int:pk>/", views.websocket_only, name="ws-conversation"),
    path("c/<int:pk>/pin/", listing.pin_conversation, name="chat-pin"),
    path("c/<int:pk>/delete/", listing.delete_conversation, name="chat-delete"),
    path("c/<int:pk>/restore/", listing.restore_conversation, name="chat-restore"),
    path("c/<int:pk>/export.json", transfer.export_json, name="chat-export-json"),
    path("c/<int:pk>/export.md", transfer.export_markdown, name="chat-export-md"),
    path("c/import/", transfer.import_conversation, name="chat-import"),
    path("c/<int:pk>/images/", attachment_views.upload_image, name="chat-upload-image"),
    path("images/<str:key>/", attachment_views.image_file, name="chat-image"),
    path(
        "images/<str:key>/remove/",
        attachment_views.remove_pending_image,
        name="chat-remove-pending-image",
    ),
    path("c/<int:pk>/code/", code_views.next_send_code, name="chat-code"),
    path("c/<int:pk>/m/<int:message_pk>/code/", code_views.message_code, name="chat-message-code"),
]
