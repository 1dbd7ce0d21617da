"""Checks: built from a form, labelled for a column, graded with a reason that says why."""

from __future__ import annotations

import pytest

from chat.evals.graders import (
    KIND_LABELS,
    KINDS,
    Cell,
    Result,
    grade,
    grade_all,
    label,
    parse_check,
)
from chat.evals.verdicts import judge_messages, parse_verdict

CITY_SCHEMA = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
FENCED = '```json\n{"city": "Paris"}\n```'


def test_every_kind_has_a_label_in_the_forms_order():
    assert KINDS == (
        "equals",
        "contains",
        "not_contains",
        "regex",
        "valid_json",
        "json_schema",
        "json_field",
        "length",
        "reasoning_tokens",
        "total_time",
        "finish_stop",
        "judge",
    )
    assert list(KIND_LABELS) == list(KINDS)
    assert KIND_LABELS["contains"] == "Contains"
    assert KIND_LABELS["valid_json"] == "Is valid JSON"
    assert KIND_LABELS["json_schema"] == "Matches a JSON Schema"
    assert KIND_LABELS["judge"] == "Model-graded (judge)"


@pytest.mark.parametrize(
    ("fields", "check"),
    [
        pytest.param({"kind": "equals"}, {"kind": "equals", "normalise": False}, id="equals"),
        pytest.param(
            {"kind": "equals", "normalise": "on", "text": "ignored"},
            {"kind": "equals", "normalise": True},
            id="equals-normalised-other-fields-dropped",
        ),
        pytest.param(
            {"kind": "contains", "text": " Paris"},
            {"kind": "contains", "text": " Paris"},
            id="contains-text-kept-exactly",
        ),
        pytest.param(
            {"kind": "contains", "text": ""},
            {"kind": "contains", "text": ""},
            id="contains-the-expected-output",
        ),
        pytest.param(
            {"kind": "not_contains", "text": "sorry"},
            {"kind": "not_contains", "text": "sorry"},
            id="not-contains",
        ),
        pytest.param(
            {"kind": "regex", "pattern": r"\d{4}"},
            {"kind": "regex", "pattern": r"\d{4}"},
            id="regex",
        ),
        pytest.param({"kind": "valid_json"}, {"kind": "valid_json"}, id="valid-json"),
        pytest.param(
            {"kind": "json_schema", "schema": '{"type": "object"}'},
            {"kind": "json_schema", "schema": {"type": "object"}},
            id="json-schema-parsed",
        ),
        pytest.param(
            {"kind": "json_field", "path": " city.0 ", "value": '"Paris"'},
            {"kind": "json_field", "path": "city.0", "value": "Paris"},
            id="json-field-value-as-json",
        ),
        pytest.param(
            {"kind": "json_field", "path": "n", "value": "42"},
            {"kind": "json_field", "path": "n", "value": 42},
            id="json-field-number",
        ),
        pytest.param(
            {"kind": "json_field", "path": "city", "value": "Paris"},
            {"kind": "json_field", "path": "city", "value": "Paris"},
            id="json-field-plain-text-is-a-string",
        ),
        pytest.param(
            {"kind": "length", "min": "10", "max": "200"},
            {"kind": "length", "min": 10, "max": 200},
            id="length",
        ),
        pytest.param(
            {"kind": "length", "min": " 5 ", "max": ""},
            {"kind": "length", "min": 5, "max": None},
            id="length-min-only",
        ),
        pytest.param(
            {"kind": "reasoning_tokens", "max": "500"},
            {"kind": "reasoning_tokens", "max": 500},
            id="reasoning-tokens",
        ),
        pytest.param(
            {"kind": "total_time", "max": "2.5"},
            {"kind": "total_time", "max": 2.5},
            id="total-time",
        ),
        pytest.param({"kind": "finish_stop"}, {"kind": "finish_stop"}, id="finish-stop"),
        pytest.param(
            {"kind": "judge", "rubric": "Names the capital.", "provider": " p1 ", "model": " m "},
            {"kind": "judge", "rubric": "Names the capital.", "provider": "p1", "model": "m"},
            id="judge",
        ),
    ],
)
def test_it_builds_a_check_from_the_form(fields, check):
    assert parse_check(fields) == (check, None)


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        pytest.param({"kind": "spell"}, 'Unknown kind of check: "spell".', id="unknown-kind"),
        pytest.param({}, "Choose a kind of check.", id="no-kind"),
        pytest.param(
            {"kind": "regex", "pattern": "abc("},
            "The regex does not compile: missing ), unterminated subpattern at position 3.",
            id="regex-does-not-compile",
        ),
        pytest.param(
            {"kind": "regex", "pattern": ""},
            "Write the regex to search the answer for.",
            id="regex-empty",
        ),
        pytest.param(
            {"kind": "json_schema", "schema": '{"type": }'},
            "The JSON Schema is not valid JSON: Expecting value at line 1, column 10.",
            id="schema-not-json",
        ),
        pytest.param(
            {"kind": "json_schema", "schema": " "},
            'Write the JSON Schema, like {"type": "object"}.',
            id="schema-empty",
        ),
        pytest.param(
            {"kind": "json_schema", "schema": '["string"]'},
            'The JSON Schema must be an object, like {"type": "object"}.',
            id="schema-not-an-object",
        ),
        pytest.param(
            {"kind": "json_schema", "schema": '{"type": "strin"}'},
            "The JSON Schema is invalid: 'strin' is not valid under any of the given schemas "
            "(at type).",
            id="schema-invalid",
        ),
        pytest.param(
            {"kind": "json_schema", "schema": '{"properties": {"n": {"minimum": "3"}}}'},
            "The JSON Schema is invalid: '3' is not of type 'number' (at properties.n.minimum).",
            id="schema-invalid-deep",
        ),
        pytest.param(
            {"kind": "json_field", "path": " ", "value": "x"},
            "Name the field to check, like city or items.0.name.",
            id="json-field-without-path",
        ),
        pytest.param(
            {"kind": "json_field", "path": "a..b", "value": "x"},
            'The path "a..b" has an empty part: write it like items.0.name.',
            id="json-field-empty-part",
        ),
        pytest.param(
            {"kind": "length", "min": "", "max": ""},
            "Give a minimum length, a maximum or both.",
            id="length-without-bounds",
        ),
        pytest.param(
            {"kind": "length", "min": "300", "max": "200"},
            "The minimum length (300) is more than the maximum (200).",
            id="length-min-over-max",
        ),
        pytest.param(
            {"kind": "length", "min": "-1"},
            "The minimum length cannot be negative.",
            id="length-negative",
        ),
        pytest.param(
            {"kind": "length", "max": "ten"},
            'The maximum length must be a whole number, not "ten".',
            id="length-not-a-number",
        ),
        pytest.param(
            {"kind": "length", "max": "2.5"},
            'The maximum length must be a whole number, not "2.5".',
            id="length-not-whole",
        ),
        pytest.param(
            {"kind": "reasoning_tokens", "max": ""},
            "Give the most reasoning tokens allowed.",
            id="tokens-missing",
        ),
        pytest.param(
            {"kind": "reasoning_tokens", "max": "-5"},
            "The most reasoning tokens cannot be negative.",
            id="tokens-negative",
        ),
        pytest.param(
            {"kind": "reasoning_tokens", "max": "many"},
            'The most reasoning tokens must be a whole number, not "many".',
            id="tokens-not-a-number",
        ),
        pytest.param(
            {"kind": "total_time", "max": ""},
            "Give the most seconds the answer may take.",
            id="time-missing",
        ),
        pytest.param(
            {"kind": "total_time", "max": "soon"},
            'The time limit must be a number of seconds, not "soon".',
            id="time-not-a-number",
        ),
        pytest.param(
            {"kind": "total_time", "max": "-1"},
            "The time limit cannot be negative.",
            id="time-negative",
        ),
        pytest.param(
            {"kind": "total_time", "max": "nan"},
            'The time limit must be a number of seconds, not "nan".',
            id="time-nan",
        ),
        pytest.param(
            {"kind": "total_time", "max": "inf"},
            'The time limit must be a number of seconds, not "inf".',
            id="time-infinite",
        ),
        pytest.param(
            {"kind": "judge", "rubric": " \n", "model": "m"},
            "Write the rubric the judge grades the answer against.",
            id="judge-without-rubric",
        ),
        pytest.param(
            {"kind": "judge", "rubric": "Polite.", "provider": "p", "model": ""},
            "Choose the model that judges.",
            id="judge-without-model",
        ),
        pytest.param(
            {"kind": "contains", "text": "x" * 10_001},
            "The text is too long: at most 10,000 characters.",
            id="text-too-long",
        ),
        pytest.param(
            {"kind": "judge", "rubric": "x" * 10_001, "model": "m"},
            "The rubric is too long: at most 10,000 characters.",
            id="rubric-too-long",
        ),
        pytest.param(
            {"kind": "regex", "pattern": "a" * 10_001},
            "The regex is too long: at most 10,000 characters.",
            id="regex-too-long",
        ),
    ],
)
def test_it_refuses_a_bad_check(fields, error):
    assert parse_check(fields) == (None, error)


