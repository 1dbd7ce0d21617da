r"""An evaluation's checks: what each one tests, built from a form and graded on a cell.

A check is stored as JSON-able data with a "kind" and that kind's fields:

    {"kind": "contains", "text": "Paris"}        the answer contains "Paris"
    {"kind": "contains", "text": ""}             ... contains the case's expected output
    {"kind": "regex", "pattern": "\\d{4}"}       re.search, no flags
    {"kind": "json_field", "path": "city.0", "value": "Paris"}
    {"kind": "length", "min": 10, "max": None}

grade() turns a check and a cell (one model's answer to one test case) into a Result whose
reason is a sentence saying exactly why, pass or fail. Positions in reasons count
characters from 1. Judge checks are graded by another model: chat/evals/verdicts.py
writes what it is sent and reads its reply.

Pure: no Django, no I/O.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import jsonschema
import referencing
import referencing.exceptions

KINDS: tuple[str, ...] = (
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
KIND_LABELS: dict[str, str] = {
    "equals": "Equals the expected output",
    "contains": "Contains",
    "not_contains": "Does not contain",
    "regex": "Matches a regex",
    "valid_json": "Is valid JSON",
    "json_schema": "Matches a JSON Schema",
    "json_field": "JSON field equals",
    "length": "Length in characters",
    "reasoning_tokens": "Reasoning tokens at most",
    "total_time": "Total time at most",
    "finish_stop": "Finished by itself (stop)",
    "judge": "Model-graded (judge)",
}
MAX_TEXT = 10_000
EN_DASH = "\u2013"  # between the ends of a length range
# Quoted texts and jsonschema's messages (which repeat the instance) are cut to this.
QUOTE_CHARS = 80
MESSAGE_CHARS = 300
_FIELD_NAMES = {
    "text": "The text",
    "pattern": "The regex",
    "schema": "The JSON Schema",
    "path": "The path",
    "value": "The value",
    "rubric": "The rubric",
    "provider": "The provider",
    "model": "The model",
}
# ```json ... ``` around the whole answer, as models like to write JSON.
FENCE_RE = re.compile(r"\A\s*```[ \t]*(?:json)?[ \t]*\n(.*?)\n?[ \t]*```\s*\Z", re.S | re.I)
_NO_EXPECTED = "This test case has no expected output to look for."
# An empty registry: a schema's remote $ref is never fetched from the server.
_NO_REMOTE_REFS: referencing.Registry[Any] = referencing.Registry()

Check = Mapping[str, object]
Stored = dict[str, object]


@dataclass(frozen=True)
class Cell:
    """What one model produced for one test case."""

    answer: str
    reasoning: str = ""
    expected: str = ""
    reasoning_tokens: int | None = None
    total_seconds: float | None = None
    finish_reason: str | None = None


@dataclass(frozen=True)
class Result:
    passed: bool
    reason: str  # always a sentence, for pass as well as fail


class _Invalid(ValueError):
    """A form field that does not make a check; its message is shown to the person."""


# Building checks from a form ----------------------------------------------------------


def parse_check(fields: Mapping[str, str]) -> tuple[Stored | None, str | None]:
    """From a form's strings to a stored check, or the reason there is none.

    >>> parse_check({"kind": "length", "min": "", "max": "200"})
    ({'kind': 'length', 'min': None, 'max': 200}, None)
    >>> parse_check({"kind": "length", "min": "300", "max": "200"})
    (None, 'The minimum length (300) is more than the maximum (200).')
    """
    kind = fields.get("kind", "")
    builder = _BUILDERS.get(kind)
    if builder is None:
        return (
            None,
            f"Unknown kind of check: {_quote(kind)}." if kind else "Choose a kind of check.",
        )
    try:
        for name, noun in _FIELD_NAMES.items():
            if len(fields.get(name, "")) > MAX_TEXT:
                raise _Invalid(f"{noun} is too long: at most {MAX_TEXT:,} characters.")
        return {"kind": kind, **builder(fields)}, None
    except _Invalid as e:
        return None, str(e)


def _build_equals(fields: Mapping[str, str]) -> Stored:
    return {"normalise": fields.get("normalise", "") in ("on", "true", "1")}


def _build_text(fields: Mapping[str, str]) -> Stored:
    return {"text": fields.get("text", "")}


def _build_regex(fields: Mapping[str, str]) -> Stored:
    pattern = fields.get("pattern", "")
    if not pattern:
        raise _Invalid("Write the regex to search the answer for.")
    try:
        re.compile(pattern)
    except re.error as e:
        raise _Invalid(f"The regex does not compile: {e}.") from None
    return {"pattern": pattern}


def _build_nothing(fields: Mapping[str, str]) -> Stored:
    return {}


def _build_schema(fields: Mapping[str, str]) -> Stored:
    text = fields.get("schema", "")
    if not text.strip():
        raise _Invalid('Write the JSON Schema, like {"type": "object"}.')
    try:
        schema = json.loads(text)
    except json.JSONDecodeError as e:
        raise _Invalid(f"The JSON Schema is not valid JSON: {_json_error(e)}.") from None
    if not isinstance(schema, dict):
        raise _Invalid('The JSON Schema must be an object, like {"type": "object"}.')
    validator = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
    try:
        validator.check_schema(schema)
    except jsonschema.SchemaError as e:
        where = ".".join(str(part) for part in e.path) or "the top level"
        raise _Invalid(f"The JSON Schema is invalid: {_cut(e.message)} (at {where}).") from None
    return {"schema": schema}


def _build_field(fields: Mapping[str, str]) -> Stored:
    path = fields.get("path", "").strip()
    if not path:
        raise _Invalid("Name the field to check, like city or items.0.name.")
    if "" in path.split("."):
        raise _Invalid(f"The path {_quote(path)} has an empty part: write it like items.0.name.")
    text = fields.get("value", "")
    try:
        value: object = json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        value = text  # plain text is the string it reads as: Paris is "Paris"
    return {"path": path, "value": value}


def _build_length(fields: Mapping[str, str]) -> Stored:
    low = _whole(fields, "min", "The minimum length")
    high = _whole(fields, "max", "The maximum length")
    if low is None and high is None:
        raise _Invalid("Give a minimum length, a maximum or both.")
    if low is not None and high is not None and low > high:
        raise _Invalid(f"The minimum length ({low}) is more than the maximum ({high}).")
    return {"min": low, "max": high}


def _build_tokens(fields: Mapping[str, str]) -> Stored:
    most = _whole(fields, "max", "The most reasoning tokens")
    if most is None:
        raise _Invalid("Give the most reasoning tokens allowed.")
    return {"max": most}


def _build_time(fields: Mapping[str, str]) -> Stored:
    text = fields.get("max", "").strip()
    if not text:
        raise _Invalid("Give the most seconds the answer may take.")
    try:
        seconds = float(text)
    except ValueError:
        raise _Invalid(f"The time limit must be a number of seconds, not {_quote(text)}.") from None
    if not math.isfinite(seconds):
        raise _Invalid(f"The time limit must be a number of seconds, not {_quote(text)}.")
    if seconds < 0:
        raise _Invalid("The time limit cannot be negative.")
    return {"max": seconds}


def _build_judge(fields: Mapping[str, str]) -> Stored:
    rubric = fields.get("rubric", "")
    if not rubric.strip():
        raise _Invalid("Write the rubric the judge grades the answer against.")
    model = fields.get("model", "").strip()
    if not model:
        raise _Invalid("Choose the model that judges.")
    return {"rubric": rubric, "provider": fields.get("provider", "").strip(), "model": model}


def _whole(fields: Mapping[str, str], name: str, noun: str) -> int | None:
    text = fields.get(name, "").strip()
    if not text:
        return None
    if not text.lstrip("-").isdigit():
        raise _Invalid(f"{noun} must be a whole number, not {_quote(text)}.")
    number = int(text)
    if number < 0:
        raise _Invalid(f"{noun} cannot be negative.")
    return number


_BUILDERS: dict[str, Callable[[Mapping[str, str]], Stored]] = {
    "equals": _build_equals,
    "contains": _build_text,
    "not_contains": _build_text,
    "regex": _build_regex,
    "valid_json": _build_nothing,
    "json_schema": _build_schema,
    "json_field": _build_field,
    "length": _build_length,
    "reasoning_tokens": _build_tokens,
    "total_time": _build_time,
    "finish_stop": _build_nothing,
    "judge": _build_judge,
}


# Labels -------------------------------------------------------------------------------


def label(check: Check) -> str:
    """A short human label for a column header.

    >>> label({"kind": "contains", "text": "Paris"})
    'contains "Paris"'
    >>> label({"kind": "length", "min": None, "max": 200})
    'length ≤ 200'
    """
    kind = check["kind"]
    if kind == "equals":
        return "equals the expected output" + (" (normalised)" if check["normalise"] else "")
    if kind in ("contains", "not_contains"):
        verb = "contains" if kind == "contains" else "does not contain"
        text = str(check["text"])
        return f"{verb} {_quote(text)}" if text else f"{verb} the expected output"
    if kind == "regex":
        return f"matches /{check['pattern']}/"
    if kind == "json_field":
        return f"answer.{check['path']} = {json_text(check['value'])}"
    if kind == "length":
        return _length_label(check["min"], check["max"])
    if kind == "reasoning_tokens":
        return f"reasoning ≤ {check['max']} tokens"
    if kind == "total_time":
        return f"time ≤ {_seconds(check['max'])} s"
    if kind == "judge":
        rubric = " ".join(str(check["rubric"]).split())
        return "judge: " + (rubric if len(rubric) <= 40 else rubric[:40] + "…")
    fixed = {"valid_json": "valid JSON", "json_schema": "JSON Schema"}
    return fixed.get(str(kind), "finish_reason is stop" if kind == "finish_stop" else str(kind))


def _length_label(low: object, high: object) -> str:
    if low is not None and high is not None:
        return f"length {low}{EN_DASH}{high}"
    return f"length ≥ {low}" if low is not None else f"length ≤ {high}"


# Grading ------------------------------------------------------------------------------


def grade(check: Check, cell: Cell) -> Result:
    """Whether the cell passes the check, and why. Judge checks raise ValueError.

    >>> grade({"kind": "contains", "text": "Paris"}, Cell("It is Lyon."))
    Result(passed=False, reason='The answer does not contain "Paris".')
    """
    kind = check["kind"]
    if kind == "judge":
        raise ValueError("A judge check is graded by a model: see judge_messages().")
    grader = _GRADERS.get(str(kind))
    if grader is None:
        raise ValueError(f"Unknown kind of check: {kind!r}")
    return grader(check, cell)


def grade_all(checks: Sequence[Check], cell: Cell) -> list[Result | None]:
    """Each check's result, in order; None for judge checks (graded elsewhere)."""
    return [None if check["kind"] == "judge" else grade(check, cell) for check in checks]


