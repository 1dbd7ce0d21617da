"""What an evaluation's pages show: a run's matrix (test cases by columns, each answer's
check results), each column's figures, and what changed between two runs."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from chat import textdiff
from chat.compare import exports, grid
from chat.compare.metrics import run_metrics
from chat.evals import graders, matrix
from chat.models import ComparisonRun, EvaluationRow, EvaluationRun, Message
from chat.pricing import prices

FIRST_LINE_CHARS = 120
# Rows in test-case order, failing first overall, or failing first in one column
# ("column-2", from 1).
SORTS = ("case", "failing")


def is_sort(sort: str, columns: int) -> bool:
    if sort in SORTS:
        return True
    name, _, number = sort.partition("-")
    return name == "column" and number.isdigit() and 1 <= int(number) <= columns


@dataclass
class CellView:
    message: Message
    repeat: int
    grade: list | None
    first_line: str

    @property
    def passed(self) -> bool | None:
        return matrix.passed(self.grade)

    @property
    def active(self) -> bool:
        return self.message.status in (Message.Status.QUEUED, Message.Status.STREAMING)

    @property
    def results(self) -> list[tuple[str, Mapping[str, object] | None]]:
        return list(
            zip(self.check_labels, self.grade or [None] * len(self.check_labels), strict=False)
        )

    check_labels: list[str] = field(default_factory=list)


@dataclass
class RowView:
    index: int
    case: dict
    row_pk: int
    comparison_pk: int
    cells: list[list[CellView]]  # per column, its repeats

    @property
    def name(self) -> str:
        return case_name(self.case)

    @property
    def verdicts(self) -> list[bool | None]:
        return [matrix.case_passed([c.grade for c in column]) for column in self.cells]

    @property
    def failures(self) -> int:
        return sum(1 for column in self.cells for cell in column if cell.passed is False)


@dataclass
class ColumnView:
    index: int
    label: str
    changes: list[tuple[str, str]]
    check_rates: list[matrix.Rate]
    overall: matrix.Rate
    seconds: matrix.Spread
    tokens: matrix.Spread
    check_labels: list[str] = field(default_factory=list)
    # What its answers cost at the operator's prices ("unknown" without a price).
    cost: str = ""

    @property
    def sort_key(self) -> str:
        return f"column-{self.index + 1}"

    @property
    def rates(self) -> list[tuple[str, matrix.Rate]]:
        return list(zip(self.check_labels, self.check_rates, strict=False))

    @property
    def figures(self) -> str:
        """ "Time 2.4 s ± 0.3 · 1,200 tokens ± 40" """
        return f"Time {self.seconds.text('s')} · {self.tokens.text('tokens', 0)}"


@dataclass
class RunView:
    run: EvaluationRun
    checks: list[str]
    columns: list[ColumnView]
    rows: list[RowView]
    cost: str = ""

    @property
    def overall(self) -> matrix.Rate:
        grades = [cell.grade for row in self.rows for column in row.cells for cell in column]
        return matrix.overall_rate(grades)

    @property
    def active(self) -> int:
        return sum(1 for row in self.rows for column in row.cells for cell in column if cell.active)

    @property
    def judging(self) -> int:
        """Answers that ended but wait for a judge's verdict."""
        return sum(
            1
            for row in self.rows
            for column in row.cells
            for cell in column
            if not cell.active and cell.grade is not None and None in cell.grade
        )

    @property
    def answers(self) -> int:
        return sum(len(column) for row in self.rows for column in row.cells)


def case_name(case: Mapping[str, object]) -> str:
    """How a test case is named in lists: its one value, or its values by name."""
    values = case.get("values") or {}
    assert isinstance(values, Mapping)
    if len(values) == 1:
        return str(next(iter(values.values()))) or "(empty)"
    return ", ".join(f"{name}={value}" for name, value in values.items()) or "(no values)"


# A first line's Markdown marks: a heading's #s, a quote's >, a list's bullet.
_LINE_MARKS_RE = re.compile(r"^(?:#{1,6}\s+|>\s*|[-*+]\s+)+")


def first_line(text: str) -> str:
    """The answer's first non-empty line, without its Markdown marks, shortened."""
    line = next((line.strip() for line in text.splitlines() if line.strip()), "")
    line = _LINE_MARKS_RE.sub("", line)
    return line if len(line) <= FIRST_LINE_CHARS else line[: FIRST_LINE_CHARS - 1] + "…"


