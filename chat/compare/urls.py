from django.urls import path

from chat.compare import attachment_views, code_views, views

urlpatterns = [
    path("compare/", views.new_comparison, name="chat-compare-new"),
    path("compare/images/", attachment_views.upload_image, name="chat-compare-upload-image"),
    path("compare/list/", views.comparison_list, name="chat-compare-list"),
    path("compare/<int:pk>/", views.comparison_page, name="chat-compare"),
    path("compare/<int:pk>/title/", views.rename_comparison, name="chat-compare-rename"),
    path("compare/<int:pk>/stop/", views.stop_comparison, name="chat-compare-stop"),
    path("compare/<int:pk>/again/", views.run_again, name="chat-compare-again"),
    path("compare/<int:pk>/diff/", views.diff_runs, name="chat-compare-diff"),
    path(
        "compare/<int:pk>/open/<int:message_pk>/",
        views.open_run,
        name="chat-compare-open",
    ),
    path("compare/<int:pk>/export.json", views.export_json, name="chat-compare-json"),
    path("compare/<int:pk>/export.md", views.export_markdown, name="chat-compare-markdown"),
    path("compare/<int:pk>/code/<int:column>/", code_views.column_code, name="chat-compare-code"),
    path("compare/<int:pk>/export.csv", views.export_csv, name="chat-compare-csv"),
    path("ws/compare/<int:pk>/", views.websocket_only, name="ws-compare"),
]
