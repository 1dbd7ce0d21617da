"""The simulator as a deterministic judge of an evaluation's model-graded checks."""

from __future__ import annotations

import pytest

from chat.evals import graders, verdicts
from chat.simulator import grading
from chat.simulator.completion import generate


def _request(rubric: str, answer: str, expected: str = "") -> list[dict[str, str]]:
    return verdicts.judge_messages(rubric, graders.Cell(answer=answer, expected=expected))


@pytest.mark.parametrize(
    ("rubric", "answer", "expected", "reply"),
    [
        pytest.param(
            'Mentions "Paris"',
            "It is Paris.",
            "",
            'PASS: The answer mentions "Paris".',
            id="quoted found",
        ),
        pytest.param(
            'Mentions "paris" and "France"',
            "Paris is in FRANCE.",
            "",
            'PASS: The answer mentions "paris", "France".',
            id="case is ignored",
        ),
        pytest.param(
            'Mentions "Paris" and "Rome"',
            "It is Paris.",
            "",
            'FAIL: The answer does not mention "Rome".',
            id="one quoted phrase missing",
        ),
        pytest.param(
            "Gives the country",
            "It is in France.",
            "France",
            "PASS: The answer gives the expected output.",
            id="expected output found",
        ),
        pytest.param(
            "Gives the country",
            "It is in Spain.",
            "France",
            "FAIL: The answer does not give the expected output.",
            id="expected output missing",
        ),
        pytest.param(
            "Is helpful",
            "Some answer.",
            "",
            "PASS: The answer addresses the rubric.",
            id="any answer",
        ),
    ],
)
def test_a_grading_request_gets_a_one_line_verdict(rubric, answer, expected, reply):
    assert grading.verdict(_request(rubric, answer, expected)) == reply
    assert verdicts.parse_verdict(reply).passed is reply.startswith("PASS")


def test_any_other_request_is_answered_as_usual():
    assert (
        grading.verdict([{"role": "user", "content": "<rubric>x</rubric><answer>y</answer>"}])
        is None
    )


def test_the_completion_of_a_grading_request_is_the_verdict():
    body = {"model": "kimi-k2-thinking", "messages": _request('Mentions "Paris"', "Lyon.")}
    choice = generate(body).choices[0]
    assert "".join(choice.content) == 'FAIL: The answer does not mention "Paris".'
    assert choice.finish_reason == "stop"
