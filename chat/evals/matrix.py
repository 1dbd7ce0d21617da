"""An evaluation run in figures: which answers passed, each column's pass rates, what
changed between two runs, and the pass rate of every run for the chart.

A grade is one answer's results, one per check in order: {"passed": bool, "reason":
str}, or None while it is not known (the answer still streams, or a judge has not
answered). An answer passes when every check passed; a test case passes in a column
when every repeat of it passed.

Pure: no Django, no I/O.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

Grade = Sequence[Mapping[str, object] | None]
# What a figure shows before anything is known: an en dash.
NOTHING = "\u2013"


def passed(grade: Grade | None) -> bool | None:
    """Whether an answer passed every check: None while any result is unknown, or when
    there are no checks to pass."""
    if not grade or any(result is None for result in grade):
        return None
    return all(bool(result and result.get("passed")) for result in grade)


def case_passed(grades: Sequence[Grade | None]) -> bool | None:
    """A test case in one column: passed when every repeat passed, failed as soon as one
    failed, unknown otherwise."""
    verdicts = [passed(grade) for grade in grades]
    if any(verdict is False for verdict in verdicts):
        return False
    if verdicts and all(verdict is True for verdict in verdicts):
        return True
    return None


def case_check_passed(grades: Sequence[Grade | None], index: int) -> bool | None:
    """A test case in one column, for one check: as case_passed, over that check alone."""
    results = [g[index] if g is not None and index < len(g) else None for g in grades]
    if any(r is not None and not r.get("passed") for r in results):
        return False
    if results and all(r is not None for r in results):
        return True
    return None


@dataclass(frozen=True)
class Rate:
    passed: int
    graded: int

    @property
    def percent(self) -> int | None:
        return round(100 * self.passed / self.graded) if self.graded else None

    @property
    def text(self) -> str:
        """ "67% (2 of 3)", or NOTHING before anything is graded."""
        if not self.graded:
            return NOTHING
        return f"{self.percent}% ({self.passed} of {self.graded})"


def check_rates(grades: Sequence[Grade | None], checks: int) -> list[Rate]:
    """Per check, how many of the answers it graded passed."""
    rates = []
    for index in range(checks):
        results = [g[index] for g in grades if g is not None and index < len(g)]
        known = [r for r in results if r is not None]
        rates.append(Rate(sum(1 for r in known if r.get("passed")), len(known)))
    return rates


def overall_rate(grades: Sequence[Grade | None]) -> Rate:
    """How many answers passed every check, of those fully graded."""
    verdicts = [v for g in grades if (v := passed(g)) is not None]
    return Rate(sum(verdicts), len(verdicts))


@dataclass(frozen=True)
class Spread:
    mean: float | None
    stdev: float | None
    n: int

    def text(self, unit: str, digits: int = 1) -> str:
        """ "2.4 s ± 0.3", "1,200 tokens", or NOTHING."""
        if self.mean is None:
            return NOTHING
        mean = f"{self.mean:,.{digits}f}"
        spread = f" ± {self.stdev:,.{digits}f}" if self.stdev is not None else ""
        return f"{mean}{spread} {unit}".rstrip()


def spread(values: Sequence[float | int | None]) -> Spread:
    known = [float(v) for v in values if v is not None]
    if not known:
        return Spread(None, None, 0)
    stdev = statistics.pstdev(known) if len(known) > 1 else None
    return Spread(statistics.fmean(known), stdev, len(known))


def case_key(case: Mapping[str, object]) -> str:
    """What names a test case across runs: its values and expected output (rows may be
    reordered or added between runs; an edited row is a new one)."""
    return json.dumps(
        [case.get("values") or {}, case.get("expected") or ""], sort_keys=True, ensure_ascii=False
    )


Key = tuple[str, str, str]  # (case_key, column name, check label)


def pair_columns(old: Sequence[str], new: Sequence[str]) -> dict[int, int]:
    """Which column of an earlier run each column of a later one is compared with (new
    index -> old index): the one of the same name, else the one in the same place whose
    name the later run does not use (a setting edited between the runs).

    >>> pair_columns(["T 0.2", "T 1.5"], ["T 1.5", "T 0.3"])
    {0: 1}
    >>> pair_columns(["T 0.2"], ["T 0.3"])
    {0: 0}
    """
    by_name = {name: index for index, name in enumerate(old)}
    pairs = {index: by_name[name] for index, name in enumerate(new) if name in by_name}
    taken = set(pairs.values())
    for index, _ in enumerate(new):
        if index not in pairs and index < len(old) and index not in taken and old[index] not in new:
            pairs[index] = index
            taken.add(index)
    return pairs


@dataclass(frozen=True)
class Change:
    case_key: str
    column: str
    check: str
    was: bool
    now: bool

    @property
    def fixed(self) -> bool:
        return self.now and not self.was


def changes(before: Mapping[Key, bool | None], after: Mapping[Key, bool | None]) -> list[Change]:
    """The (test case, column, check) verdicts both runs know that flipped, in the
    later run's order: pass to fail ("broke") and fail to pass ("fixed")."""
    flipped = []
    for key, now in after.items():
        was = before.get(key)
        if was is None or now is None or was == now:
            continue
        flipped.append(Change(key[0], key[1], key[2], was, now))
    return flipped


# -- the pass rate per run, as a chart ----------------------------------------------------

CHART_WIDTH = 480
CHART_HEIGHT = 120
CHART_PAD = 24


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    label: str  # "Run 3: 67%"


def chart_points(rates: Sequence[tuple[int, int | None]]) -> list[Point]:
    """(run number, percent or None) oldest first -> points of a line chart in a
    CHART_WIDTH by CHART_HEIGHT box; a run with nothing graded has no point."""
    known = [(number, percent) for number, percent in rates if percent is not None]
    if not known:
        return []
    inner_w = CHART_WIDTH - 2 * CHART_PAD
    inner_h = CHART_HEIGHT - 2 * CHART_PAD
    step = inner_w / (len(known) - 1) if len(known) > 1 else 0.0
    points = []
    for index, (number, percent) in enumerate(known):
        x = CHART_PAD + (index * step if len(known) > 1 else inner_w / 2)
        y = CHART_PAD + inner_h * (1 - percent / 100)
        points.append(Point(round(x, 1), round(y, 1), f"Run {number}: {percent}%"))
    return points
