from django.urls import path

from chat.prompts import views

urlpatterns = [
    path("c/<int:pk>/save-prompt/", views.save_prompt, name="chat-save-prompt"),
    path("prompts/", views.prompt_library, name="chat-prompts"),
    path("prompts/<int:pk>/", views.prompt_page, name="chat-prompt"),
    path("prompts/<int:pk>/run/", views.run_prompt, name="chat-prompt-run"),
    path("prompts/<int:pk>/restore/", views.restore_version, name="chat-prompt-restore"),
    path("prompts/<int:pk>/duplicate/", views.duplicate_prompt, name="chat-prompt-duplicate"),
    path("prompts/<int:pk>/delete/", views.delete_prompt, name="chat-prompt-delete"),
    path("prompts/<int:pk>/share/", views.share_prompt, name="chat-prompt-share"),
    path(
        "prompt-shares/<str:token>/revoke/",
        views.revoke_prompt_share,
        name="chat-prompt-share-revoke",
    ),
    path("p/<str:token>/", views.shared_prompt, name="chat-prompt-shared"),
    path("p/<str:token>/copy/", views.copy_shared_prompt, name="chat-prompt-shared-copy"),
]
