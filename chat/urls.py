"""Every page of the app, by feature; each feature lists its own URLs."""

from django.urls import include, path

urlpatterns = [
    path("", include("chat.conversations.urls")),
    path("", include("chat.sharing.urls")),
    path("", include("chat.prompts.urls")),
    path("", include("chat.compare.urls")),
    path("", include("chat.evals.urls")),
    path("", include("chat.blind.urls")),
    path("", include("chat.providers.urls")),
]