def _grade_equals(check: Check, cell: Cell) -> Result:
    if not cell.expected:
        return Result(False, "This test case has no expected output to compare with.")
    answer, expected = cell.answer, cell.expected
    how = ""
    if check.get("normalise"):
        answer, expected = _normalise(answer), _normalise(expected)
        how = " once normalised (case and spaces)"
    if answer == expected:
        return Result(True, f"The answer equals the expected output{how}.")
    at = next(
        (i for i, (a, b) in enumerate(zip(answer, expected, strict=False)) if a != b),
        min(len(answer), len(expected)),
    )
    return Result(False, f"The answer differs from the expected output{how} at character {at + 1}.")


def _grade_contains(check: Check, cell: Cell) -> Result:
    needle, what = _needle(check, cell)
    if not needle:
        return Result(False, _NO_EXPECTED)
    if needle in cell.answer:
        return Result(True, f"The answer contains {what}.")
    return Result(False, f"The answer does not contain {what}.")


def _grade_not_contains(check: Check, cell: Cell) -> Result:
    needle, what = _needle(check, cell)
    if not needle:
        return Result(False, _NO_EXPECTED)
    at = cell.answer.find(needle)
    if at < 0:
        return Result(True, f"The answer does not contain {what}.")
    return Result(False, f"The answer contains {what} at character {at + 1}.")


