from django.urls import path

from chat import (
    code_views,
    compare_views,
    history_views,
    prompt_views,
    provider_views,
    share_views,
    transfer_views,
    views,
)

urlpatterns = [
    path("", views.home, name="chat-home"),
    path("c/", history_views.conversation_list, name="chat-list"),
    path("c/new/", views.new_conversation, name="chat-new"),
    path("c/check-params/", views.check_params, name="chat-check-params"),
    path("c/<int:pk>/", views.conversation_page, name="chat-conversation"),
    path("c/<int:pk>/send/", views.send_prompt, name="chat-send"),
    path("c/<int:pk>/title/", views.rename_conversation, name="chat-rename"),
    path("c/<int:pk>/fork/<int:message_pk>/", views.fork_conversation, name="chat-fork"),
    # Only its URL is reversed here; the websocket itself is routed in playground/asgi.py.
    path("ws/c/<int:pk>/", views.websocket_only, name="ws-conversation"),
    # -- history: list, search, pin, delete (chat/history_views.py) --
    path("c/<int:pk>/pin/", history_views.pin_conversation, name="chat-pin"),
    path("c/<int:pk>/delete/", history_views.delete_conversation, name="chat-delete"),
    path("c/<int:pk>/restore/", history_views.restore_conversation, name="chat-restore"),
    # -- sharing (chat/share_views.py) --
    path("c/<int:pk>/share/", share_views.share_conversation, name="chat-share"),
    path("shares/", share_views.share_list, name="chat-shares"),
    path("shares/<str:token>/update/", share_views.update_share, name="chat-share-update"),
    path("shares/<str:token>/revoke/", share_views.revoke_share, name="chat-share-revoke"),
    path("s/<str:token>/", share_views.shared_conversation, name="chat-shared"),
    path("s/<str:token>/continue/", share_views.continue_shared, name="chat-shared-continue"),
    # -- export and import (chat/transfer_views.py) --
    path("c/<int:pk>/export.json", transfer_views.export_json, name="chat-export-json"),
    path("c/<int:pk>/export.md", transfer_views.export_markdown, name="chat-export-md"),
    path("c/import/", transfer_views.import_conversation, name="chat-import"),
    # -- saved prompts (chat/prompt_views.py) --
    path("c/<int:pk>/save-prompt/", prompt_views.save_prompt, name="chat-save-prompt"),
    path("prompts/", prompt_views.prompt_library, name="chat-prompts"),
    path("prompts/<int:pk>/", prompt_views.prompt_page, name="chat-prompt"),
    path("prompts/<int:pk>/run/", prompt_views.run_prompt, name="chat-prompt-run"),
    path("prompts/<int:pk>/restore/", prompt_views.restore_version, name="chat-prompt-restore"),
    path(
        "prompts/<int:pk>/duplicate/", prompt_views.duplicate_prompt, name="chat-prompt-duplicate"
    ),
    path("prompts/<int:pk>/delete/", prompt_views.delete_prompt, name="chat-prompt-delete"),
    path("prompts/<int:pk>/share/", prompt_views.share_prompt, name="chat-prompt-share"),
    path(
        "prompt-shares/<str:token>/revoke/",
        prompt_views.revoke_prompt_share,
        name="chat-prompt-share-revoke",
    ),
    path("p/<str:token>/", prompt_views.shared_prompt, name="chat-prompt-shared"),
    path("p/<str:token>/copy/", prompt_views.copy_shared_prompt, name="chat-prompt-shared-copy"),
    # -- view code (chat/code_views.py) --
    path("c/<int:pk>/code/", code_views.next_send_code, name="chat-code"),
    path("c/<int:pk>/m/<int:message_pk>/code/", code_views.message_code, name="chat-message-code"),
    # -- providers and keys (chat/provider_views.py) --
    # -- compare (chat/compare_views.py) --
    path("compare/", compare_views.new_comparison, name="chat-compare-new"),
    path("compare/list/", compare_views.comparison_list, name="chat-compare-list"),
    path("compare/<int:pk>/", compare_views.comparison_page, name="chat-compare"),
    path("compare/<int:pk>/title/", compare_views.rename_comparison, name="chat-compare-rename"),
    path("compare/<int:pk>/stop/", compare_views.stop_comparison, name="chat-compare-stop"),
    path("compare/<int:pk>/again/", compare_views.run_again, name="chat-compare-again"),
    path("compare/<int:pk>/diff/", compare_views.diff_runs, name="chat-compare-diff"),
    path(
        "compare/<int:pk>/open/<int:message_pk>/",
        compare_views.open_run,
        name="chat-compare-open",
    ),
    path("compare/<int:pk>/export.json", compare_views.export_json, name="chat-compare-json"),
    path("compare/<int:pk>/export.csv", compare_views.export_csv, name="chat-compare-csv"),
    path("compare/<int:pk>/share/", compare_views.share_comparison, name="chat-compare-share"),
    path(
        "compare/shares/<str:token>/revoke/",
        compare_views.revoke_share,
        name="chat-compare-share-revoke",
    ),
    path("cs/<str:token>/", compare_views.shared_comparison, name="chat-compare-shared"),
    # Only its URL is reversed here; the websocket itself is routed in chat/routing.py.
    path("ws/compare/<int:pk>/", compare_views.websocket_only, name="ws-compare"),
    path("providers/", provider_views.provider_list, name="chat-providers"),
    path("providers/models/", provider_views.provider_models, name="chat-provider-models"),
    path("providers/<int:pk>/", provider_views.edit_provider, name="chat-provider"),
    path("providers/<int:pk>/delete/", provider_views.delete_provider, name="chat-provider-delete"),
]