def test_texts_of_10000_characters_are_allowed():
    assert parse_check({"kind": "contains", "text": "x" * 10_000})[1] is None


@pytest.mark.parametrize(
    ("check", "text"),
    [
        ({"kind": "equals", "normalise": False}, "equals the expected output"),
        ({"kind": "equals", "normalise": True}, "equals the expected output (normalised)"),
        ({"kind": "contains", "text": ""}, "contains the expected output"),
        ({"kind": "contains", "text": "Paris"}, 'contains "Paris"'),
        ({"kind": "not_contains", "text": ""}, "does not contain the expected output"),
        ({"kind": "not_contains", "text": "sorry"}, 'does not contain "sorry"'),
        ({"kind": "regex", "pattern": r"\d+"}, r"matches /\d+/"),
        ({"kind": "valid_json"}, "valid JSON"),
        ({"kind": "json_schema", "schema": {}}, "JSON Schema"),
        ({"kind": "json_field", "path": "city", "value": "Paris"}, 'answer.city = "Paris"'),
        ({"kind": "json_field", "path": "n", "value": 3}, "answer.n = 3"),
        ({"kind": "length", "min": 10, "max": 200}, "length 10\u2013200"),
        ({"kind": "length", "min": 10, "max": None}, "length ≥ 10"),
        ({"kind": "length", "min": None, "max": 200}, "length ≤ 200"),
        ({"kind": "reasoning_tokens", "max": 500}, "reasoning ≤ 500 tokens"),
        ({"kind": "total_time", "max": 30.0}, "time ≤ 30 s"),
        ({"kind": "total_time", "max": 2.5}, "time ≤ 2.5 s"),
        ({"kind": "finish_stop"}, "finish_reason is stop"),
        ({"kind": "judge", "rubric": "Is polite.", "model": "m"}, "judge: Is polite."),
        (
            {
                "kind": "judge",
                "rubric": "Answers in\nFrench and names the capital city of France.",
                "model": "m",
            },
            "judge: Answers in French and names the capital …",
        ),
    ],
    ids=lambda value: value["kind"] if isinstance(value, dict) else None,
)
def test_it_labels_a_check_for_a_column_header(check, text):
    assert label(check) == text