def _thinking(message: Message) -> str:
    """What a streaming answer shows before its first line: the end of its reasoning."""
    if message.status != Message.Status.STREAMING or not message.reasoning.strip():
        return ""
    tail = " ".join(message.reasoning.split())[-FIRST_LINE_CHARS // 2 :]
    return f"Thinking… {tail}"


def run_view(run: EvaluationRun, sort: str = "case") -> RunView:
    labels = [graders.label(check) for check in run.checks]
    # Not run.rows.all(): rows prefetched before grading would show stale grades.
    rows_by_comparison = {row.comparison_id: row for row in EvaluationRow.objects.filter(run=run)}
    slots = (
        ComparisonRun.objects.filter(comparison_id__in=list(rows_by_comparison))
        .select_related("message")
        .order_by("comparison_id", "column", "repeat", "choice")
    )
    columns_count = len(run.columns)
    cells: dict[int, list[list[CellView]]] = {
        pk: [[] for _ in range(columns_count)] for pk in rows_by_comparison
    }
    for slot in slots:
        if slot.choice != 0 or slot.column >= columns_count:
            continue  # a run's extra choices (n > 1) are not graded separately
        row = rows_by_comparison[slot.comparison_id]
        message = slot.message
        cells[slot.comparison_id][slot.column].append(
            CellView(
                message=message,
                repeat=slot.repeat,
                grade=row.grades.get(str(message.pk)),
                first_line=first_line(message.content) or _thinking(message),
                check_labels=labels,
            )
        )
    rows = [
        RowView(row.case, run.cases[row.case], row.pk, row.comparison_id, cells[pk])
        for pk, row in sorted(rows_by_comparison.items(), key=lambda item: item[1].case)
    ]
    if sort == "failing":
        rows.sort(key=lambda row: (-row.failures, row.index))
    elif sort.startswith("column-") and is_sort(sort, len(run.columns)):
        column = int(sort.partition("-")[2]) - 1
        order = {False: 0, None: 1, True: 2}  # failing, then unknown, then passing
        rows.sort(key=lambda row: (order[row.verdicts[column]], row.index))
    table = prices.table()
    column_labels = grid.column_labels(run.columns)
    changes = grid.differences(run.columns)
    columns = []
    for index, label in enumerate(column_labels):
        column_cells = [cell for row in rows for cell in row.cells[index]]
        grades = [cell.grade for cell in column_cells]
        figures = [run_metrics(cell.message) for cell in column_cells if not cell.active]
        columns.append(
            ColumnView(
                index=index,
                label=label,
                changes=changes[index] if index < len(changes) else [],
                check_rates=matrix.check_rates(grades, len(run.checks)),
                overall=matrix.overall_rate(grades),
                seconds=matrix.spread([f["total_s"] for f in figures]),
                tokens=matrix.spread([f["completion_tokens"] for f in figures]),
                check_labels=labels,
                cost=prices.total_text([cell.message for cell in column_cells], table),
            )
        )
    every = [cell.message for row in rows for column in row.cells for cell in column]
    return RunView(run, labels, columns, rows, prices.total_text(every, table))


@dataclass
class ChangeView:
    name: str
    column: str
    fixed: bool
    checks: list[str]  # the checks that flipped
    before: list[tuple[str, str]]
    after: list[tuple[str, str]]
    reasons: list[str]


def verdicts(view: RunView, names: Mapping[int, str]) -> dict[matrix.Key, bool | None]:
    """(test case, column name, check label) -> whether it passed, for the columns
    `names` names (by index), to match runs by."""
    found: dict[matrix.Key, bool | None] = {}
    for row in view.rows:
        for index, column in enumerate(row.cells):
            if index not in names:
                continue
            grades = [cell.grade for cell in column]
            for number, label in enumerate(view.checks):
                key = (matrix.case_key(row.case), names[index], label)
                found[key] = matrix.case_check_passed(grades, number)
    return found


def compare_runs(old: RunView, new: RunView) -> list[ChangeView]:
    """Test cases (in a column) with a check that went from pass to fail or back
    between two runs, with a word diff of their first answers and why the failing
    run failed. A row whose checks flipped both ways is listed under "broke". Columns
    are paired by name, or by place when a setting changed (matrix.pair_columns)."""
    new_labels = [column.label for column in new.columns]
    old_labels = [column.label for column in old.columns]
    pairs = matrix.pair_columns(old_labels, new_labels)
    names = {
        new_index: label if label == old_labels[old_index] else f"{old_labels[old_index]} → {label}"
        for new_index, old_index in pairs.items()
        for label in [new_labels[new_index]]
    }
    old_names = {old_index: names[new_index] for new_index, old_index in pairs.items()}
    answers = {}
    for view, named in ((old, old_names), (new, names)):
        for row in view.rows:
            for index, column in enumerate(row.cells):
                if column and index in named:
                    answers[(view.run.pk, matrix.case_key(row.case), named[index])] = (row, column)
    grouped: dict[tuple[str, str], list[matrix.Change]] = {}
    for change in matrix.changes(verdicts(old, old_names), verdicts(new, names)):
        grouped.setdefault((change.case_key, change.column), []).append(change)
    found = []
    for (case, name), flips in grouped.items():
        old_row, old_cells = answers[(old.run.pk, case, name)]
        _, new_cells = answers[(new.run.pk, case, name)]
        fixed = all(flip.fixed for flip in flips)
        before, after = textdiff.sides(old_cells[0].message.content, new_cells[0].message.content)
        flipped = {flip.check for flip in flips}
        failing = old_cells if fixed else new_cells
        reasons = [
            f"{label}: {result.get('reason')}"
            for cell in failing
            for label, result in cell.results
            if label in flipped and result is not None and not result.get("passed")
        ]
        found.append(
            ChangeView(
                name=case_name(old_row.case),
                column=name,
                fixed=fixed,
                checks=[flip.check for flip in flips],
                before=before,
                after=after,
                reasons=list(dict.fromkeys(reasons)),
            )
        )
    return found


def history(runs: list[EvaluationRun]) -> list[tuple[EvaluationRun, matrix.Rate]]:
    """Each run (oldest first) with its overall pass rate, from the grades kept."""
    found = []
    for run in runs:
        grades = [grade for row in run.rows.all() for grade in row.grades.values()]
        found.append((run, matrix.overall_rate(grades)))
    return found


# -- downloads -------------------------------------------------------------------------------


def run_export(view: RunView) -> dict[str, object]:
    """A run as JSON: what it ran with, and every answer with its results."""
    run = view.run
    return {
        "evaluation": run.evaluation.display_title,
        "run": run.number,
        "created_at": run.created_at.isoformat(),
        "prompt_version": run.prompt_version,
        "system_prompt": run.system_prompt,
        "messages": run.messages,
        "checks": [
            {"label": label, **check} for label, check in zip(view.checks, run.checks, strict=False)
        ],
        "columns": [
            {
                "label": column.label,
                "settings": run.columns[column.index],
                "pass_rate": column.overall.percent,
                "check_pass_rates": [rate.percent for rate in column.check_rates],
            }
            for column in view.columns
        ],
        "cases": [
            {
                **row.case,
                "answers": [
                    {
                        "column": view.columns[index].label,
                        "repeat": cell.repeat + 1,
                        "status": cell.message.status,
                        "answer": cell.message.content,
                        "reasoning": cell.message.reasoning,
                        "passed": cell.passed,
                        "results": [
                            {"check": label, **(result or {"passed": None, "reason": ""})}
                            for label, result in cell.results
                        ],
                    }
                    for index, column in enumerate(row.cells)
                    for cell in column
                ],
            }
            for row in view.rows
        ],
    }


def matrix_rows(view: RunView) -> list[list[str]]:
    """The matrix as CSV rows: one per answer, its test case, column, repeat, verdict
    and each check's result and reason. A cell a spreadsheet would run as a formula
    (model output, a test case's text) gets a leading "'"."""
    variables = list(dict.fromkeys(name for row in view.rows for name in row.case["values"]))
    header = [*variables, "expected", "note", "column", "repeat", "status", "passed", "answer"]
    for label in view.checks:
        header += [label, f"{label}: reason"]
    lines = [header]
    for row in view.rows:
        for index, column in enumerate(row.cells):
            for cell in column:
                verdict = {True: "pass", False: "fail", None: ""}[cell.passed]
                line = [str(row.case["values"].get(name, "")) for name in variables]
                line += [str(row.case.get("expected") or ""), str(row.case.get("note") or "")]
                line += [view.columns[index].label, str(cell.repeat + 1), cell.message.status]
                line += [verdict, cell.message.content]
                for _, result in cell.results:
                    if result is None:
                        line += ["", ""]
                    else:
                        line += ["pass" if result.get("passed") else "fail", str(result["reason"])]
                lines.append([exports.csv_safe(cell) for cell in line])
    return lines
