from django.urls import path

from chat.blind import views

urlpatterns = [
    path("blind/", views.blind_tally, name="chat-blind-tally"),
    path("blind/new/", views.new_blind, name="chat-blind-new"),
    path("blind/from/<int:pk>/", views.blind_from_comparison, name="chat-blind-from"),
    path("blind/<int:pk>/", views.trial_page, name="chat-blind"),
    path("blind/<int:pk>/vote/", views.vote, name="chat-blind-vote"),
    path("blind/<int:pk>/stop/", views.stop_trial, name="chat-blind-stop"),
    path("blind/<int:pk>/again/", views.blind_again, name="chat-blind-again"),
    path("ws/blind/<int:pk>/", views.websocket_only, name="ws-blind"),
]