def _grade_regex(check: Check, cell: Cell) -> Result:
    pattern = str(check["pattern"])
    match = re.search(pattern, cell.answer)
    if match is None:
        return Result(False, f"No match for /{pattern}/.")
    return Result(True, f"Matched {_quote(match.group())} at character {match.start() + 1}.")


def _grade_valid_json(check: Check, cell: Cell) -> Result:
    try:
        _, fenced = _load_answer(cell.answer)
    except ValueError as e:
        return Result(False, f"Not valid JSON: {e}.")
    return Result(True, "Valid JSON (inside a code block)." if fenced else "Valid JSON.")


def _grade_schema(check: Check, cell: Cell) -> Result:
    try:
        value: Any
        value, _ = _load_answer(cell.answer)
    except ValueError as e:
        return Result(False, f"Not valid JSON, so the schema cannot be checked: {e}.")
    schema = check["schema"]
    assert isinstance(schema, dict)
    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
    validator = cls(schema, registry=_NO_REMOTE_REFS)
    try:
        error = jsonschema.exceptions.best_match(validator.iter_errors(value))
    except referencing.exceptions.Unresolvable as e:
        return Result(False, f"The schema refers to {_quote(str(e.ref))}, which cannot be found.")
    if error is None:
        return Result(True, "The answer matches the JSON Schema.")
    return Result(False, f"At {error.json_path}: {_cut(error.message)}.")


