"""Test cases: read from CSV, TSV, JSONL, a paste or the grid, all or nothing; written back."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chat.evals.cases import (
    MAX_CASES,
    Case,
    case_from_dict,
    case_to_dict,
    from_rows,
    parse_csv,
    parse_jsonl,
    parse_pasted,
    parse_upload,
    to_csv,
    to_jsonl,
)

PLACE = ["city", "country"]
NO_CASES = "The file has no test cases: the first row is the header, then one row per test case."


def case(city: str, country: str, expected: str = "", note: str = "") -> Case:
    return Case({"city": city, "country": country}, expected, note)


@pytest.mark.parametrize(
    ("data", "cases"),
    [
        pytest.param(b"city,country\nParis,France\n", [case("Paris", "France")], id="plain"),
        pytest.param(
            b"country,city\r\nFrance,Paris\r\nItaly,Rome",
            [case("Paris", "France"), case("Rome", "Italy")],
            id="any-column-order-crlf-no-final-newline",
        ),
        pytest.param(
            b"city,country,expected,note\nParis,France,The capital,easy\n",
            [case("Paris", "France", "The capital", "easy")],
            id="expected-and-note",
        ),
        pytest.param(
            b" city ,country, Expected ,NOTE\nParis,France,yes,n\n",
            [case("Paris", "France", "yes", "n")],
            id="header-stripped-reserved-names-any-case",
        ),
        pytest.param(
            b'city,country\n"Lyon, ""the"" city","a\r\nb\nc"\n',
            [case('Lyon, "the" city', "a\r\nb\nc")],
            id="quoted-commas-quotes-newlines-kept-exactly",
        ),
        pytest.param(b"city,country\n  Paris ,\t\n", [case("  Paris ", "\t")], id="spaces-kept"),
        pytest.param(
            "\ufeffcity,country\nZürich,Schweiz\n".encode(),
            [case("Zürich", "Schweiz")],
            id="bom-dropped",
        ),
        pytest.param(
            b"city,country\n\nParis,France\n,\n", [case("Paris", "France")], id="blank-rows-skipped"
        ),
        pytest.param(b"city,country\n,France\n", [case("", "France")], id="an-empty-value"),
    ],
)
def test_it_reads_csv(data, cases):
    assert parse_csv(data, PLACE) == (cases, [])


@pytest.mark.parametrize(
    ("data", "error"),
    [
        pytest.param(
            b"city\nParis\n",
            "The file has no column for {{country}}: its header must name every variable "
            "(city, country).",
            id="missing-variable",
        ),
        pytest.param(
            b"",
            NO_CASES,
            id="empty-file",
        ),
        pytest.param(
            b"city,country\n",
            NO_CASES,
            id="header-only",
        ),
        pytest.param(
            b"\n\ncity,country\nParis,France\n",
            NO_CASES,
            id="blank-first-row",
        ),
        pytest.param(
            b"city,country\nParis,France\nRome,Italy\nLyon,France,extra\n",
            "Row 4 has 3 cells but the header has 2.",
            id="ragged-row-too-long",
        ),
        pytest.param(
            b"city,country\nParis\n",
            "Row 2 has 1 cell but the header has 2.",
            id="ragged-row-short",
        ),
        pytest.param(
            b"city,country\ncaf\xe9,France\n",
            "The file is not UTF-8 text (byte 0xe9 at position 16). "
            "Save it as UTF-8 and try again.",
            id="not-utf8",
        ),
        pytest.param(
            b"city,country,Note,note\nParis,France,a,b\n",
            'The header names "note" more than once: each column once.',
            id="duplicate-reserved",
        ),
        pytest.param(
            b"city,country,,\nParis,France,,\n",
            "Column 3, 4 of the header has no name: name it after a variable or remove it.",
            id="unnamed-columns",
        ),
        pytest.param(
            b'city,country\n"Paris,France\n',
            "Row 2 cannot be read as CSV: unexpected end of data.",
            id="unclosed-quote",
        ),
    ],
)
def test_it_refuses_a_bad_csv_file(data, error):
    assert parse_csv(data, PLACE) == ([], [error])


def test_it_names_every_header_problem_at_once():
    cases, errors = parse_csv(b"city,city,town,Town\nParis,Paris,Lyon,Lyon\n", PLACE)
    assert cases == []
    assert errors == [
        'The header names "city" more than once: each column once.',
        "The file has no column for {{country}}: its header must name every variable "
        "(city, country).",
        'The file has columns the prompt does not use: "town", "Town". Rename them to a '
        "variable or remove them.",
    ]


def test_it_names_every_missing_variable():
    assert parse_csv(b"note\nhello\n", PLACE) == (
        [],
        [
            "The file has no column for {{city}}, {{country}}: its header must name every "
            "variable (city, country)."
        ],
    )


def test_variables_are_case_sensitive():
    assert parse_csv(b"City,country\nParis,France\n", PLACE) == (
        [],
        [
            "The file has no column for {{city}}: its header must name every variable "
            "(city, country).",
            'The file has columns the prompt does not use: "City". Rename them to a variable '
            "or remove them.",
        ],
    )


def test_one_bad_row_adds_nothing():
    cases, errors = parse_csv(b"city,country\nParis,France\nRome\nLyon,France\n", PLACE)
    assert (cases, errors) == ([], ["Row 3 has 1 cell but the header has 2."])


def test_it_stops_listing_errors_after_ten():
    data = b"city,country\n" + b"Paris\n" * 12
    cases, errors = parse_csv(data, PLACE)
    assert cases == []
    assert errors[0] == "Row 2 has 1 cell but the header has 2."
    assert errors[9] == "Row 11 has 1 cell but the header has 2."
    assert errors[10:] == ["And 2 more errors."]


@pytest.mark.parametrize(
    ("count", "errors"),
    [
        pytest.param(MAX_CASES, [], id="at-the-limit"),
        pytest.param(
            MAX_CASES + 1,
            ["The file has 501 test cases; an evaluation takes at most 500."],
            id="over-the-limit",
        ),
    ],
)
def test_it_takes_at_most_500_cases(count, errors):
    data = b"city,country\n" + b"Paris,France\n" * count
    cases, found = parse_csv(data, PLACE)
    assert found == errors
    assert len(cases) == (count if not errors else 0)


def test_a_variable_named_expected_keeps_its_column():
    assert parse_csv(b"expected,Note\nx,y\n", ["expected"]) == (
        [Case({"expected": "x"}, "", "y")],
        [],
    )


@pytest.mark.parametrize(
    ("text", "cases"),
    [
        pytest.param(
            "city\tcountry\tExpected\nParis\tFrance\tyes\n",
            [case("Paris", "France", "yes")],
            id="tab-separated",
        ),
        pytest.param(
            'city\tcountry\n"two\nlines"\tFrance, the country\n',
            [case("two\nlines", "France, the country")],
            id="quoted-cell-with-a-newline-commas-are-text",
        ),
        pytest.param(
            "\ufeffcity\tcountry\r\nParis\tFrance", [case("Paris", "France")], id="bom-and-crlf"
        ),
        pytest.param(
            "city,country\nParis,France\n", [case("Paris", "France")], id="no-tab-in-header-is-csv"
        ),
    ],
)
def test_it_reads_a_pasted_spreadsheet(text, cases):
    assert parse_pasted(text, PLACE) == (cases, [])


def test_a_pasted_table_is_refused_like_a_file():
    assert parse_pasted("city\tcountry\nParis\n", PLACE) == (
        [],
        ["Row 2 has 1 cell but the header has 2."],
    )


@pytest.mark.parametrize(
    ("data", "cases"),
    [
        pytest.param(
            b'{"city": "Paris", "country": "France"}\n', [case("Paris", "France")], id="plain"
        ),
        pytest.param(
            b'{"country": "France", "city": "Paris", "Expected": "yes", "note": "n"}',
            [case("Paris", "France", "yes", "n")],
            id="any-key-order-reserved-any-case",
        ),
        pytest.param(
            b'\n{"city": "a", "country": "b"}\n   \n{"city": "c", "country": "d"}\n\n',
            [case("a", "b"), case("c", "d")],
            id="blank-lines-skipped",
        ),
        pytest.param(
            b'{"city": 75001, "country": true, "expected": 2.5, "note": null}',
            [case("75001", "true", "2.5", "")],
            id="numbers-and-booleans-become-text-null-empty",
        ),
        pytest.param(
            '\ufeff{"city": " Zürich\\n", "country": "\\"CH\\""}\r\n'.encode(),
            [case(" Zürich\n", '"CH"')],
            id="bom-escapes-spaces-kept",
        ),
    ],
)
def test_it_reads_jsonl(data, cases):
    assert parse_jsonl(data, PLACE) == (cases, [])


@pytest.mark.parametrize(
    ("data", "errors"),
    [
        pytest.param(
            b'{"city": "a", "country": "b"}\n{"city": "a",}\n',
            [
                "Line 2 is not valid JSON: "
                "Expecting property name enclosed in double quotes at column 14."
            ],
            id="invalid-json",
        ),
        pytest.param(
            b'["Paris", "France"]\n',
            ['Line 1 is not a JSON object: each line is one object like {"city": "..."}.'],
            id="not-an-object",
        ),
        pytest.param(
            b'{"city": {"name": "Paris"}, "country": ["France"]}\n',
            [
                'Line 1: "city" is an object; values must be text, numbers or true/false.',
                'Line 1: "country" is a list; values must be text, numbers or true/false.',
            ],
            id="nested-values",
        ),
        pytest.param(
            b'{"city": "Paris"}\n',
            [
                "Line 1 has no key for {{country}}: each line must name every variable "
                "(city, country)."
            ],
            id="missing-key",
        ),
        pytest.param(
            b'{"city": "Paris", "country": "France", "town": "x"}\n',
            [
                'Line 1 has keys the prompt does not use: "town". Rename them to a variable '
                "or remove them."
            ],
            id="extra-key",
        ),
        pytest.param(
            b'{"city": "a", "country": "b", "note": "x", "Note": "y"}\n',
            ['Line 1 names "note" more than once.'],
            id="duplicate-reserved-key",
        ),
        pytest.param(
            b"\n  \n",
            [NO_CASES],
            id="only-blank-lines",
        ),
        pytest.param(
            b'{"city": "\xff"}',
            [
                "The file is not UTF-8 text (byte 0xff at position 10). "
                "Save it as UTF-8 and try again."
            ],
            id="not-utf8",
        ),
    ],
)
def test_it_refuses_bad_jsonl(data, errors):
    assert parse_jsonl(data, PLACE) == ([], errors)


def test_jsonl_over_the_limit_is_refused():
    data = b'{"city": "a", "country": "b"}\n' * (MAX_CASES + 1)
    assert parse_jsonl(data, PLACE) == (
        [],
        ["The file has 501 test cases; an evaluation takes at most 500."],
    )


@pytest.mark.parametrize(
    ("filename", "data"),
    [
        pytest.param("cases.csv", b"city,country\nParis,France\n", id="csv"),
        pytest.param("CASES.CSV", b"city,country\nParis,France\n", id="csv-upper-case"),
        pytest.param("cases.tsv", b"city\tcountry\nParis\tFrance\n", id="tsv"),
        pytest.param("cases.txt", b"city,country\nParis,France\n", id="anything-else-is-csv"),
        pytest.param("cases.jsonl", b'{"city": "Paris", "country": "France"}\n', id="jsonl"),
        pytest.param("cases.NDJSON", b'{"city": "Paris", "country": "France"}\n', id="ndjson"),
    ],
)
def test_an_upload_is_read_by_its_extension(filename, data):
    assert parse_upload(filename, data, PLACE) == ([case("Paris", "France")], [])


def test_it_reads_the_edited_grid():
    rows = [
        {"city": "Paris", "country": "France", "expected": "yes", "note": "n"},
        {"city": "", "country": "", "expected": "", "note": ""},  # the grid's empty row
        {"city": "Rome", "id": "7"},  # a key left out is empty; others are ignored
    ]
    assert from_rows(rows, PLACE) == (
        [case("Paris", "France", "yes", "n"), case("Rome", "")],
        [],
    )


def test_the_grid_takes_at_most_500_cases():
    rows = [{"city": "Paris", "country": "France"}] * (MAX_CASES + 1)
    assert from_rows(rows, PLACE) == (
        [],
        ["There are 501 test cases; an evaluation takes at most 500."],
    )


def test_it_writes_csv_with_variables_then_expected_and_note():
    cases = [case("Lyon, France", "FR", 'say "yes"', "two\nlines"), Case({"city": "Rome"})]
    assert to_csv(cases, PLACE) == (
        'city,country,expected,note\r\n"Lyon, France",FR,"say ""yes""","two\nlines"\r\nRome,,,\r\n'
    )


