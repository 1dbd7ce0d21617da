"""Compare mode's figures: one run's metrics, and a column's summary over its repeats.

A run's times, speeds and counts come from a Message-like object (`Answer`); a
column's summary gives each metric's spread over the runs that know it, and how far
the runs' answers agree (exactly, after folding whitespace and case, and field by
field in JSON mode).

Pure: no Django, no I/O.
"""

from __future__ import annotations

import json
import math
import re
import statistics
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Literal, NotRequired, Protocol, TypedDict, TypeGuard, cast

from chat.api import jsonmode

MetricKey = Literal[
    "first_reasoning_s",
    "reasoning_s",
    "first_answer_s",
    "total_s",
    "reasoning_tps",
    "answer_tps",
    "prompt_tokens",
    "completion_tokens",
    "reasoning_tokens",
    "cached_tokens",
    "answer_chars",
    "reasoning_chars",
]

# (key, label, unit) of the numeric run metrics, in the order the table and chart show
# them: every MetricKey once.
METRICS: list[tuple[MetricKey, str, str]] = [
    ("first_reasoning_s", "First reasoning token", "s"),
    ("reasoning_s", "Reasoning time", "s"),
    ("first_answer_s", "First answer token", "s"),
    ("total_s", "Total time", "s"),
    ("reasoning_tps", "Reasoning speed", "tokens/s"),
    ("answer_tps", "Answer speed", "tokens/s"),
    ("prompt_tokens", "Prompt tokens", "tokens"),
    ("completion_tokens", "Completion tokens", "tokens"),
    ("reasoning_tokens", "Reasoning tokens", "tokens"),
    ("cached_tokens", "Cached tokens", "tokens"),
    ("answer_chars", "Answer length", "chars"),
    ("reasoning_chars", "Reasoning length", "chars"),
]

_WHITESPACE_RE = re.compile(r"\s+")


