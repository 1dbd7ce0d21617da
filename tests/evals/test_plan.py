"""What a run will send: its columns, each test case's prompt, and its estimate."""

from __future__ import annotations

import pytest

from chat.api import params
from chat.evals import plan


def test_no_sweep_is_one_column_the_base_itself():
    base = {**params.default_settings(), "temperature": 0.7}
    columns, errors = plan.columns(base, [{"name": "", "values": ""}])
    assert errors == {}
    assert [c["temperature"] for c in columns] == [0.7]


def test_a_sweep_makes_a_column_per_value():
    base = params.default_settings()
    columns, errors = plan.columns(base, [{"name": "temperature", "values": "0.2, 1.5"}])
    assert errors == {}
    assert [c["temperature"] for c in columns] == [0.2, 1.5]


def test_a_bad_sweep_value_says_why_and_makes_no_column():
    columns, errors = plan.columns(
        params.default_settings(), [{"name": "temperature", "values": "0.2, 9"}]
    )
    assert columns == []
    assert "Temperature must be between 0 and 2" in " ".join(errors.values())


def test_a_case_fills_every_variable_of_the_prompt():
    system, messages = plan.filled(
        "You know {{topic}}.",
        [{"role": "user", "content": "Tell me about {{city}}."}],
        {"topic": "maps", "city": "Oslo"},
    )
    assert system == "You know maps."
    assert messages == [{"role": "user", "content": "Tell me about Oslo."}]
    assert plan.prompt_variables("You know {{topic}}.", [{"content": "{{city}} {{topic}}"}]) == [
        "topic",
        "city",
    ]


def test_the_estimate_is_compare_modes_once_per_test_case():
    columns = [{"max_tokens": 100}, {"max_tokens": 200, "n": 2}]
    estimate = plan.estimate(3, columns, 2)
    assert (estimate.requests, estimate.max_tokens) == (12, 3 * 2 * (100 + 400))
    unbounded = plan.estimate(3, [{"max_tokens": None}], 1)
    assert unbounded.max_tokens is None and unbounded.unbounded_columns == [0]


@pytest.mark.parametrize(
    ("text", "result"),
    [
        ("2", (2, None)),
        (" 10 ", (10, None)),
        ("0", (1, "Repeats must be between 1 and 10.")),
        ("11", (1, "Repeats must be between 1 and 10.")),
        ("two", (1, "Repeats must be a whole number.")),
    ],
)
def test_repeats_are_a_whole_number_within_the_compare_limit(text, result):
    assert plan.repeats_error(text) == result


def test_a_prompt_token_guess_is_generous():
    messages = [{"role": "user", "content": "x" * 300}]
    assert plan.prompt_tokens("", messages) >= 300 // 4
