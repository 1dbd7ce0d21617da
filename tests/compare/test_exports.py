"""Compare mode's downloads: the CSV's rows from the columns' summaries."""

from __future__ import annotations

import pytest

from chat.compare.exports import summary_rows
from chat.compare.metrics import run_metrics, summarize
from tests.compare.answers import answer


def test_csv_rows_have_a_header_and_one_row_per_column():
    runs = [run_metrics(answer(usage={"completion_tokens": 10})), run_metrics(answer())]
    summaries = [
        summarize(runs, ["A", "a"], json_mode=False),
        summarize(runs[:1], ['{"x": 1}'], json_mode=True),
    ]
    rows = summary_rows(["1", "2"], summaries)
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
    rows = summary_rows(["=HYPERLINK(1)", "-0.5", "@x"], [summary] * 3)
    assert [row[0] for row in rows[1:]] == ["'=HYPERLINK(1)", "-0.5", "'@x"]


def test_csv_rows_need_a_label_per_summary():
    with pytest.raises(ValueError):
        summary_rows(["1"], [])