def _grade_field(check: Check, cell: Cell) -> Result:
    path = str(check["path"])
    try:
        value, _ = _load_answer(cell.answer)
    except ValueError as e:
        return Result(False, f"Not valid JSON, so answer.{path} cannot be checked: {e}.")
    found, actual = _follow(value, path)
    if not found:
        return Result(False, f"The answer has no field {path}.")
    wanted = check["value"]
    if _same_json(actual, wanted):
        return Result(True, f"answer.{path} is {json_text(actual)}.")
    return Result(False, f"answer.{path} is {json_text(actual)}, expected {json_text(wanted)}.")


def _grade_length(check: Check, cell: Cell) -> Result:
    count = len(cell.answer)
    has = f"The answer has {count} {'character' if count == 1 else 'characters'}"
    low, high = check.get("min"), check.get("max")
    if isinstance(low, int) and count < low:
        return Result(False, f"{has}; at least {low} needed.")
    if isinstance(high, int) and count > high:
        return Result(False, f"{has}; at most {high} allowed.")
    return Result(True, f"{has}, within {_length_label(low, high).removeprefix('length ')}.")


def _grade_tokens(check: Check, cell: Cell) -> Result:
    used, most = cell.reasoning_tokens, check["max"]
    if used is None:
        return Result(False, "The reasoning token count is unknown.")
    assert isinstance(most, int)
    tokens = "token" if used == 1 else "tokens"
    if used > most:
        return Result(False, f"The reasoning used {used} {tokens}; at most {most} allowed.")
    return Result(True, f"The reasoning used {used} {tokens}, within the {most} allowed.")


def _grade_time(check: Check, cell: Cell) -> Result:
    took, most = cell.total_seconds, check["max"]
    if took is None:
        return Result(False, "The total time is unknown.")
    assert isinstance(most, int | float)
    if took > most:
        return Result(False, f"It took {_seconds(took)} s; at most {_seconds(most)} s allowed.")
    return Result(True, f"It took {_seconds(took)} s, within the {_seconds(most)} s allowed.")


def _grade_finish(check: Check, cell: Cell) -> Result:
    reason = cell.finish_reason
    if reason is None:
        return Result(False, "The finish_reason is unknown.")
    if reason == "stop":
        return Result(True, 'finish_reason is "stop".')
    return Result(False, f'finish_reason is {_quote(reason)}, not "stop".')


_GRADERS: dict[str, Callable[[Check, Cell], Result]] = {
    "equals": _grade_equals,
    "contains": _grade_contains,
    "not_contains": _grade_not_contains,
    "regex": _grade_regex,
    "valid_json": _grade_valid_json,
    "json_schema": _grade_schema,
    "json_field": _grade_field,
    "length": _grade_length,
    "reasoning_tokens": _grade_tokens,
    "total_time": _grade_time,
    "finish_stop": _grade_finish,
}


def _needle(check: Check, cell: Cell) -> tuple[str, str]:
    """The text to look for and how a reason names it."""
    text = str(check.get("text", ""))
    if text:
        return text, _quote(text)
    return cell.expected, f"the expected output {_quote(cell.expected)}"


def _normalise(text: str) -> str:
    return " ".join(text.casefold().split())


def _load_answer(answer: str) -> tuple[object, bool]:
    """The answer's JSON value and whether it sat in a code block; ValueError says why not."""
    fence = FENCE_RE.match(answer)
    text = fence.group(1) if fence else answer
    if not text.strip():
        raise ValueError("the answer is empty")
    try:
        return json.loads(text), fence is not None
    except json.JSONDecodeError as e:
        raise ValueError(_json_error(e)) from None
    except RecursionError:
        raise ValueError("it is nested too deeply") from None


def _follow(value: object, path: str) -> tuple[bool, object]:
    """The value at a dotted path (`items.0.name`): list items by their index from 0."""
    for part in path.split("."):
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return False, None
    return True, value


def _same_json(a: object, b: object) -> bool:
    """Equality as JSON sees it: true is not 1, but 1 is 1.0."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same_json(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same_json(x, y) for x, y in zip(a, b, strict=True))
    return a == b


# Words --------------------------------------------------------------------------------


def _json_error(e: json.JSONDecodeError) -> str:
    return f"{e.msg} at line {e.lineno}, column {e.colno}"


def json_text(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)


def _quote(text: str) -> str:
    """A text in double quotes, cut when long, its newlines and quotes escaped as in JSON."""
    return json_text(text if len(text) <= QUOTE_CHARS else text[:QUOTE_CHARS] + "…")


def _cut(message: str) -> str:
    return message if len(message) <= MESSAGE_CHARS else message[:MESSAGE_CHARS] + "…"


def _seconds(value: object) -> str:
    assert isinstance(value, int | float)
    return f"{value:.2f}".rstrip("0").rstrip(".")
