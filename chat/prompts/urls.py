from django.urls import path

from chat.prompts import views

# A prompt's share links are chat.sharing's (chat/sharing/urls.py).
urlpatterns = [
    path("c/<int:pk>/save-prompt/", views.save_prompt, name="chat-save-prompt"),
    path("prompts/", views.prompt_library, name="chat-prompts"),
    path("prompts/<int:pk>/", views.prompt_page, name="chat-prompt"),
    path("prompts/<int:pk>/run/", views.run_prompt, name="chat-prompt-run"),
    path("prompts/<int:pk>/restore/", views.restore_version, name="chat-prompt-restore"),
    path("prompts/<int:pk>/duplicate/", views.duplicate_prompt, name="chat-prompt-duplicate"),
    path("prompts/<int:pk>/delete/", views.delete_prompt, name="chat-prompt-delete"),
]
