"""Compare mode's figures: one run's metrics, and a column's summary over its repeats."""

from __future__ import annotations

import json
from typing import get_args

import pytest

from chat.compare.metrics import METRICS, MetricKey, Summary, run_metrics, summarize
from tests.compare.answers import answer

# --- run_metrics ----------------------------------------------------------------------------


def test_it_reads_times_speeds_and_counts_from_a_finished_run():
    usage = {
        "prompt_tokens": 20,
        "completion_tokens": 100,
        "total_tokens": 120,
        "cached_tokens": 8,
        "reasoning_tokens": 60,
    }
    assert run_metrics(answer(usage=usage)) == {
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
        answer(reasoning_at=None, content_at=None, usage=None, content="", finish_reason="")
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
    metrics = run_metrics(answer(content_at=None, usage={"reasoning_tokens": 40}))
    assert metrics["reasoning_s"] == 4.0
    assert metrics["reasoning_tps"] == 10.0
    assert metrics["answer_tps"] is None


def test_without_reasoning_every_completion_token_is_answer():
    run = answer(reasoning_at=None, reasoning="", content_at=1.0, usage={"completion_tokens": 40})
    assert run_metrics(run)["answer_tps"] == 10.0


def test_answer_speed_is_unknown_when_reasoning_tokens_are_not_reported():
    assert run_metrics(answer(usage={"completion_tokens": 100}))["answer_tps"] is None


def test_a_request_wide_usage_gives_no_per_choice_tokens_or_speeds():
    usage = {
        "prompt_tokens": 20,
        "completion_tokens": 300,
        "reasoning_tokens": 150,
        "request_total": True,
    }
    metrics = run_metrics(answer(usage=usage))
    assert metrics["prompt_tokens"] == 20
    assert metrics["completion_tokens"] is None
    assert metrics["reasoning_tokens"] is None
    assert metrics["reasoning_tps"] is None
    assert metrics["answer_tps"] is None


def test_metrics_name_numeric_run_figures_once_each():
    keys = [key for key, _, _ in METRICS]
    assert len(set(keys)) == len(keys)
    assert set(keys) <= set(run_metrics(answer()))
    assert ("total_s", "Total time", "s") in METRICS


# --- summarize ------------------------------------------------------------------------------


def test_it_summarizes_a_metric_over_repeats():
    runs = [{"total_s": 1.0}, {"total_s": 3.0}, {"total_s": None}]
    summary = summarize(runs, ["a", "b", "c"], json_mode=False)
    assert summary["total_s"] == {"mean": 2.0, "stdev": 1.0, "min": 1.0, "max": 3.0, "n": 2}
    assert summary["answer_tps"] == {"mean": None, "stdev": None, "min": None, "max": None, "n": 0}
    assert summary["runs"] == 3


def test_one_run_has_no_stdev():
    summary = summarize([run_metrics(answer())], ["Paris."], json_mode=False)
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


def test_summaries_are_json_serializable():
    summary = summarize([run_metrics(answer())], ['{"a": 1}'], json_mode=True)
    json.dumps(summary)


def test_metrics_list_every_metric_key_and_a_summary_has_each():
    keys = [key for key, _, _ in METRICS]
    assert sorted(keys) == sorted(get_args(MetricKey))
    plain = summarize([run_metrics(answer())], ["Paris."], json_mode=False)
    in_json_mode = summarize([run_metrics(answer())], ["{}"], json_mode=True)
    assert set(in_json_mode) == set(Summary.__annotations__)
    assert set(in_json_mode) - set(plain) == {"json_valid", "json_agreeing_fields", "json_fields"}
