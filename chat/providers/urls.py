from django.urls import path

from chat.providers import views

urlpatterns = [
    path("providers/", views.provider_list, name="chat-providers"),
    path("providers/models/", views.provider_models, name="chat-provider-models"),
    path("providers/<int:pk>/", views.edit_provider, name="chat-provider"),
    path("providers/<int:pk>/delete/", views.delete_provider, name="chat-provider-delete"),
]