class Answer(Protocol):
    """What run_metrics reads of a finished run (a Message has all of it)."""

    @property
    def content(self) -> str: ...
    @property
    def reasoning(self) -> str: ...
    @property
    def usage(self) -> Mapping[str, object] | None: ...
    @property
    def finish_reason(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def sent_at(self) -> datetime | None: ...
    @property
    def first_reasoning_at(self) -> datetime | None: ...
    @property
    def first_content_at(self) -> datetime | None: ...
    @property
    def finished_at(self) -> datetime | None: ...


class RunMetrics(TypedDict):
    """One run's figures: each MetricKey (None where unknown), its finish reason and status."""

    first_reasoning_s: float | None
    reasoning_s: float | None
    first_answer_s: float | None
    total_s: float | None
    reasoning_tps: float | None
    answer_tps: float | None
    prompt_tokens: int | None
    completion_tokens: int | None
    reasoning_tokens: int | None
    cached_tokens: int | None
    answer_chars: int
    reasoning_chars: int
    finish_reason: str | None
    status: str | None


class Spread(TypedDict):
    mean: float | None
    stdev: float | None
    min: float | None
    max: float | None
    n: int


class Summary(TypedDict):
    """A column's repeats: a Spread per MetricKey, then the counts summarize describes."""

    first_reasoning_s: Spread
    reasoning_s: Spread
    first_answer_s: Spread
    total_s: Spread
    reasoning_tps: Spread
    answer_tps: Spread
    prompt_tokens: Spread
    completion_tokens: Spread
    reasoning_tokens: Spread
    cached_tokens: Spread
    answer_chars: Spread
    reasoning_chars: Spread
    runs: int
    finish_reasons: dict[str, int]
    identical_exact: int
    identical_normalized: int
    json_valid: NotRequired[int]
    json_agreeing_fields: NotRequired[list[str]]
    json_fields: NotRequired[list[str]]


class JsonAgreement(TypedDict):
    json_valid: int
    json_agreeing_fields: list[str]
    json_fields: list[str]


def is_number(value: object) -> TypeGuard[float]:
    """A finite int or float (not a bool): a figure that can be shown, charted or averaged."""
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


# --- one run's figures ----------------------------------------------------------------


def run_metrics(run: Answer) -> RunMetrics:
    """The figures of one finished run; None where unknown.

    Times are seconds: to the first reasoning token, of reasoning (to the first
    answer token, or the end), to the first answer token, in total. Speeds divide
    reasoning tokens by reasoning time, and answer tokens (completion minus
    reasoning tokens) by the time from the first answer token to the end. When
    usage covers a whole request of several choices ("request_total"), this
    choice's own completion and reasoning tokens are unknown, so are the speeds.
    """
    usage = run.usage or {}
    sent = run.sent_at
    first_reasoning = run.first_reasoning_at
    first_content = run.first_content_at
    finished = run.finished_at
    content = run.content or ""
    reasoning = run.reasoning or ""

    per_choice = not usage.get("request_total")
    completion = _count(usage, "completion_tokens") if per_choice else None
    reasoning_tokens = _count(usage, "reasoning_tokens") if per_choice else None
    reasoning_s = _seconds_between(first_reasoning, first_content or finished)
    answer_s = _seconds_between(first_content, finished)
    answer_tokens = None
    if completion is not None:
        if reasoning_tokens is not None:
            answer_tokens = max(completion - reasoning_tokens, 0)
        elif not reasoning and first_reasoning is None:
            answer_tokens = completion  # nothing was reasoned, so all of it is answer
    return {
        "first_reasoning_s": _seconds_between(sent, first_reasoning),
        "reasoning_s": reasoning_s,
        "first_answer_s": _seconds_between(sent, first_content),
        "total_s": _seconds_between(sent, finished),
        "reasoning_tps": _rate(reasoning_tokens, reasoning_s),
        "answer_tps": _rate(answer_tokens, answer_s),
        "prompt_tokens": _count(usage, "prompt_tokens"),
        "completion_tokens": completion,
        "reasoning_tokens": reasoning_tokens,
        "cached_tokens": _count(usage, "cached_tokens"),
        "answer_chars": len(content),
        "reasoning_chars": len(reasoning),
        "finish_reason": run.finish_reason or None,
        "status": run.status or None,
    }


def _seconds_between(start: datetime | None, end: datetime | None) -> float | None:
    # The reading of conversations.cards.seconds_between (this pure module cannot import it).
    if start is None or end is None:
        return None
    return max((end - start).total_seconds(), 0.0)


def _count(usage: Mapping[str, object], key: str) -> int | None:
    value = usage.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _rate(tokens: int | None, seconds: float | None) -> float | None:
    if tokens is None or not seconds:
        return None
    return tokens / seconds


# --- a column over its repeats ----------------------------------------------------------


def summarize(
    runs: Sequence[Mapping[str, object]], answers: Sequence[str], json_mode: bool
) -> Summary:
    """One column's repeats in figures and in how far their answers agree.

    Each METRICS key maps to {"mean", "stdev", "min", "max", "n"} over the runs
    that know it (stdev is the population's, None with fewer than two values).
    "identical_exact" is the size of the largest group of equal answers and
    "identical_normalized" the same after folding whitespace and case, so
    "Hello  world" and "hello world" give 1 and 2. Empty answers (a failed run)
    agree with nothing. "runs" counts the runs and "finish_reasons" their reasons.

    In JSON mode also: "json_valid", how many answers are JSON objects;
    "json_agreeing_fields", the sorted keys present in every valid answer with the
    same value in each (1 and 1.0 are the same; true and 1 are not); "json_fields",
    every key seen, sorted.
    """
    spreads = {key: _spread(runs, key) for key, _, _ in METRICS}
    counts = {
        "runs": len(runs),
        "finish_reasons": dict(
            Counter(str(run["finish_reason"]) for run in runs if run.get("finish_reason"))
        ),
        "identical_exact": _largest_group(answers),
        "identical_normalized": _largest_group([_normalize(a) for a in answers]),
    }
    # A Spread for every MetricKey (METRICS lists each once) and the counts above: the
    # keys are built in loops mypy cannot follow into a TypedDict.
    summary = cast(Summary, {**spreads, **counts})
    if json_mode:
        summary.update(_json_agreement(answers))
    return summary


def _spread(runs: Sequence[Mapping[str, object]], key: str) -> Spread:
    values = [value for run in runs if is_number(value := run.get(key))]
    if not values:
        return {"mean": None, "stdev": None, "min": None, "max": None, "n": 0}
    return {
        "mean": statistics.fmean(values),
        "stdev": statistics.pstdev(values) if len(values) > 1 else None,
        "min": min(values),
        "max": max(values),
        "n": len(values),
    }


def _normalize(answer: str) -> str:
    return _WHITESPACE_RE.sub(" ", answer).strip().casefold()


def _largest_group(answers: Sequence[str]) -> int:
    counts = Counter(answer for answer in answers if answer.strip())
    return max(counts.values(), default=0)


def _json_agreement(answers: Sequence[str]) -> JsonAgreement:
    objects = [obj for answer in answers if (obj := jsonmode.as_object(answer)) is not None]
    fields = sorted({key for obj in objects for key in obj})
    agreeing = [
        key
        for key in fields
        if all(key in obj for obj in objects)
        and len({_canonical(obj[key]) for obj in objects}) == 1
    ]
    return {"json_valid": len(objects), "json_agreeing_fields": agreeing, "json_fields": fields}


def _canonical(value: object) -> str:
    try:
        return json.dumps(value, sort_keys=True, ensure_ascii=False)
    except (ValueError, RecursionError):  # pragma: no cover - a value json.loads built
        return repr(value)