def _grades(kind, **fields):
    return {"kind": kind, **fields}


@pytest.mark.parametrize(
    ("check", "cell", "result"),
    [
        pytest.param(
            _grades("equals", normalise=False),
            Cell("Paris", expected="Paris"),
            Result(True, "The answer equals the expected output."),
            id="equals-pass",
        ),
        pytest.param(
            _grades("equals", normalise=False),
            Cell("Paris", expected="Parts"),
            Result(False, "The answer differs from the expected output at character 4."),
            id="equals-fail",
        ),
        pytest.param(
            _grades("equals", normalise=False),
            Cell("Pari", expected="Paris"),
            Result(False, "The answer differs from the expected output at character 5."),
            id="equals-fail-shorter",
        ),
        pytest.param(
            _grades("equals", normalise=False),
            Cell(" paris", expected="Paris"),
            Result(False, "The answer differs from the expected output at character 1."),
            id="equals-exact-by-default",
        ),
        pytest.param(
            _grades("equals", normalise=True),
            Cell("  The   CAPITAL\nis Paris ", expected="the capital is paris"),
            Result(
                True, "The answer equals the expected output once normalised (case and spaces)."
            ),
            id="equals-normalised-pass",
        ),
        pytest.param(
            _grades("equals", normalise=True),
            Cell("The capital is Lyon", expected="the capital is paris"),
            Result(
                False,
                "The answer differs from the expected output once normalised (case and spaces) "
                "at character 16.",
            ),
            id="equals-normalised-fail",
        ),
        pytest.param(
            _grades("equals", normalise=False),
            Cell("Paris"),
            Result(False, "This test case has no expected output to compare with."),
            id="equals-without-expected-output",
        ),
        pytest.param(
            _grades("contains", text="Paris"),
            Cell("The capital is Paris."),
            Result(True, 'The answer contains "Paris".'),
            id="contains-pass",
        ),
        pytest.param(
            _grades("contains", text="Paris"),
            Cell("The capital is paris."),
            Result(False, 'The answer does not contain "Paris".'),
            id="contains-fail-case-sensitive",
        ),
        pytest.param(
            _grades("contains", text=""),
            Cell("It is Paris.", expected="Paris"),
            Result(True, 'The answer contains the expected output "Paris".'),
            id="contains-expected-pass",
        ),
        pytest.param(
            _grades("contains", text=""),
            Cell("It is Lyon.", expected="Paris"),
            Result(False, 'The answer does not contain the expected output "Paris".'),
            id="contains-expected-fail",
        ),
        pytest.param(
            _grades("contains", text=""),
            Cell("It is Paris."),
            Result(False, "This test case has no expected output to look for."),
            id="contains-without-expected-output",
        ),
        pytest.param(
            _grades("contains", text='say "hi"\n'),
            Cell("no"),
            Result(False, 'The answer does not contain "say \\"hi\\"\\n".'),
            id="contains-quotes-and-newlines-shown-escaped",
        ),
        pytest.param(
            _grades("not_contains", text="Paris"),
            Cell("The capital is Lyon."),
            Result(True, 'The answer does not contain "Paris".'),
            id="not-contains-pass",
        ),
        pytest.param(
            _grades("not_contains", text="Paris"),
            Cell("The capital is Paris."),
            Result(False, 'The answer contains "Paris" at character 16.'),
            id="not-contains-fail",
        ),
        pytest.param(
            _grades("not_contains", text=""),
            Cell("Paris, of course", expected="Paris"),
            Result(False, 'The answer contains the expected output "Paris" at character 1.'),
            id="not-contains-expected-fail",
        ),
        pytest.param(
            _grades("not_contains", text=""),
            Cell("Lyon"),
            Result(False, "This test case has no expected output to look for."),
            id="not-contains-without-expected-output",
        ),
        pytest.param(
            _grades("regex", pattern=r"\d{4}"),
            Cell("In year 1234."),
            Result(True, 'Matched "1234" at character 9.'),
            id="regex-pass",
        ),
        pytest.param(
            _grades("regex", pattern=r"\d{4}"),
            Cell("In year 123."),
            Result(False, r"No match for /\d{4}/."),
            id="regex-fail",
        ),
        pytest.param(
            _grades("regex", pattern="paris"),
            Cell("Paris"),
            Result(False, "No match for /paris/."),
            id="regex-no-flags",
        ),
        pytest.param(
            _grades("valid_json"),
            Cell(' {"city": "Paris"}\n'),
            Result(True, "Valid JSON."),
            id="valid-json-pass",
        ),
        pytest.param(
            _grades("valid_json"),
            Cell(FENCED),
            Result(True, "Valid JSON (inside a code block)."),
            id="valid-json-in-a-code-block",
        ),
        pytest.param(
            _grades("valid_json"),
            Cell('{"a": 1 "b": 2}'),
            Result(False, "Not valid JSON: Expecting ',' delimiter at line 1, column 9."),
            id="valid-json-fail",
        ),
        pytest.param(
            _grades("valid_json"),
            Cell('Here it is:\n```json\n{"a": 1}\n```'),
            Result(False, "Not valid JSON: Expecting value at line 1, column 1."),
            id="valid-json-fail-prose-around-the-block",
        ),
        pytest.param(
            _grades("valid_json"),
            Cell("  "),
            Result(False, "Not valid JSON: the answer is empty."),
            id="valid-json-fail-empty",
        ),
        pytest.param(
            _grades("json_schema", schema=CITY_SCHEMA),
            Cell(FENCED),
            Result(True, "The answer matches the JSON Schema."),
            id="json-schema-pass",
        ),
        pytest.param(
            _grades("json_schema", schema=CITY_SCHEMA),
            Cell('{"city": 3}'),
            Result(False, "At $.city: 3 is not of type 'string'."),
            id="json-schema-fail",
        ),
        pytest.param(
            _grades("json_schema", schema=CITY_SCHEMA),
            Cell("{}"),
            Result(False, "At $: 'city' is a required property."),
            id="json-schema-fail-at-the-top",
        ),
        pytest.param(
            _grades("json_schema", schema=CITY_SCHEMA),
            Cell("Paris"),
            Result(
                False,
                "Not valid JSON, so the schema cannot be checked: "
                "Expecting value at line 1, column 1.",
            ),
            id="json-schema-answer-not-json",
        ),
        pytest.param(
            _grades("json_schema", schema={"$ref": "https://example.com/city.json"}),
            Cell("{}"),
            Result(
                False,
                'The schema refers to "https://example.com/city.json", which cannot be found.',
            ),
            id="json-schema-remote-refs-never-fetched",
        ),
        pytest.param(
            _grades("json_field", path="answer.city", value="Paris"),
            Cell('{"answer": {"city": "Paris"}}'),
            Result(True, 'answer.answer.city is "Paris".'),
            id="json-field-pass",
        ),
        pytest.param(
            _grades("json_field", path="city", value="Paris"),
            Cell('{"city": "Lyon"}'),
            Result(False, 'answer.city is "Lyon", expected "Paris".'),
            id="json-field-fail",
        ),
        pytest.param(
            _grades("json_field", path="cities.1", value="Lyon"),
            Cell('```json\n{"cities": ["Paris", "Lyon"]}\n```'),
            Result(True, 'answer.cities.1 is "Lyon".'),
            id="json-field-list-index-in-a-code-block",
        ),
        pytest.param(
            _grades("json_field", path="city.0", value="Paris"),
            Cell('{"city": "Paris"}'),
            Result(False, "The answer has no field city.0."),
            id="json-field-missing",
        ),
        pytest.param(
            _grades("json_field", path="n", value=1),
            Cell('{"n": true}'),
            Result(False, "answer.n is true, expected 1."),
            id="json-field-true-is-not-1",
        ),
        pytest.param(
            _grades("json_field", path="n", value=1),
            Cell('{"n": 1.0}'),
            Result(True, "answer.n is 1.0."),
            id="json-field-1-is-1.0",
        ),
        pytest.param(
            _grades("json_field", path="n", value=42),
            Cell('{"n": "42"}'),
            Result(False, 'answer.n is "42", expected 42.'),
            id="json-field-text-is-not-a-number",
        ),
        pytest.param(
            _grades("json_field", path="city", value="Paris"),
            Cell("Paris"),
            Result(
                False,
                "Not valid JSON, so answer.city cannot be checked: "
                "Expecting value at line 1, column 1.",
            ),
            id="json-field-answer-not-json",
        ),
        pytest.param(
            _grades("length", min=None, max=200),
            Cell("x" * 312),
            Result(False, "The answer has 312 characters; at most 200 allowed."),
            id="length-too-long",
        ),
        pytest.param(
            _grades("length", min=10, max=200),
            Cell("x"),
            Result(False, "The answer has 1 character; at least 10 needed."),
            id="length-too-short",
        ),
        pytest.param(
            _grades("length", min=10, max=200),
            Cell("x" * 200),
            Result(True, "The answer has 200 characters, within 10\u2013200."),
            id="length-pass",
        ),
        pytest.param(
            _grades("length", min=3, max=None),
            Cell("été"),
            Result(True, "The answer has 3 characters, within ≥ 3."),
            id="length-counts-characters-not-bytes",
        ),
        pytest.param(
            _grades("reasoning_tokens", max=500),
            Cell("ok", reasoning_tokens=500),
            Result(True, "The reasoning used 500 tokens, within the 500 allowed."),
            id="reasoning-tokens-pass",
        ),
        pytest.param(
            _grades("reasoning_tokens", max=500),
            Cell("ok", reasoning_tokens=812),
            Result(False, "The reasoning used 812 tokens; at most 500 allowed."),
            id="reasoning-tokens-fail",
        ),
        pytest.param(
            _grades("reasoning_tokens", max=500),
            Cell("ok"),
            Result(False, "The reasoning token count is unknown."),
            id="reasoning-tokens-unknown",
        ),
        pytest.param(
            _grades("total_time", max=30.0),
            Cell("ok", total_seconds=12.5),
            Result(True, "It took 12.5 s, within the 30 s allowed."),
            id="total-time-pass",
        ),
        pytest.param(
            _grades("total_time", max=30.0),
            Cell("ok", total_seconds=31.237),
            Result(False, "It took 31.24 s; at most 30 s allowed."),
            id="total-time-fail",
        ),
        pytest.param(
            _grades("total_time", max=30.0),
            Cell("ok"),
            Result(False, "The total time is unknown."),
            id="total-time-unknown",
        ),
        pytest.param(
            _grades("finish_stop"),
            Cell("ok", finish_reason="stop"),
            Result(True, 'finish_reason is "stop".'),
            id="finish-stop-pass",
        ),
        pytest.param(
            _grades("finish_stop"),
            Cell("ok", finish_reason="length"),
            Result(False, 'finish_reason is "length", not "stop".'),
            id="finish-stop-fail",
        ),
        pytest.param(
            _grades("finish_stop"),
            Cell("ok"),
            Result(False, "The finish_reason is unknown."),
            id="finish-stop-unknown",
        ),
    ],
)
def test_it_grades_a_cell_and_says_why(check, cell, result):
    assert grade(check, cell) == result


