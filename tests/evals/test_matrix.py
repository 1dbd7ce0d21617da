"""A run in figures: which answers passed, pass rates, spreads, what changed between
runs, and the chart's points."""

from __future__ import annotations

import pytest

from chat.evals import matrix

PASS = {"passed": True, "reason": "ok"}
FAIL = {"passed": False, "reason": "no"}


@pytest.mark.parametrize(
    ("grade", "verdict"),
    [
        pytest.param([PASS, PASS], True, id="every check passed"),
        pytest.param([PASS, FAIL], False, id="one failed"),
        pytest.param([PASS, None], None, id="a judge has not answered"),
        pytest.param([], None, id="no checks"),
        pytest.param(None, None, id="not graded yet"),
    ],
)
def test_an_answer_passes_when_every_check_passed(grade, verdict):
    assert matrix.passed(grade) is verdict


@pytest.mark.parametrize(
    ("grades", "verdict"),
    [
        pytest.param([[PASS], [PASS]], True, id="every repeat passed"),
        pytest.param([[PASS], [FAIL]], False, id="one repeat failed"),
        pytest.param([[FAIL], None], False, id="failed before the rest is known"),
        pytest.param([[PASS], None], None, id="a repeat still streams"),
        pytest.param([], None, id="no answers"),
    ],
)
def test_a_test_case_passes_in_a_column_when_every_repeat_passed(grades, verdict):
    assert matrix.case_passed(grades) is verdict


def test_a_check_passes_for_a_test_case_over_its_repeats_alone():
    grades = [[PASS, FAIL], [PASS, PASS]]
    assert matrix.case_check_passed(grades, 0) is True
    assert matrix.case_check_passed(grades, 1) is False
    assert matrix.case_check_passed([[PASS, None]], 1) is None


def test_rates_count_only_what_was_graded():
    grades = [[PASS, FAIL], [PASS, PASS], [FAIL, None], None]
    assert [(r.passed, r.graded) for r in matrix.check_rates(grades, 2)] == [(2, 3), (1, 2)]
    overall = matrix.overall_rate(grades)
    assert (overall.passed, overall.graded) == (1, 2)
    assert overall.text == "50% (1 of 2)"
    assert matrix.Rate(0, 0).text == matrix.NOTHING
    assert matrix.Rate(2, 3).percent == 67


@pytest.mark.parametrize(
    ("values", "text"),
    [
        pytest.param([1.0, 3.0], "2.0 ± 1.0 s", id="mean and spread"),
        pytest.param([2.5], "2.5 s", id="one value has no spread"),
        pytest.param([None, 4.0, None], "4.0 s", id="unknown values left out"),
        pytest.param([], matrix.NOTHING, id="nothing known"),
    ],
)
def test_a_spread_reads_as_mean_plus_minus_deviation(values, text):
    assert matrix.spread(values).text("s") == text


def test_a_case_is_the_same_across_runs_by_its_values_and_expected_output():
    a = {"values": {"city": "Paris"}, "expected": "France", "note": "one"}
    b = {"values": {"city": "Paris"}, "expected": "France", "note": "edited note"}
    c = {"values": {"city": "Paris"}, "expected": "Italy"}
    assert matrix.case_key(a) == matrix.case_key(b)
    assert matrix.case_key(a) != matrix.case_key(c)


def test_changes_are_the_verdicts_both_runs_know_that_flipped():
    before = {
        ("paris", "T 0.2", "contains"): True,
        ("lyon", "T 0.2", "contains"): False,
        ("rome", "T 0.2", "contains"): True,
        ("oslo", "T 0.2", "contains"): None,
    }
    after = {
        ("paris", "T 0.2", "contains"): False,  # broke
        ("lyon", "T 0.2", "contains"): True,  # fixed
        ("rome", "T 0.2", "contains"): True,  # the same
        ("oslo", "T 0.2", "contains"): False,  # unknown before
        ("bern", "T 0.2", "contains"): False,  # new
    }
    found = matrix.changes(before, after)
    assert [(c.case_key, c.fixed) for c in found] == [("paris", False), ("lyon", True)]


def test_the_chart_has_a_point_per_graded_run_from_left_to_right():
    points = matrix.chart_points([(1, 0), (2, None), (3, 50), (4, 100)])
    assert [p.label for p in points] == ["Run 1: 0%", "Run 3: 50%", "Run 4: 100%"]
    xs = [p.x for p in points]
    assert xs == sorted(xs)
    assert points[0].y == matrix.CHART_HEIGHT - matrix.CHART_PAD  # 0% at the bottom
    assert points[2].y == matrix.CHART_PAD  # 100% at the top
    assert matrix.chart_points([(1, None)]) == []


@pytest.mark.parametrize(
    ("old", "new", "pairs"),
    [
        pytest.param(["A", "B"], ["A", "B"], {0: 0, 1: 1}, id="the same columns"),
        pytest.param(["A", "B"], ["B", "A"], {0: 1, 1: 0}, id="reordered, by name"),
        pytest.param(["A", "B"], ["A", "C"], {0: 0, 1: 1}, id="one setting edited, by place"),
        pytest.param(["A", "B"], ["B", "C"], {0: 1}, id="a place whose name moved is not reused"),
        pytest.param(["A"], ["A", "B"], {0: 0}, id="a new column has no pair"),
        pytest.param([], ["A"], {}, id="nothing before"),
    ],
)
def test_columns_of_two_runs_pair_by_name_then_by_place(old, new, pairs):
    assert matrix.pair_columns(old, new) == pairs
