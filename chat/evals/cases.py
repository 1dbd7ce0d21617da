"""An evaluation's test cases: read from CSV, JSONL or a pasted spreadsheet, written back.

A test case gives a value to each of the prompt's variables, and optionally the output
expected and a note. In a table the header names the columns: every variable, then
`expected` and `note` if wanted (those two in any case, `Expected` works too). For the
variables (city, country):

    city,country,expected
    Paris,France,Paris is the capital.
    "Lyon, the city",France,

In JSONL each line is one object with the same keys:

    {"city": "Paris", "country": "France", "expected": "Paris is the capital."}

Reading is all or nothing: every function returns (cases, errors), and when there are
errors there are no cases, so a file with one bad row adds nothing. Values keep their text
exactly. Rows are numbered as a spreadsheet shows them: the header is row 1.

Pure: no Django, no I/O.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

MAX_CASES = 500
EXPECTED = "expected"
NOTE = "note"
RESERVED = (EXPECTED, NOTE)
# A file full of mistakes gets the first few explained, not a wall of sentences.
MAX_ERRORS = 10
BOM = "\ufeff"

_NO_CASES = "The file has no test cases: the first row is the header, then one row per test case."


@dataclass(frozen=True)
class Case:
    values: dict[str, str] = field(default_factory=dict)  # exactly the evaluation's variables
    expected: str = ""
    note: str = ""


Parsed = tuple[list[Case], list[str]]


def parse_csv(data: bytes, variables: Sequence[str], delimiter: str = ",") -> Parsed:
    """Test cases from CSV bytes (UTF-8, a BOM allowed); `delimiter="\\t"` reads TSV.

    >>> parse_csv(b"city,Note\\nParis,capital\\n", ["city"])
    ([Case(values={'city': 'Paris'}, expected='', note='capital')], [])
    """
    text, error = _decode(data)
    if error:
        return [], [error]
    return _parse_table(text, variables, delimiter)


def parse_pasted(text: str, variables: Sequence[str]) -> Parsed:
    """Test cases pasted from a spreadsheet: tab-separated with a header row.

    A header without a tab is read as CSV, so pasting a CSV file's text works too.

    >>> parse_pasted("city\\tcountry\\nParis\\tFrance", ["city", "country"])[0]
    [Case(values={'city': 'Paris', 'country': 'France'}, expected='', note='')]
    """
    text = text.removeprefix(BOM)
    header = text.split("\n", 1)[0]
    return _parse_table(text, variables, "\t" if "\t" in header else ",")


def parse_jsonl(data: bytes, variables: Sequence[str]) -> Parsed:
    """Test cases from JSON Lines: one object per line, blank lines skipped.

    Numbers and true/false become their JSON text, null an empty value.

    >>> parse_jsonl(b'{"n": 3, "expected": "three"}\\n\\n', ["n"])
    ([Case(values={'n': '3'}, expected='three', note='')], [])
    """
    text, error = _decode(data)
    if error:
        return [], [error]
    cases: list[Case] = []
    errors: list[str] = []
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        case, line_errors = _case_from_json_line(number, line, variables)
        if case is not None:
            cases.append(case)
        errors.extend(line_errors)
    return _finish(cases, errors)


def parse_upload(filename: str, data: bytes, variables: Sequence[str]) -> Parsed:
    """An uploaded file, read by its extension: .jsonl or .ndjson, .tsv, else CSV."""
    name = filename.lower()
    if name.endswith((".jsonl", ".ndjson")):
        return parse_jsonl(data, variables)
    return parse_csv(data, variables, "\t" if name.endswith(".tsv") else ",")


def from_rows(rows: Sequence[Mapping[str, str]], variables: Sequence[str]) -> Parsed:
    """Test cases from the edited grid: one mapping per row, keyed by variable name,
    `expected` and `note`. A key left out is an empty value, other keys are ignored,
    and a row left entirely empty (the grid's row for adding one) is skipped.
    """
    cases = []
    for row in rows:
        case = Case(
            values={name: row.get(name, "") for name in variables},
            expected=row.get(EXPECTED, ""),
            note=row.get(NOTE, ""),
        )
        if not _is_blank(case):
            cases.append(case)
    if len(cases) > MAX_CASES:
        return [], [_too_many("There are", len(cases))]
    return cases, []


def to_csv(cases: Sequence[Case], variables: Sequence[str]) -> str:
    """CSV text with the header `variables..., expected, note`: what parse_csv reads back.

    >>> to_csv([Case({"city": "Lyon, France"}, "yes")], ["city"])
    'city,expected,note\\r\\n"Lyon, France",yes,\\r\\n'
    """
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([*variables, EXPECTED, NOTE])
    for case in cases:
        writer.writerow([*(case.values.get(name, "") for name in variables), *_extras(case)])
    return out.getvalue()


def to_jsonl(cases: Sequence[Case], variables: Sequence[str]) -> str:
    """One JSON object per line, each ending with a newline: what parse_jsonl reads back.

    >>> print(to_jsonl([Case({"city": "Zürich"}, "yes")], ["city"]), end="")
    {"city": "Zürich", "expected": "yes", "note": ""}
    """
    lines = []
    for case in cases:
        obj = {name: case.values.get(name, "") for name in variables}
        obj.update(zip(RESERVED, _extras(case), strict=True))
        lines.append(json.dumps(obj, ensure_ascii=False) + "\n")
    return "".join(lines)


def case_to_dict(case: Case) -> dict[str, object]:
    """A case as JSON-able data, for storage."""
    return {"values": dict(case.values), EXPECTED: case.expected, NOTE: case.note}


def case_from_dict(data: Mapping[str, object]) -> Case:
    """The case that case_to_dict stored."""
    values = data.get("values") or {}
    assert isinstance(values, dict)
    return Case(
        values={str(k): str(v) for k, v in values.items()},
        expected=str(data.get(EXPECTED, "")),
        note=str(data.get(NOTE, "")),
    )


def _extras(case: Case) -> tuple[str, str]:
    return case.expected, case.note


def _is_blank(case: Case) -> bool:
    return not (any(case.values.values()) or case.expected or case.note)


def _decode(data: bytes) -> tuple[str, str | None]:
    try:
        return data.decode("utf-8").removeprefix(BOM), None
    except UnicodeDecodeError as e:
        byte = data[e.start]
        return "", (
            f"The file is not UTF-8 text (byte 0x{byte:02x} at position {e.start}). "
            "Save it as UTF-8 and try again."
        )


def _parse_table(text: str, variables: Sequence[str], delimiter: str) -> Parsed:
    # newline="" keeps a quoted cell's line breaks exactly as written (\r\n stays \r\n).
    # strict: an unclosed quote is an error, not a cell that swallows the rest of the file.
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    records: list[list[str]] = []
    try:
        records.extend(reader)
    except csv.Error as e:
        return [], [f"Row {len(records) + 1} cannot be read as CSV: {e}."]
    if not records or not any(records[0]):
        return [], [_NO_CASES]
    header = records[0]
    columns, errors = _columns(header, variables)
    if errors:
        return [], errors
    cases = []
    for number, cells in enumerate(records[1:], start=2):
        if not any(cells):  # a blank line, or a spreadsheet's padding row of empty cells
            continue
        if len(cells) != len(header):
            errors.append(
                f"Row {number} has {len(cells)} {_plural(len(cells), 'cell')} "
                f"but the header has {len(header)}."
            )
            continue
        cases.append(_case(dict(zip(columns, cells, strict=True)), variables))
    return _finish(cases, errors)


def _columns(names: Sequence[str], variables: Sequence[str]) -> tuple[list[str], list[str]]:
    """The header's names made canonical (stripped; `Expected` -> `expected`), or errors."""
    columns = [_canonical(name, variables) for name in names]
    errors = []
    unnamed = [str(i) for i, name in enumerate(columns, start=1) if not name]
    if unnamed:
        errors.append(
            f"Column {', '.join(unnamed)} of the header has no name: "
            "name it after a variable or remove it."
        )
    twice = [name for name in dict.fromkeys(columns) if name and columns.count(name) > 1]
    if twice:
        errors.append(f"The header names {_quoted(twice)} more than once: each column once.")
    absent = [name for name in variables if name not in columns]
    if absent:
        errors.append(
            f"The file has no column for {_braced(absent)}: "
            f"its header must name every variable ({', '.join(variables)})."
        )
    extra = [n for n in dict.fromkeys(columns) if n and n not in variables and n not in RESERVED]
    if extra:
        errors.append(
            f"The file has columns the prompt does not use: {_quoted(extra)}. "
            "Rename them to a variable or remove them."
        )
    return columns, errors


def _canonical(name: str, variables: Sequence[str]) -> str:
    name = name.strip()
    # A variable that happens to be called `expected` keeps its column.
    if name not in variables and name.lower() in RESERVED:
        return name.lower()
    return name


def _case_from_json_line(
    number: int, line: str, variables: Sequence[str]
) -> tuple[Case | None, list[str]]:
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as e:
        return None, [f"Line {number} is not valid JSON: {e.msg} at column {e.colno}."]
    if not isinstance(obj, dict):
        example = json.dumps({variables[0] if variables else EXPECTED: "..."})
        return None, [
            f"Line {number} is not a JSON object: each line is one object like {example}."
        ]
    columns = [_canonical(key, variables) for key in obj]
    errors = _key_errors(number, columns, variables)
    row = {}
    for key, column in zip(obj, columns, strict=True):
        value = obj[key]
        if isinstance(value, dict | list):
            kind = "an object" if isinstance(value, dict) else "a list"
            errors.append(
                f'Line {number}: "{key}" is {kind}; values must be text, numbers or true/false.'
            )
        elif isinstance(value, str):
            row[column] = value
        else:
            row[column] = "" if value is None else json.dumps(value)
    if errors:
        return None, errors
    return _case(row, variables), []


def _key_errors(number: int, columns: list[str], variables: Sequence[str]) -> list[str]:
    errors = []
    twice = [name for name in dict.fromkeys(columns) if columns.count(name) > 1]
    if twice:
        errors.append(f"Line {number} names {_quoted(twice)} more than once.")
    absent = [name for name in variables if name not in columns]
    if absent:
        errors.append(
            f"Line {number} has no key for {_braced(absent)}: "
            f"each line must name every variable ({', '.join(variables)})."
        )
    extra = [n for n in dict.fromkeys(columns) if n not in variables and n not in RESERVED]
    if extra:
        errors.append(
            f"Line {number} has keys the prompt does not use: {_quoted(extra)}. "
            "Rename them to a variable or remove them."
        )
    return errors


def _case(row: Mapping[str, str], variables: Sequence[str]) -> Case:
    extras = {name: row.get(name, "") if name not in variables else "" for name in RESERVED}
    return Case({name: row[name] for name in variables}, extras[EXPECTED], extras[NOTE])


def _finish(cases: list[Case], errors: list[str]) -> Parsed:
    if errors:
        if len(errors) > MAX_ERRORS:
            more = len(errors) - MAX_ERRORS
            errors = [*errors[:MAX_ERRORS], f"And {more} more {_plural(more, 'error')}."]
        return [], errors
    if not cases:
        return [], [_NO_CASES]
    if len(cases) > MAX_CASES:
        return [], [_too_many("The file has", len(cases))]
    return cases, []


def _too_many(subject: str, count: int) -> str:
    return f"{subject} {count} test cases; an evaluation takes at most {MAX_CASES}."


def _plural(count: int, noun: str) -> str:
    return noun if count == 1 else noun + "s"


def _quoted(names: Iterable[str]) -> str:
    return ", ".join(json.dumps(name, ensure_ascii=False) for name in names)


def _braced(names: Iterable[str]) -> str:
    return ", ".join("{{" + name + "}}" for name in names)