def test_a_form_built_check_grades():
    check, _ = parse_check({"kind": "json_field", "path": "city", "value": "Paris"})
    assert grade(check, Cell('{"city": "Paris"}')) == Result(True, 'answer.city is "Paris".')


def test_a_judge_check_is_not_graded_here():
    with pytest.raises(ValueError, match="judge"):
        grade({"kind": "judge", "rubric": "Polite.", "provider": "", "model": "m"}, Cell("Hi"))


def test_it_grades_every_check_leaving_judges_to_elsewhere():
    checks = [
        {"kind": "contains", "text": "Paris"},
        {"kind": "judge", "rubric": "Polite.", "provider": "", "model": "m"},
        {"kind": "finish_stop"},
    ]
    assert grade_all(checks, Cell("Paris", finish_reason="length")) == [
        Result(True, 'The answer contains "Paris".'),
        None,
        Result(False, 'finish_reason is "length", not "stop".'),
    ]


def test_the_judge_is_sent_the_rubric_expected_output_and_answer_not_the_reasoning():
    cell = Cell("It is Paris.", reasoning="SECRET CHAIN", expected="Paris")
    system, user = judge_messages("Names the capital.", cell)
    assert system["role"] == "system"
    assert '"PASS: <reason>"' in system["content"]
    assert '"FAIL: <reason>"' in system["content"]
    assert user == {
        "role": "user",
        "content": "<rubric>\nNames the capital.\n</rubric>\n\n"
        "<expected_output>\nParis\n</expected_output>\n\n"
        "<answer>\nIt is Paris.\n</answer>",
    }
    assert "SECRET" not in system["content"] + user["content"]


