from django.urls import path

from chat.evals import run_views, views

urlpatterns = [
    path("evals/", views.evaluation_list, name="chat-evals"),
    path("evals/new/", views.new_evaluation, name="chat-eval-new"),
    path("evals/<int:pk>/", views.evaluation_page, name="chat-eval"),
    path("evals/<int:pk>/prompt/", views.save_prompt, name="chat-eval-prompt"),
    path("evals/<int:pk>/cases/", views.save_cases, name="chat-eval-cases"),
    path("evals/<int:pk>/cases/import/", views.import_cases, name="chat-eval-import"),
    path(
        "evals/<int:pk>/cases.<str:kind>",
        views.export_cases,
        name="chat-eval-cases-export",
    ),
    path("evals/<int:pk>/checks/", views.add_check, name="chat-eval-check-add"),
    path(
        "evals/<int:pk>/checks/<int:index>/remove/",
        views.remove_check,
        name="chat-eval-check-remove",
    ),
    path("evals/<int:pk>/settings/", views.save_settings, name="chat-eval-settings"),
    path("evals/<int:pk>/run/", views.run_evaluation, name="chat-eval-start"),
    path("evals/<int:pk>/title/", views.rename_evaluation, name="chat-eval-rename"),
    path("evals/<int:pk>/delete/", views.delete_evaluation, name="chat-eval-delete"),
    path("evals/<int:pk>/changes/", run_views.changes_page, name="chat-eval-changes"),
    path("evals/<int:pk>/runs/<int:number>/", run_views.run_page, name="chat-eval-run"),
    path("evals/<int:pk>/runs/<int:number>/stop/", run_views.stop_run, name="chat-eval-stop"),
    path(
        "evals/<int:pk>/runs/<int:number>/answers/<int:message_pk>/",
        run_views.cell_page,
        name="chat-eval-cell",
    ),
    path(
        "evals/<int:pk>/runs/<int:number>/answers/<int:message_pk>/open/",
        run_views.open_cell,
        name="chat-eval-open",
    ),
    path(
        "evals/<int:pk>/runs/<int:number>/export.json",
        run_views.export_run_json,
        name="chat-eval-json",
    ),
    path(
        "evals/<int:pk>/runs/<int:number>/export.csv",
        run_views.export_run_csv,
        name="chat-eval-csv",
    ),
]
