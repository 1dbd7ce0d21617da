"""Compare mode's pure helpers: the grid, its cost, run metrics, summaries, diffs, chart, CSV."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from chat.api.params import default_settings, parse_form
from chat.compare.grid import (
    MAX_COLUMNS,
    METRICS,
    MISSING,
    Estimate,
    chart_svg,
    csv_rows,
    differences,
    estimate,
    expand_sweep,
    run_metrics,
    summarize,
    validate_columns,
)

T0 = datetime(2025, 1, 1, 12, 0, 0, tzinfo=UTC)
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def base() -> dict[str, object]:
    # Where the settings panel starts: every column of a sweep is built on it.
    return default_settings()


def _column(**changes: object) -> dict[str, object]:
    return {**default_settings(), **changes}


def _at(seconds: float | None) -> datetime | None:
    return None if seconds is None else T0 + timedelta(seconds=seconds)


def _run(
    *,
    reasoning_at: float | None = 1.0,
    content_at: float | None = 3.0,
    finished_at: float | None = 5.0,
    usage: dict | None = None,
    content: str = "Paris.",
    reasoning: str = "The capital of France",
    finish_reason: str = "stop",
    status: str = "complete",
) -> SimpleNamespace:
    """A finished Message as far as run_metrics reads one: sent at T0, times in seconds."""
    return SimpleNamespace(
        content=content,
        reasoning=reasoning,
        usage=usage,
        finish_reason=finish_reason,
        status=status,
        sent_at=T0,
        first_reasoning_at=_at(reasoning_at),
        first_content_at=_at(content_at),
        finished_at=_at(finished_at),
    )


# --- expand_sweep -------------------------------------------------------------------------


def test_it_builds_the_grid_first_parameter_outermost(base):
    columns, errors = expand_sweep(
        base, [("temperature", ["0", "0.5", "1.0"]), ("top_p", ["0.9", "1"])]
    )
    assert errors == {}
    assert [(c["temperature"], c["top_p"]) for c in columns] == [
        (0.0, 0.9),
        (0.0, 1.0),
        (0.5, 0.9),
        (0.5, 1.0),
        (1.0, 0.9),
        (1.0, 1.0),
    ]


@pytest.mark.parametrize(
    ("sweep", "count"),
    [
        ([], 1),
        ([("temperature", ["0", "1"])], 2),
        ([("temperature", ["0", "1"]), ("max_tokens", ["100", "200", "300"])], 6),
    ],
)
def test_it_makes_one_column_per_point_of_zero_one_or_two_parameters(base, sweep, count):
    columns, errors = expand_sweep(base, sweep)
    assert errors == {}
    assert len(columns) == count


def test_without_a_sweep_the_one_column_is_the_base(base):
    base["max_tokens"] = 500
    base["stop"] = ["END\n"]
    columns, _ = expand_sweep(base, [])
    assert columns == [base]


def test_each_column_keeps_the_base_and_reads_like_parse_form(base):
    base["max_tokens"] = 256
    base["response_format"] = "json_object"
    columns, _ = expand_sweep(base, [("top_k", ["5", " 40 "])])
    assert [c["top_k"] for c in columns] == [5, 40]
    assert all(c["max_tokens"] == 256 and c["response_format"] == "json_object" for c in columns)
    for column in columns:
        assert parse_form({k: v for k, v in column.items() if v is not None})[0] == column


def test_it_sweeps_models_and_response_formats(base):
    columns, errors = expand_sweep(
        base,
        [
            ("model", ["kimi-k2-thinking", "kimi-k2-thinking-turbo"]),
            ("response_format", ["text", "json_object"]),
        ],
    )
    assert errors == {}
    assert [(c["model"], c["response_format"]) for c in columns] == [
        ("kimi-k2-thinking", "text"),
        ("kimi-k2-thinking", "json_object"),
        ("kimi-k2-thinking-turbo", "text"),
        ("kimi-k2-thinking-turbo", "json_object"),
    ]


def test_blank_values_are_skipped(base):
    columns, errors = expand_sweep(base, [("temperature", ["0", " ", "1", ""])])
    assert errors == {}
    assert [c["temperature"] for c in columns] == [0.0, 1.0]


@pytest.mark.parametrize(
    ("sweep", "expected"),
    [
        ([("temperature", [])], {"sweep": "Give at least one value for Temperature."}),
        ([("top_p", ["", "  "])], {"sweep": "Give at least one value for Top P."}),
        (
            [("temperature", ["1"]), ("top_p", ["1"]), ("top_k", ["1"])],
            {"sweep": "Sweep at most 2 parameters at once (you chose 3)."},
        ),
        (
            [("temperature", ["0.5", "2.5"])],
            {"temperature": "2.5: Temperature must be between 0 and 2."},
        ),
        ([("top_p", ["abc"])], {"top_p": "abc: Top P must be a number."}),
        ([("max_tokens", ["1.5"])], {"max_tokens": "1.5: Max tokens must be a whole number."}),
        (
            [("response_format", ["yaml"])],
            {"response_format": "yaml: Response format must be text or json_object."},
        ),
        (
            [("temperature", ["0.5", "0.50"])],
            {"sweep": "Temperature 0.5 is listed twice (0.50)."},
        ),
        (
            [("temperature", [str(t / 10) for t in range(5)]), ("top_p", ["0.1", "0.2", "0.3"])],
            {"columns": "This sweep makes 15 columns; at most 12."},
        ),
        (
            [("stop", ["END"])],
            {"sweep": "Stop sequences cannot be swept; set it for every column instead."},
        ),
        (
            [("stream", ["true"])],
            {"sweep": "Stream cannot be swept; set it for every column instead."},
        ),
        ([("colour", ["red"])], {"sweep": '"colour" is not a parameter that can be swept.'}),
        (
            [("temperature", ["0"]), ("temperature", ["1"])],
            {"sweep": "Temperature is swept twice; give all its values in one list."},
        ),
    ],
)
def test_it_refuses_a_bad_sweep_with_a_message(base, sweep, expected):
    assert expand_sweep(base, sweep) == ([], expected)


def test_it_names_every_bad_value_of_a_parameter(base):
    _, errors = expand_sweep(base, [("temperature", ["2.5", "0.5", "abc"])])
    assert errors == {
        "temperature": "2.5: Temperature must be between 0 and 2. "
        "abc: Temperature must be a number."
    }


def test_twelve_columns_are_allowed(base):
    columns, errors = expand_sweep(
        base, [("temperature", ["0", "0.5", "1", "1.5"]), ("top_p", ["0.8", "0.9", "1"])]
    )
    assert errors == {}
    assert len(columns) == MAX_COLUMNS


# --- validate_columns -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("count", "repeats", "fields"),
    [
        (1, 1, set()),
        (12, 10, set()),
        (0, 1, {"columns"}),
        (13, 1, {"columns"}),
        (2, 0, {"repeats"}),
        (2, 11, {"repeats"}),
        (2, True, {"repeats"}),
        (0, 0, {"columns", "repeats"}),
    ],
)
def test_it_checks_the_number_of_columns_and_repeats(count, repeats, fields):
    assert set(validate_columns([_column()] * count, repeats)) == fields


def test_it_says_what_is_wrong_with_columns_and_repeats():
    assert validate_columns([_column()] * 13, 11) == {
        "columns": "At most 12 columns (you have 13).",
        "repeats": "Repeats must be a whole number from 1 to 10.",
    }
    assert validate_columns([], 1) == {"columns": "Add at least one column to compare."}


# --- differences ----------------------------------------------------------------------------


def test_it_lists_what_each_column_changes_from_the_first():
    columns = [
        _column(temperature=1.0),
        _column(temperature=0.5),
        _column(temperature=1.0, max_tokens=100, stop=["END\n"]),
        _column(temperature=None),
        _column(temperature=1.0),
    ]
    assert differences(columns) == [
        [],
        [("Temperature", "0.5")],
        [("Max tokens", "100"), ("Stop sequences", "END\\n")],
        [("Temperature", "unset")],
        [],
    ]


def test_there_are_no_differences_without_columns():
    assert differences([]) == []


# --- estimate -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("columns", "repeats", "expected"),
    [
        ([_column(max_tokens=100), _column(max_tokens=200)], 3, Estimate(6, 900, [])),
        ([_column(max_tokens=100, n=2)], 2, Estimate(2, 400, [])),
        ([_column(max_tokens=100), _column(), _column()], 2, Estimate(6, None, [1, 2])),
        ([], 1, Estimate(0, 0, [])),
    ],
)
def test_it_estimates_requests_and_the_token_bound(columns, repeats, expected):
    assert estimate(columns, repeats) == expected


# --- run_metrics ----------------------------------------------------------------------------


def test_it_reads_times_speeds_and_counts_from_a_finished_run():
    usage = {
        "prompt_tokens": 20,
        "completion_tokens": 100,
        "total_tokens": 120,
        "cached_tokens": 8,
        "reasoning_tokens": 60,
    }
    assert run_metrics(_run(usage=usage)) == {
        "first_reasoning_s": 1.0,
        "reasoning_s": 2.0,
        "first_answer_s": 3.0,
        "total_s": 5.0,
        "reasoning_tps": 30.0,
        "answer_tps": 20.0,
        "prompt_tokens": 20,
        "completion_tokens": 100,
        "reasoning_tokens": 60,
        "cached_tokens": 8,
        "answer_chars": len("Paris."),
        "reasoning_chars": len("The capital of France"),
        "finish_reason": "stop",
        "status": "complete",
    }


def test_what_a_run_does_not_know_is_none():
    metrics = run_metrics(
        _run(reasoning_at=None, content_at=None, usage=None, content="", finish_reason="")
    )
    assert metrics["total_s"] == 5.0
    for key in (
        "first_reasoning_s",
        "reasoning_s",
        "first_answer_s",
        "reasoning_tps",
        "answer_tps",
        "prompt_tokens",
        "completion_tokens",
        "finish_reason",
    ):
        assert metrics[key] is None, key
    assert metrics["answer_chars"] == 0


def test_reasoning_lasts_to_the_end_when_no_answer_came():
    metrics = run_metrics(_run(content_at=None, usage={"reasoning_tokens": 40}))
    assert metrics["reasoning_s"] == 4.0
    assert metrics["reasoning_tps"] == 10.0
    assert metrics["answer_tps"] is None


def test_without_reasoning_every_completion_token_is_answer():
    run = _run(reasoning_at=None, reasoning="", content_at=1.0, usage={"completion_tokens": 40})
    assert run_metrics(run)["answer_tps"] == 10.0


def test_answer_speed_is_unknown_when_reasoning_tokens_are_not_reported():
    assert run_metrics(_run(usage={"completion_tokens": 100}))["answer_tps"] is None


def test_a_request_wide_usage_gives_no_per_choice_tokens_or_speeds():
    usage = {
        "prompt_tokens": 20,
        "completion_tokens": 300,
        "reasoning_tokens": 150,
        "request_total": True,
    }
    metrics = run_metrics(_run(usage=usage))
    assert metrics["prompt_tokens"] == 20
    assert metrics["completion_tokens"] is None
    assert metrics["reasoning_tokens"] is None
    assert metrics["reasoning_tps"] is None
    assert metrics["answer_tps"] is None


def test_metrics_name_numeric_run_figures_once_each():
    keys = [key for key, _, _ in METRICS]
    assert len(set(keys)) == len(keys)
    assert set(keys) <= set(run_metrics(_run()))
    assert ("total_s", "Total time", "s") in METRICS


# --- summarize ------------------------------------------------------------------------------


def test_it_summarizes_a_metric_over_repeats():
    runs = [{"total_s": 1.0}, {"total_s": 3.0}, {"total_s": None}]
    summary = summarize(runs, ["a", "b", "c"], json_mode=False)
    assert summary["total_s"] == {"mean": 2.0, "stdev": 1.0, "min": 1.0, "max": 3.0, "n": 2}
    assert summary["answer_tps"] == {"mean": None, "stdev": None, "min": None, "max": None, "n": 0}
    assert summary["runs"] == 3


def test_one_run_has_no_stdev():
    summary = summarize([run_metrics(_run())], ["Paris."], json_mode=False)
    assert summary["total_s"]["stdev"] is None
    assert summary["total_s"]["n"] == 1
    assert summary["finish_reasons"] == {"stop": 1}


@pytest.mark.parametrize(
    ("answers", "exact", "normalized"),
    [
        (["Hello  world", "hello world"], 1, 2),
        (["Paris", "Paris", " paris\n"], 2, 3),
        (["a", "b", "c"], 1, 1),
        (["", "", "x"], 1, 1),  # failed runs with no answer agree with nothing
        ([], 0, 0),
    ],
)
def test_it_counts_identical_answers_exactly_and_normalized(answers, exact, normalized):
    summary = summarize([{}] * len(answers), answers, json_mode=False)
    assert (summary["identical_exact"], summary["identical_normalized"]) == (exact, normalized)


def test_json_figures_appear_only_in_json_mode():
    assert "json_valid" not in summarize([{}], ['{"a": 1}'], json_mode=False)


@pytest.mark.parametrize(
    ("answers", "valid", "agreeing", "fields"),
    [
        (
            ['{"city": "Paris", "pop": 2}', '{"pop": 3, "city": "Paris"}', "not json"],
            2,
            ["city"],
            ["city", "pop"],
        ),
        (['{"a": 1, "b": 2}', '{"a": 1.0}'], 2, ["a"], ["a", "b"]),
        (['{"a": true}', '{"a": 1}'], 2, [], ["a"]),
        (['{"a": {"x": [1, 2]}}', '{"a": {"x": [1, 2]}}'], 2, ["a"], ["a"]),
        (["[1, 2]", '"text"', "12", "{"], 0, [], []),
        ([], 0, [], []),
    ],
)
def test_it_counts_valid_json_and_agreeing_fields(answers, valid, agreeing, fields):
    summary = summarize([{}] * len(answers), answers, json_mode=True)
    assert summary["json_valid"] == valid
    assert summary["json_agreeing_fields"] == agreeing
    assert summary["json_fields"] == fields


def test_huge_or_deep_json_is_not_valid_and_does_not_crash():
    answers = ["[" * 100_000 + "]" * 100_000, '{"n": ' + "9" * 5000 + "}"]
    assert summarize([{}, {}], answers, json_mode=True)["json_valid"] == 1


# --- chart_svg ------------------------------------------------------------------------------


def _chart(labels=("1", "2"), series=None, **kwargs) -> str:
    series = series or [("Total time", "s", [1.5, 3.0]), ("Answer speed", "tokens/s", [20, None])]
    return chart_svg(list(labels), series, **kwargs)


def _elements(svg: str) -> list[ET.Element]:
    return list(ET.fromstring(svg).iter())


def test_the_chart_is_an_accessible_svg():
    svg = _chart()
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    assert "Total time" in root.get("aria-label")
    assert root.find(f"{SVG}title").text == root.get("aria-label")


def test_it_draws_one_bar_per_known_value_scaled_per_metric():
    svg = _chart(series=[("Total time", "s", [1.5, 3.0]), ("Answer speed", "tokens/s", [20, None])])
    bars = [e for e in _elements(svg) if e.tag == f"{SVG}rect"]
    assert [b.get("class") for b in bars] == ["bar col-1", "bar col-2", "bar col-1"]
    widths = [float(b.get("width")) for b in bars]
    assert widths[1] == widths[2]  # each metric's largest value fills the room
    assert widths[0] == pytest.approx(widths[1] / 2, abs=0.1)
    assert all(b.get("fill") is None for b in bars)  # colours come from the stylesheet


def test_it_prints_values_and_a_dash_for_missing_ones():
    texts = [e.text for e in _elements(_chart()) if e.tag == f"{SVG}text"]
    assert "Total time (s)" in texts
    assert "Answer speed (tokens/s)" in texts
    values = ["1.5", "3", "20", MISSING]
    assert [t for t in texts if t in values] == values
    assert texts.count("1") == 2  # the column label beside each metric's bar


def test_text_takes_the_page_colour():
    texts = [e for e in _elements(_chart()) if e.tag == f"{SVG}text"]
    assert texts
    assert all(t.get("fill") == "currentColor" for t in texts)


def test_the_chart_escapes_labels_and_stays_inert():
    attack = '<script>alert(1)</script>" onload="alert(2)'
    svg = _chart(labels=[attack, "2"], series=[(attack, attack, [1, 2])])
    assert "<script" not in svg
    assert "&lt;script&gt;" in svg
    assert "href" not in svg
    for element in _elements(svg):
        assert element.tag.removeprefix(SVG) not in ("script", "a", "foreignObject", "image")
        assert not [name for name in element.attrib if name.lower().startswith("on")]
    assert attack in [e.text for e in _elements(svg)]


def test_a_chart_of_zeros_or_nothing_still_renders():
    assert 'width="0.0"' in _chart(series=[("Cached tokens", "tokens", [0, 0])])
    ET.fromstring(chart_svg([], []))
    ET.fromstring(chart_svg(["1"], [("Total time", "s", [float("nan")])]))


# --- csv_rows -------------------------------------------------------------------------------


def test_csv_rows_have_a_header_and_one_row_per_column():
    runs = [run_metrics(_run(usage={"completion_tokens": 10})), run_metrics(_run())]
    summaries = [
        summarize(runs, ["A", "a"], json_mode=False),
        summarize(runs[:1], ['{"x": 1}'], json_mode=True),
    ]
    rows = csv_rows(["1", "2"], summaries)
    header = rows[0]
    assert len(rows) == 3
    assert all(len(row) == len(header) for row in rows)
    assert header[0] == "Column"
    assert "Total time (s)" in header
    first, second = (dict(zip(header, row, strict=True)) for row in rows[1:])
    assert first["Column"] == "1"
    assert first["Total time (s)"] == "5"
    assert first["Completion tokens (tokens)"] == "10"
    assert first["Runs"] == "2"
    assert (first["Identical answers"], first["Identical answers (normalized)"]) == ("1", "2")
    assert first["Valid JSON"] == ""
    assert (second["Valid JSON"], second["Agreeing JSON fields"], second["JSON fields"]) == (
        "1",
        "1",
        "1",
    )


def test_csv_rows_defuse_labels_a_spreadsheet_would_run():
    summary = summarize([], [], json_mode=False)
    rows = csv_rows(["=HYPERLINK(1)", "-0.5", "@x"], [summary] * 3)
    assert [row[0] for row in rows[1:]] == ["'=HYPERLINK(1)", "-0.5", "'@x"]


def test_csv_rows_need_a_label_per_summary():
    with pytest.raises(ValueError):
        csv_rows(["1"], [])


def test_summaries_are_json_serializable():
    summary = summarize([run_metrics(_run())], ['{"a": 1}'], json_mode=True)
    json.dumps(summary)