def test_the_judge_is_not_told_of_an_expected_output_there_is_not():
    _, user = judge_messages("Polite.", Cell("Hello."))
    assert user["content"] == "<rubric>\nPolite.\n</rubric>\n\n<answer>\nHello.\n</answer>"


@pytest.mark.parametrize(
    ("reply", "result"),
    [
        pytest.param("PASS: It names Paris.", Result(True, "It names Paris."), id="pass"),
        pytest.param("FAIL: It names Lyon.", Result(False, "It names Lyon."), id="fail"),
        pytest.param("  pass: fine.", Result(True, "fine."), id="any-case-leading-space"),
        pytest.param("**PASS**: It names Paris.", Result(True, "It names Paris."), id="bold-word"),
        pytest.param("**FAIL: rude.**", Result(False, "rude."), id="bold-line"),
        pytest.param("Failed - no city.", Result(False, "no city."), id="failed-and-a-dash"),
        pytest.param(
            "\nPASS: Names Paris.\nMore thoughts.",
            Result(True, "Names Paris."),
            id="first-verdict-line",
        ),
        pytest.param(
            "PASS", Result(True, "The judge answered PASS without a reason."), id="no-reason"
        ),
        pytest.param('{"pass": false, "reason": "No city."}', Result(False, "No city."), id="json"),
        pytest.param(
            '```json\n{"pass": true, "reason": "Paris."}\n```',
            Result(True, "Paris."),
            id="json-fenced",
        ),
        pytest.param(
            '{"pass": true}',
            Result(True, "The judge answered PASS without a reason."),
            id="json-without-reason",
        ),
        pytest.param(
            "I think it is good.",
            Result(False, 'The judge did not answer PASS or FAIL: "I think it is good."'),
            id="neither",
        ),
        pytest.param(
            "PASSING " + "x" * 100,
            Result(False, 'The judge did not answer PASS or FAIL: "PASSING ' + "x" * 72 + '"'),
            id="neither-cut-at-80",
        ),
        pytest.param(
            '{"pass": "yes"}',
            Result(False, 'The judge did not answer PASS or FAIL: "{\\"pass\\": \\"yes\\"}"'),
            id="json-pass-not-a-boolean",
        ),
        pytest.param(
            "", Result(False, 'The judge did not answer PASS or FAIL: ""'), id="empty-reply"
        ),
    ],
)
def test_it_reads_the_judges_verdict(reply, result):
    assert parse_verdict(reply) == result
