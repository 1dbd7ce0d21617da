from django.urls import path

from chat.sharing import views

urlpatterns = [
    path("c/<int:pk>/share/", views.share_conversation, name="chat-share"),
    path("shares/", views.share_list, name="chat-shares"),
    path("shares/<str:token>/update/", views.update_share, name="chat-share-update"),
    path("shares/<str:token>/revoke/", views.revoke_share, name="chat-share-revoke"),
    path("s/<str:token>/", views.shared_conversation, name="chat-shared"),
    path("s/<str:token>/continue/", views.continue_shared, name="chat-shared-continue"),
]