def test_it_writes_jsonl_one_object_per_line():
    cases = [case("Zürich", "CH", "yes"), case('"q"', "x", note="n")]
    assert to_jsonl(cases, PLACE) == (
        '{"city": "Zürich", "country": "CH", "expected": "yes", "note": ""}\n'
        '{"city": "\\"q\\"", "country": "x", "expected": "", "note": "n"}\n'
    )


def test_a_case_is_stored_as_json_data_and_read_back():
    stored = case_to_dict(case("Paris", "France", "yes", "n"))
    assert stored == {
        "values": {"city": "Paris", "country": "France"},
        "expected": "yes",
        "note": "n",
    }
    assert case_from_dict(stored) == case("Paris", "France", "yes", "n")
    assert case_from_dict({"values": {"city": "x"}}) == Case({"city": "x"})


# Any text at all, commas, quotes, newlines and every script included.
values = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=20)
cases_lists = st.lists(
    st.builds(
        case,
        values,
        values | st.sampled_from(['a,"b"', "\r\n", "\r", " ", "é\t\n"]),
        values,
        values,
    ),
    max_size=8,
)


def _meaningful(cases):
    # A row of nothing but empty cells is a spreadsheet's padding, never a test case.
    return [c for c in cases if any(c.values.values()) or c.expected or c.note]


@given(cases_lists)
def test_csv_round_trips(cases):
    written = to_csv(cases, PLACE).encode()
    expected = _meaningful(cases)
    assert parse_csv(written, PLACE) == (expected, [] if expected else [NO_CASES])


@given(cases_lists)
def test_jsonl_round_trips(cases):
    written = to_jsonl(cases, PLACE).encode()
    assert parse_jsonl(written, PLACE)[0] == cases


@given(cases_lists)
def test_stored_cases_round_trip(cases):
    assert [case_from_dict(case_to_dict(c)) for c in cases] == cases
