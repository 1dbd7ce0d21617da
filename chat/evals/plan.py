"""What an evaluation run will send: its columns, each test case's prompt, and what the
whole run costs in requests and tokens before it starts.

The columns are compare mode's (chat/compare/grid.py): a base setting and up to two
swept parameters, each column run `repeats` times, for every test case.

Pure: no Django, no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from chat.compare import grid
from chat.prompts import variables

MAX_REPEATS = grid.MAX_REPEATS
# A run is made (its comparisons and queued answers written) while the person waits, and
# then holds their queue: past this many requests, fewer cases, columns or repeats.
MAX_REQUESTS = 2000
SWEEP_ROWS = range(grid.MAX_SWEEP_PARAMS)


def columns(
    base: Mapping[str, object], sweep: Sequence[Mapping[str, str]]
) -> tuple[list[dict[str, object]], dict[str, str]]:
    """The columns of a base setting and its sweep rows ({"name", "values": "0.2, 1.5"}),
    or ([], errors); no sweep is one column, the base itself."""
    axes = [
        (str(row.get("name") or ""), str(row.get("values") or "").split(","))
        for row in sweep
        if str(row.get("name") or "").strip()
    ]
    if not axes:
        built, errors = grid.expand_sweep(base, [])
        return built[:1], errors
    return grid.expand_sweep(base, axes)


def prompt_variables(system_prompt: str, messages: Sequence[Mapping[str, object]]) -> list[str]:
    """Every {{variable}} of the prompt, in order of first use."""
    return variables.find_all([system_prompt, *(str(m.get("content") or "") for m in messages)])


def filled(
    system_prompt: str, messages: Sequence[Mapping[str, object]], values: Mapping[str, str]
) -> tuple[str, list[dict[str, object]]]:
    """The prompt of one test case: its values put in for the variables."""
    return (
        variables.substitute(system_prompt, values),
        [
            {**m, "content": variables.substitute(str(m.get("content") or ""), values)}
            for m in messages
        ],
    )


@dataclass(frozen=True)
class Estimate:
    requests: int
    # The most completion tokens the run can spend; None when a column is unbounded.
    max_tokens: int | None
    unbounded_columns: list[int]


def estimate(cases: int, run_columns: Sequence[Mapping[str, object]], repeats: int) -> Estimate:
    """Requests and the token bound of a run: compare mode's, once per test case."""
    one = grid.estimate(run_columns, repeats)
    bound = None if one.max_tokens is None else one.max_tokens * cases
    return Estimate(one.requests * cases, bound, one.unbounded_columns)


def prompt_tokens(system_prompt: str, messages: Sequence[Mapping[str, object]]) -> int:
    """A generous guess at a prompt's tokens before it is sent: one per three
    characters (English runs nearer four), plus a few per message for the roles."""
    chars = len(system_prompt) + sum(len(str(m.get("content") or "")) for m in messages)
    return chars // 3 + 8 * (len(messages) + 1)


def repeats_error(text: str) -> tuple[int, str | None]:
    """The repeats a person typed, or 1 and why not."""
    try:
        value = int(text.strip())
    except ValueError:
        return 1, "Repeats must be a whole number."
    if not 1 <= value <= MAX_REPEATS:
        return 1, f"Repeats must be between 1 and {MAX_REPEATS}."
    return value, None
