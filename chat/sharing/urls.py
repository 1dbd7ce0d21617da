"""Every kind of share link's pages: the owner's (create, list, update, revoke) and the
public ones behind a token."""

from django.urls import path

from chat.sharing import comparison_views, evaluation_views, prompt_views, views

urlpatterns = [
    # Conversations.
    path("c/<int:pk>/share/", views.share_conversation, name="chat-share"),
    path("shares/", views.share_list, name="chat-shares"),
    path("shares/<str:token>/update/", views.update_share, name="chat-share-update"),
    path("shares/<str:token>/limits/", views.share_limits, name="chat-share-limits"),
    path("shares/<str:token>/revoke/", views.revoke_share, name="chat-share-revoke"),
    path("shares/<str:token>/restore/", views.restore_share, name="chat-share-restore"),
    path("s/<str:token>/", views.shared_conversation, name="chat-shared"),
    path("ws/s/<str:token>/", views.websocket_only, name="ws-shared"),
    path("s/<str:token>/continue/", views.continue_shared, name="chat-shared-continue"),
    path("s/<str:token>/images/<str:key>/", views.shared_image, name="chat-shared-image"),
    # Evaluations.
    path("evals/<int:pk>/share/", evaluation_views.share_evaluation, name="chat-eval-share"),
    path(
        "eval-shares/<str:token>/revoke/",
        evaluation_views.revoke_share,
        name="chat-eval-share-revoke",
    ),
    path(
        "eval-shares/<str:token>/limits/",
        evaluation_views.share_limits,
        name="chat-eval-share-limits",
    ),
    path(
        "eval-shares/<str:token>/restore/",
        evaluation_views.restore_share,
        name="chat-eval-share-restore",
    ),
    path("e/<str:token>/", evaluation_views.shared_evaluation, name="chat-eval-shared"),
    # Saved prompts.
    path("prompts/<int:pk>/share/", prompt_views.share_prompt, name="chat-prompt-share"),
    path(
        "prompt-shares/<str:token>/revoke/",
        prompt_views.revoke_prompt_share,
        name="chat-prompt-share-revoke",
    ),
    path(
        "prompt-shares/<str:token>/limits/",
        prompt_views.prompt_share_limits,
        name="chat-prompt-share-limits",
    ),
    path(
        "prompt-shares/<str:token>/restore/",
        prompt_views.restore_prompt_share,
        name="chat-prompt-share-restore",
    ),
    path("p/<str:token>/", prompt_views.shared_prompt, name="chat-prompt-shared"),
    path(
        "p/<str:token>/images/<str:key>/",
        prompt_views.shared_prompt_image,
        name="chat-prompt-shared-image",
    ),
    path("p/<str:token>/copy/", prompt_views.copy_shared_prompt, name="chat-prompt-shared-copy"),
    # Comparisons.
    path("compare/<int:pk>/share/", comparison_views.share_comparison, name="chat-compare-share"),
    path(
        "compare/shares/<str:token>/revoke/",
        comparison_views.revoke_share,
        name="chat-compare-share-revoke",
    ),
    path(
        "compare/shares/<str:token>/limits/",
        comparison_views.share_limits,
        name="chat-compare-share-limits",
    ),
    path(
        "compare/shares/<str:token>/restore/",
        comparison_views.restore_share,
        name="chat-compare-share-restore",
    ),
    path("cs/<str:token>/", comparison_views.shared_comparison, name="chat-compare-shared"),
    path(
        "cs/<str:token>/images/<str:key>/",
        comparison_views.shared_comparison_image,
        name="chat-compare-shared-image",
    ),
]
