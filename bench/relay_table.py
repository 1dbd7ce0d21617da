"""The figures of one side (app or bare reader) of one K in bench/relay.py, and the table.

>>> percentile([3.0, 1.0, 2.0], 0.5), percentile([], 0.99)
(2.0, None)
>>> duration(0.1333), duration(3.44), duration(None)
('133 ms', '3.4 s', '—')
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import dataclass, field

# "closed": the socket closed before the stream's end; "stuck": no end by the deadline.
OUTCOMES = ("lost", "duplicated", "garbled", "stuck", "closed", "error", "refused")


@dataclass
class Run:
    side: str  # "app" or "bare"
    k: int
    measured: bool = True  # False for the side --only left out: its cells stay empty
    lags: list[float] = field(default_factory=list)
    first_deltas: list[float] = field(default_factory=list)
    outcomes: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    cpu: float = 0.0  # the app's Daphne process, or the bare reader's own process
    client_cpu: float = 0.0  # this bench process (the sockets' reader) during the run
    upstream_cpu: float = 0.0
    slips: list[float] = field(default_factory=list)  # the upstream's lateness, per stream
    text_bytes: int = 0
    ws_bytes: int = 0
    frames: list[int] = field(default_factory=list)
    revisions: list[int] = field(default_factory=list)
    db_updates: int | None = None  # PostgreSQL's n_tup_upd of the messages table
    rss_growth: int = 0
    errors: dict[str, int] = field(default_factory=dict)  # the answers' error texts, counted
    lost_shown: list[float] = field(default_factory=list)  # of a lost stream, the share shown
    unsaved: int = 0  # the saved answer differs from what was sent
    finals: int = 0  # pages that were shown the finished (rendered) card
    bad_final: int = 0  # the finished card's text differs from what was sent

    @property
    def deltas(self) -> int:
        return len(self.lags)

    def failures(self) -> int:
        return sum(self.outcomes.get(name, 0) for name in OUTCOMES)

    def summary(self) -> str:
        lag = duration(percentile(self.lags, 0.99))
        return f"{self.outcomes.get('ok', 0)}/{self.k} ok, lag p99 {lag}"


def percentile(values: list[float], fraction: float) -> float | None:
    """Nearest rank."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    return f"{seconds * 1000:.0f} ms" if abs(seconds) < 1 else f"{seconds:.1f} s"


def _per_thousand(cpu: float, deltas: int) -> float | None:
    return cpu / deltas * 1000 if deltas else None


def _ms(value: float | None) -> str:
    return "—" if value is None else f"{value * 1000:.0f} ms"


def _rows(app: Run, bare: Run) -> list[tuple[str, str]]:
    app_cpu = _per_thousand(app.cpu, app.deltas)
    bare_cpu = _per_thousand(bare.cpu, bare.deltas)
    ratio = f"{app_cpu / bare_cpu:.1f}x" if app_cpu and bare_cpu else "—"
    updates = "—" if app.db_updates is None else f"{app.db_updates / app.k:.1f}"
    revisions = (
        f"{statistics.mean(app.revisions):.1f} (max {max(app.revisions)})" if app.revisions else "—"
    )
    failures = ", ".join(f"{n} {name}" for name in OUTCOMES if (n := app.outcomes.get(name)))
    bare_failures = ", ".join(f"{n} {name}" for name in OUTCOMES if (n := bare.outcomes.get(name)))
    return [
        ("lag p50, app | bare", _pair(app, bare, lambda r: percentile(r.lags, 0.5))),
        ("lag p99, app | bare", _pair(app, bare, lambda r: percentile(r.lags, 0.99))),
        ("lag max, app | bare", _pair(app, bare, lambda r: max(r.lags, default=None))),
        (
            "first delta p50, app | bare",
            _pair(app, bare, lambda r: percentile(r.first_deltas, 0.5)),
        ),
        (
            "first delta max, app | bare",
            _pair(app, bare, lambda r: max(r.first_deltas, default=None)),
        ),
        ("deltas/s, app | bare", f"{_rate(app)} | {_rate(bare)}"),
        ("CPU per 1,000 deltas, app | bare", f"{_ms(app_cpu)} | {_ms(bare_cpu)}"),
        ("CPU ratio app ÷ bare", ratio),
        ("RSS per stream (app)", f"{app.rss_growth / app.k / 1024:.0f} KiB"),
        (
            "ws bytes ÷ text bytes",
            f"{app.ws_bytes / app.text_bytes:.1f}" if app.text_bytes else "—",
        ),
        ("frames per stream", f"{statistics.mean(app.frames):.0f}" if app.frames else "—"),
        ("db writes per complete message", revisions),
        ("PG n_tup_upd of messages ÷ K", updates),
        ("streams ok, app | bare", f"{app.outcomes.get('ok', 0)} | {bare.outcomes.get('ok', 0)}"),
        ("failed streams, app", failures or "0"),
        ("failed streams, bare", bare_failures or "0"),
        ("saved text ≠ sent", str(app.unsaved)),
        ("final card shown | its text ≠ sent", f"{app.finals} | {app.bad_final}"),
        (
            "upstream late p99 (app | bare run)",
            _pair(app, bare, lambda r: percentile(r.slips, 0.99)),
        ),
        (
            "upstream CPU % (app | bare run)",
            f"{_share(app.upstream_cpu, app)} | {_share(bare.upstream_cpu, bare)}",
        ),
        ("bench client CPU % (app run)", _share(app.client_cpu, app)),
        ("wall time, app | bare", f"{app.seconds:.1f} s | {bare.seconds:.1f} s"),
    ]


def _pair(app: Run, bare: Run, figure: Callable[[Run], float | None]) -> str:
    return f"{duration(figure(app))} | {duration(figure(bare))}"


def _rate(run: Run) -> str:
    return f"{run.deltas / run.seconds:.0f}" if run.seconds else "—"


def _share(cpu: float, run: Run) -> str:
    return f"{100 * cpu / run.seconds:.0f}%" if run.seconds else "—"


def print_table(runs: list[tuple[Run, Run]], rate: float, deltas: int) -> None:
    """One column per K; each cell "app | bare" where both are measured."""
    if not runs:
        return
    rows = [_rows(app, bare) for app, bare in runs]
    names = [name for name, _ in rows[0]]
    headers = ["", *(f"K = {app.k}" for app, _ in runs)]
    table = [[name, *(column[i][1] for column in rows)] for i, name in enumerate(names)]
    widths = [max(len(row[i]) for row in [headers, *table]) for i in range(len(headers))]
    print()
    print(f"{rate:g} deltas/s per stream, {deltas} deltas per stream (ideal {rate:g}·K deltas/s)")
    for row in [headers, ["-" * w for w in widths], *table]:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
    for app, _ in runs:
        if app.lost_shown:
            print(
                f"K = {app.k}: {len(app.lost_shown)} pages lost text: they showed "
                f"{min(app.lost_shown):.0%} to {max(app.lost_shown):.0%} of it live"
            )
        for error, count in sorted(app.errors.items(), key=lambda item: -item[1]):
            print(f"K = {app.k}: {count} answers ended in error: {error[:160]}")
