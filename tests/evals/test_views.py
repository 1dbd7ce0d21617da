"""Evaluations' pages without streaming: test cases in and out, checks, settings, what a
run refuses to start, a finished run's matrix, what changed between two runs, opening
an answer as a conversation, downloads, sharing, and nobody else's."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from chat.compare import runs as compare_runs
from chat.evals import runs
from chat.models import (
    Comparison,
    ComparisonRun,
    Conversation,
    Evaluation,
    EvaluationRun,
    EvaluationShareLink,
    Message,
    PromptVersion,
    SavedPrompt,
)
from chat.providers.upstreams import Provider

pytestmark = pytest.mark.django_db

ATTACK = "<img src=x onerror=alert(1)>"
CSV = b"city,expected,note\nParis,France,capital\nLyon,France,\nTurin,Italy,north\n"


@pytest.fixture
def prompt(alice):
    saved = SavedPrompt.objects.create(owner=alice, name="Countries")
    PromptVersion.objects.create(
        prompt=saved,
        number=1,
        messages=[{"role": "user", "content": "Which country is {{city}} in?"}],
        settings={"model": "kimi-k2-thinking", "temperature": 1.0, "max_tokens": 200},
    )
    return saved


@pytest.fixture
def evaluation(alice_client, prompt):
    alice_client.post(reverse("chat-eval-new"), {"title": "Cities", "prompt": prompt.pk})
    return Evaluation.objects.get(title="Cities")


def _import(client, evaluation, data: bytes, name: str = "cases.csv", **extra):
    upload = io.BytesIO(data)
    upload.name = name
    return client.post(reverse("chat-eval-import", args=[evaluation.pk]), {"file": upload, **extra})


def _check(client, evaluation, **fields):
    return client.post(reverse("chat-eval-check-add", args=[evaluation.pk]), fields)


def _answer(run: EvaluationRun, content_for) -> None:
    """Every answer of the run, finished with the text content_for(case, column, repeat)."""
    sent = timezone.now() - timedelta(seconds=3)
    for row in run.rows.all():
        for slot in ComparisonRun.objects.filter(comparison=row.comparison):
            Message.objects.filter(pk=slot.message_id).update(
                status="complete",
                content=content_for(row.case, slot.column, slot.repeat),
                reasoning=f"Thinking about case {row.case}",
                finish_reason="stop",
                usage={"prompt_tokens": 9, "completion_tokens": 12, "reasoning_tokens": 4},
                sent_at=sent,
                first_reasoning_at=sent + timedelta(seconds=0.5),
                first_content_at=sent + timedelta(seconds=1),
                finished_at=sent + timedelta(seconds=2),
            )


@pytest.fixture
def ready(alice_client, evaluation):
    """Three test cases from CSV, a "contains the expected output" check, and two
    columns (temperature 0.2 and 1.5) run twice."""
    _import(alice_client, evaluation, CSV)
    _check(alice_client, evaluation, kind="contains", text="")
    alice_client.post(
        reverse("chat-eval-settings", args=[evaluation.pk]),
        {
            "model": "kimi-k2-thinking",
            "temperature": "1",
            "max_tokens": "200",
            "repeats": "2",
            "sweep-0-name": "temperature",
            "sweep-0-values": "0.2, 1.5",
        },
    )
    evaluation.refresh_from_db()
    return evaluation


# -- a new evaluation and its parts ---------------------------------------------------------


def test_a_new_evaluation_of_a_saved_prompt_takes_its_variables_and_settings(
    alice_client, evaluation
):
    assert evaluation.prompt is not None
    assert evaluation.base_settings["max_tokens"] == 200
    html = alice_client.get(reverse("chat-eval", args=[evaluation.pk])).content.decode()
    assert "<code>city</code>" in html
    assert "Add at least one test case before running." in html


def test_test_cases_import_from_csv_and_download_the_same(alice_client, evaluation):
    response = _import(alice_client, evaluation, CSV)
    assert response.status_code == 302
    evaluation.refresh_from_db()
    assert [case["values"]["city"] for case in evaluation.cases] == ["Paris", "Lyon", "Turin"]
    assert evaluation.cases[2]["expected"] == "Italy"
    download = alice_client.get(reverse("chat-eval-cases-export", args=[evaluation.pk, "csv"]))
    rows = list(csv.reader(io.StringIO(download.content.decode())))
    assert rows[0] == ["city", "expected", "note"]
    assert rows[1] == ["Paris", "France", "capital"]
    jsonl = alice_client.get(reverse("chat-eval-cases-export", args=[evaluation.pk, "jsonl"]))
    assert json.loads(jsonl.content.decode().splitlines()[2])["city"] == "Turin"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"town,expected\nParis,France\n", "no column for {{city}}"),
        (b"city\n" + b"Paris\n" * 501, "501 test cases; an evaluation takes at most 500"),
        (b"city\nN\xe9mes\n", "not UTF-8"),
    ],
    ids=["missing variable", "501 rows", "bad encoding"],
)
def test_a_bad_file_says_why_and_changes_nothing(alice_client, evaluation, data, message):
    _import(alice_client, evaluation, b"city\nOslo\n")
    response = _import(alice_client, evaluation, data)
    assert response.status_code == 400
    assert message in response.content.decode()
    evaluation.refresh_from_db()
    assert [case["values"]["city"] for case in evaluation.cases] == ["Oslo"]


def test_pasted_rows_are_added_after_the_others(alice_client, evaluation):
    _import(alice_client, evaluation, b"city\nOslo\n")
    alice_client.post(
        reverse("chat-eval-import", args=[evaluation.pk]),
        {"pasted": "city\texpected\nBergen\tNorway\n", "mode": "append"},
    )
    evaluation.refresh_from_db()
    assert [case["values"]["city"] for case in evaluation.cases] == ["Oslo", "Bergen"]


def test_the_grid_edits_adds_and_removes_rows(alice_client, evaluation):
    _import(alice_client, evaluation, b"city\nOslo\nRome\n")
    url = reverse("chat-eval-cases", args=[evaluation.pk])
    alice_client.post(
        url,
        {
            "rows": "2",
            "case-0-city": "Oslo",
            "case-0-expected": "Norway",
            "case-1-city": "Rome",
            "case-1-remove": "on",
            "action": "add",
        },
    )
    evaluation.refresh_from_db()
    assert [(c["values"]["city"], c["expected"]) for c in evaluation.cases] == [
        ("Oslo", "Norway"),
        ("", ""),
    ]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"kind": "regex", "pattern": "(unclosed"}, "The regex does not compile"),
        ({"kind": "json_schema", "schema": '{"type": "strin"}'}, "The JSON Schema is invalid"),
        ({"kind": "json_schema", "schema": "not json"}, "JSON Schema"),
    ],
    ids=["invalid regex", "invalid schema", "schema not JSON"],
)
def test_a_bad_check_says_why_and_adds_nothing(alice_client, evaluation, fields, message):
    response = _check(alice_client, evaluation, **fields)
    assert response.status_code == 400
    assert message in response.content.decode()
    evaluation.refresh_from_db()
    assert evaluation.checks == []


def test_checks_are_listed_by_label_and_can_be_removed(alice_client, evaluation):
    _check(alice_client, evaluation, kind="contains", text="")
    _check(alice_client, evaluation, kind="valid_json")
    html = alice_client.get(reverse("chat-eval", args=[evaluation.pk])).content.decode()
    assert "contains the expected output" in html
    assert "valid JSON" in html
    alice_client.post(reverse("chat-eval-check-remove", args=[evaluation.pk, 0]))
    evaluation.refresh_from_db()
    assert [check["kind"] for check in evaluation.checks] == ["valid_json"]


def test_settings_make_the_columns_and_a_bad_value_is_refused(alice_client, ready):
    html = alice_client.get(reverse("chat-eval", args=[ready.pk])).content.decode()
    assert "Temperature 0.2" in html and "Temperature 1.5" in html
    assert "12 requests" in html
    response = alice_client.post(
        reverse("chat-eval-settings", args=[ready.pk]),
        {"repeats": "2", "sweep-0-name": "temperature", "sweep-0-values": "0.2, 9"},
    )
    assert response.status_code == 400
    assert "Temperature must be between 0 and 2" in response.content.decode()
    ready.refresh_from_db()
    assert ready.sweep[0]["values"] == "0.2, 1.5"


# -- running ---------------------------------------------------------------------------------


def test_a_run_without_test_cases_starts_nothing(alice_client, evaluation):
    response = alice_client.post(reverse("chat-eval-start", args=[evaluation.pk]))
    assert response.status_code == 400
    assert "Add at least one test case before running." in response.content.decode()
    assert not EvaluationRun.objects.exists()
    assert not Comparison.objects.exists()


def test_a_run_above_the_compare_limit_asks_to_confirm(alice_client, ready, settings):
    settings.PLAYGROUND_COMPARE_CONFIRM_REQUESTS = 5
    response = alice_client.post(reverse("chat-eval-start", args=[ready.pk]))
    assert response.status_code == 400
    assert "This run makes 12 requests, more than 5" in response.content.decode()
    assert not EvaluationRun.objects.exists()


def test_a_run_copies_what_it_runs_with_and_hides_its_comparisons(alice_client, ready):
    run = runs.create(ready)
    assert run.number == 1
    assert run.prompt_version == 1
    assert [c["temperature"] for c in run.columns] == [0.2, 1.5]
    assert run.rows.count() == 3
    comparison = run.rows.get(case=0).comparison
    assert comparison.messages[-1]["content"] == "Which country is Paris in?"
    listed = alice_client.get(reverse("chat-compare-list")).content.decode()
    assert comparison.display_title not in listed


def _finished_run(evaluation, content_for):
    run = runs.create(evaluation)
    upstream = Provider("sim", "http://127.0.0.1:9/v1", False)
    for row in run.rows.all():
        # What compare mode's run makes: the hidden conversation and queued answers.
        compare_runs.queue(row.comparison, lambda column: upstream)
    _answer(run, content_for)
    return run


def test_the_matrix_shows_each_answer_its_results_and_each_columns_pass_rate(alice_client, ready):
    right = ["France", "France", "Italy"]
    # Column 2 gets Turin wrong, in both repeats.
    run = _finished_run(
        ready,
        lambda case, column, repeat: (
            "It is in Spain." if (case, column) == (2, 1) else f"It is in {right[case]}. {ATTACK}"
        ),
    )
    response = alice_client.get(reverse("chat-eval-run", args=[ready.pk, run.number]))
    html = response.content.decode()
    assert ATTACK not in html
    assert "Pass rate 100% (6 of 6)" in html
    assert "Pass rate 67% (4 of 6)" in html
    assert "The answer does not contain the expected output &quot;Italy&quot;." in html
    assert html.count('data-passed="fail"') == 2
    failing_first = alice_client.get(
        reverse("chat-eval-run", args=[ready.pk, run.number]) + "?sort=failing"
    ).content.decode()
    assert failing_first.index("Turin") < failing_first.index("Paris")


def test_what_changed_names_the_rows_that_flipped_with_a_word_diff(alice_client, ready):
    right = ["France", "France", "Italy"]
    _finished_run(ready, lambda case, column, repeat: f"It is in {right[case]}.")
    _finished_run(
        ready,
        lambda case, column, repeat: "It is in Spain." if case == 1 else f"It is in {right[case]}.",
    )
    html = alice_client.get(
        reverse("chat-eval-changes", args=[ready.pk]) + "?a=1&b=2"
    ).content.decode()
    assert "Now failing" in html
    assert "Now passing" not in html
    assert html.count('class="change-row"') == 2  # Lyon, in both columns
    assert "<del> France</del>" in html and "<ins> Spain</ins>" in html
    assert "The answer does not contain the expected output &quot;France&quot;." in html


def test_an_answer_opens_as_a_conversation(alice_client, ready):
    run = _finished_run(ready, lambda case, column, repeat: "It is in France.")
    message_pk = ComparisonRun.objects.filter(comparison=run.rows.get(case=0).comparison)[
        0
    ].message_id
    cell = alice_client.get(reverse("chat-eval-cell", args=[ready.pk, 1, message_pk]))
    assert "Thinking about case 0" in cell.content.decode()
    response = alice_client.post(reverse("chat-eval-open", args=[ready.pk, 1, message_pk]))
    conversation = Conversation.objects.get(hidden=False)
    assert response.url == reverse("chat-conversation", args=[conversation.pk])
    contents = list(conversation.messages.values_list("content", flat=True))
    assert "Which country is Paris in?" in contents and "It is in France." in contents


def test_a_run_exports_as_json_and_csv(alice_client, ready):
    _finished_run(ready, lambda case, column, repeat: "It is in France.")
    data = json.loads(alice_client.get(reverse("chat-eval-json", args=[ready.pk, 1])).content)
    assert [c["pass_rate"] for c in data["columns"]] == [67, 67]
    assert data["cases"][2]["answers"][0]["results"][0]["reason"] == (
        'The answer does not contain the expected output "Italy".'
    )
    rows = list(
        csv.reader(
            io.StringIO(
                alice_client.get(reverse("chat-eval-csv", args=[ready.pk, 1])).content.decode()
            )
        )
    )
    assert rows[0][:4] == ["city", "expected", "note", "column"]
    assert len(rows) == 1 + 12


def test_a_share_link_shows_the_runs_to_anyone_and_bob_sees_nothing(
    alice_client, bob_client, ready, client
):
    _finished_run(ready, lambda case, column, repeat: f"It is in France {ATTACK}.")
    alice_client.post(reverse("chat-eval-share", args=[ready.pk]), {"include_reasoning": "on"})
    link = EvaluationShareLink.objects.get()
    for url in (
        reverse("chat-eval", args=[ready.pk]),
        reverse("chat-eval-run", args=[ready.pk, 1]),
        reverse("chat-eval-share", args=[ready.pk]),
        reverse("chat-eval-changes", args=[ready.pk]),
        reverse("chat-eval-json", args=[ready.pk, 1]),
    ):
        assert bob_client.get(url).status_code == 404
    assert bob_client.post(reverse("chat-eval-start", args=[ready.pk])).status_code == 404
    client.logout()
    shared = client.get(link.get_absolute_url())
    html = shared.content.decode()
    assert shared.status_code == 200
    assert "Cities" in html and "Pass rate 67% (4 of 6)" in html
    assert ATTACK not in html
    assert "alice" not in html.lower()


def test_deleting_an_evaluation_takes_its_runs_and_answers(alice_client, ready):
    _finished_run(ready, lambda case, column, repeat: "It is in France.")
    alice_client.post(reverse("chat-eval-delete", args=[ready.pk]))
    assert not Evaluation.objects.exists()
    assert not Comparison.objects.exists()
    assert not Conversation.objects.exists()


def test_editing_a_saved_prompts_message_adds_a_version_the_next_run_takes(
    alice_client, ready, prompt
):
    alice_client.post(
        reverse("chat-eval-prompt", args=[ready.pk]),
        {"system_prompt": "Answer in one word.", "user_message": "Country of {{city}}?"},
    )
    latest = prompt.versions.order_by("-number").first()
    assert latest.number == 2
    assert latest.messages == [{"role": "user", "content": "Country of {{city}}?"}]
    assert latest.settings["max_tokens"] == 200  # its settings kept
    run = runs.create(ready)
    assert run.prompt_version == 2
    assert run.rows.get(case=1).comparison.messages[-1]["content"] == "Country of Lyon?"
    # Saving it unchanged adds nothing.
    alice_client.post(
        reverse("chat-eval-prompt", args=[ready.pk]),
        {"system_prompt": "Answer in one word.", "user_message": "Country of {{city}}?"},
    )
    assert prompt.versions.count() == 2


def test_cost_is_unknown_without_a_price_and_summed_with_one(alice_client, ready):
    from decimal import Decimal

    from chat.models import ModelPrice

    _finished_run(ready, lambda case, column, repeat: "It is in France.")
    url = reverse("chat-eval-run", args=[ready.pk, 1])
    html = alice_client.get(url).content.decode()
    assert 'Cost: <span class="run-cost">unknown</span>' in html
    page = alice_client.get(reverse("chat-eval", args=[ready.pk])).content.decode()
    assert "Cost unknown: a model has no confirmed price." in page
    ModelPrice.objects.filter(model="kimi-k2-thinking").update(
        input_per_million=Decimal("1"), output_per_million=Decimal("2"), confirmed=True
    )
    html = alice_client.get(url).content.decode()
    # Each answer: 9 prompt tokens at $1/M and 12 completion tokens at $2/M = $0.000033.
    assert 'Cost: <span class="run-cost">$0.00040</span>' in html  # 12 answers
    assert "Cost $0.00020" in html  # a column's six
    page = alice_client.get(reverse("chat-eval", args=[ready.pk])).content.decode()
    assert "At most $" in page and "at your prices." in page


def test_a_judges_verdict_is_taken_into_the_answers_results(alice_client, evaluation):
    from chat.evals import graders, judges, verdicts
    from chat.models import EvaluationJudgement

    _import(alice_client, evaluation, b"city,expected\nParis,France\n")
    _check(
        alice_client,
        evaluation,
        kind="judge",
        rubric='Mentions "France"',
        model="kimi-k2-thinking",
        provider="",
    )
    evaluation.refresh_from_db()
    run = _finished_run(evaluation, lambda case, column, repeat: "It is in France.")
    runs.grade(run)  # no judge is asked without the owner's providers
    row = run.rows.get()
    answer = ComparisonRun.objects.get(comparison=row.comparison).message
    assert row.grades == {str(answer.pk): [None]}
    page = alice_client.get(reverse("chat-eval-run", args=[evaluation.pk, 1]))
    html = page.content.decode()
    assert "waiting for the judge" in html and 'hx-trigger="every 2s"' in html

    # What judges.start makes: a one-column comparison of the rubric and the answer.
    check = run.checks[0]
    system, user = verdicts.judge_messages(check["rubric"], graders.Cell("It is in France."))
    judge = Comparison.objects.create(
        owner=evaluation.owner,
        system_prompt=system["content"],
        messages=[user],
        columns=[judges.judge_settings(check)],
    )
    EvaluationJudgement.objects.create(row=row, answer=answer, check_index=0, comparison=judge)
    upstream = Provider("sim", "http://127.0.0.1:9/v1", False)
    compare_runs.queue(judge, lambda column: upstream)
    reply = ComparisonRun.objects.get(comparison=judge).message
    Message.objects.filter(pk=reply.pk).update(status="complete", content="PASS: It says France.")
    runs.grade(run)
    row.refresh_from_db()
    assert row.grades[str(answer.pk)] == [
        {"passed": True, "reason": "It says France.", "judge": judge.pk}
    ]
    cell = alice_client.get(reverse("chat-eval-cell", args=[evaluation.pk, 1, answer.pk]))
    html = cell.content.decode()
    assert "It says France." in html
    assert reverse("chat-compare-code", args=[judge.pk, 1]) in html
    assert (
        judge.display_title not in alice_client.get(reverse("chat-compare-list")).content.decode()
    )


def test_stop_all_stops_every_queued_answer_and_says_why_each_failed(alice_client, ready):
    run = runs.create(ready)
    upstream = Provider("sim", "http://127.0.0.1:9/v1", False)
    for row in run.rows.all():
        compare_runs.queue(row.comparison, lambda column: upstream)
    html = alice_client.get(reverse("chat-eval-run", args=[ready.pk, 1])).content.decode()
    assert "Stop all" in html and "12 of 12 answers still streaming or queued" in html
    alice_client.post(reverse("chat-eval-stop", args=[ready.pk, 1]))
    statuses = set(
        Message.objects.filter(role="assistant", conversation__hidden=True).values_list(
            "status", flat=True
        )
    )
    assert statuses == {"stopped"}
    html = alice_client.get(reverse("chat-eval-run", args=[ready.pk, 1])).content.decode()
    assert "Stop all" not in html
    assert "Stopped before the answer finished." in html


def test_a_saved_prompts_page_leads_to_a_new_evaluation_of_it(alice_client, prompt):
    page = alice_client.get(reverse("chat-prompt", args=[prompt.pk])).content.decode()
    link = f"{reverse('chat-evals')}?prompt={prompt.pk}"
    assert link in page
    form = alice_client.get(link).content.decode()
    assert f'<option value="{prompt.pk}" selected>Saved prompt: Countries</option>' in form


def test_someone_elses_saved_prompt_cannot_be_evaluated(bob_client, prompt):
    response = bob_client.post(reverse("chat-eval-new"), {"prompt": prompt.pk})
    assert response.status_code == 404
    assert not Evaluation.objects.exists()


def test_a_run_of_more_requests_than_a_run_may_make_is_refused(alice_client, evaluation):
    rows = b"city\n" + b"".join(f"City {i}\n".encode() for i in range(200))
    _import(alice_client, evaluation, rows)
    alice_client.post(
        reverse("chat-eval-settings", args=[evaluation.pk]),
        {"repeats": "10", "sweep-0-name": "temperature", "sweep-0-values": "0.2, 1.5"},
    )
    response = alice_client.post(
        reverse("chat-eval-start", args=[evaluation.pk]), {"confirm": "4000"}
    )
    assert response.status_code == 400
    assert "This run would make 4000 requests; a run makes at most 2000." in (
        response.content.decode()
    )
    assert not EvaluationRun.objects.exists()


def test_what_changed_pairs_a_column_whose_setting_was_edited(alice_client, ready):
    right = ["France", "France", "Italy"]
    _finished_run(ready, lambda case, column, repeat: f"It is in {right[case]}.")
    alice_client.post(
        reverse("chat-eval-settings", args=[ready.pk]),
        {"repeats": "2", "sweep-0-name": "temperature", "sweep-0-values": "0.3, 1.5"},
    )
    ready.refresh_from_db()
    _finished_run(
        ready,
        lambda case, column, repeat: (
            "It is in Spain." if column == 0 else f"It is in {right[case]}."
        ),
    )
    html = alice_client.get(
        reverse("chat-eval-changes", args=[ready.pk]) + "?a=1&b=2"
    ).content.decode()
    assert html.count('class="change-row"') == 3  # every case of the edited column
    assert "Temperature 0.2 → Temperature 0.3" in html
    assert "Temperature 1.5" not in html.split("Now failing")[1]


@pytest.mark.parametrize(
    ("sort", "first"),
    [("case", "Paris"), ("failing", "Turin"), ("column-2", "Lyon"), ("column-9", "Paris")],
    ids=["test case order", "failing first", "failing first in column 2", "no such column"],
)
def test_the_matrix_sorts_its_rows(alice_client, ready, sort, first):
    def content(case, column, repeat):
        if (case, column) == (1, 1):
            return "It is in Spain."  # Lyon fails in column 2 only
        return "It is in Spain." if case == 2 else "It is in France."  # Turin everywhere

    _finished_run(ready, content)
    url = reverse("chat-eval-run", args=[ready.pk, 1]) + f"?sort={sort}"
    html = alice_client.get(url).content.decode()
    body = html[html.index("<tbody>") :]
    names = ["Paris", "Lyon", "Turin"]
    assert min(names, key=body.index) == first


def test_the_matrix_csv_never_hands_a_spreadsheet_a_formula(alice_client, ready):
    _finished_run(ready, lambda case, column, repeat: '=HYPERLINK("http://evil.example")')
    rows = list(
        csv.reader(
            io.StringIO(
                alice_client.get(reverse("chat-eval-csv", args=[ready.pk, 1])).content.decode()
            )
        )
    )
    answers = {row[rows[0].index("answer")] for row in rows[1:]}
    assert answers == {'\'=HYPERLINK("http://evil.example")'}


def test_extra_request_fields_go_with_every_column_and_bad_ones_are_refused(alice_client, ready):
    url = reverse("chat-eval-settings", args=[ready.pk])
    sweep = {"repeats": "2", "sweep-0-name": "temperature", "sweep-0-values": "0.2, 1.5"}
    response = alice_client.post(url, {**sweep, "extra_body": '{"temperature": 2}'})
    assert response.status_code == 400
    assert "is set by the Temperature field" in response.content.decode()
    alice_client.post(url, {**sweep, "extra_body": '{"reasoning_effort": "high"}'})
    ready.refresh_from_db()
    run = runs.create(ready)
    assert [c["extra_body"] for c in run.columns] == [{"reasoning_effort": "high"}] * 2
    page = alice_client.get(reverse("chat-eval", args=[ready.pk])).content.decode()
    assert "reasoning_effort" in page
