"""A finished run as compare's metrics read one, for the pure tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

T0 = datetime(2025, 1, 1, 12, 0, 0, tzinfo=UTC)


def _at(seconds: float | None) -> datetime | None:
    return None if seconds is None else T0 + timedelta(seconds=seconds)


def answer(
    *,
    reasoning_at: float | None = 1.0,
    content_at: float | None = 3.0,
    finished_at: float | None = 5.0,
    usage: dict | None = None,
    content: str = "Paris.",
    reasoning: str = "The capital of France",
    finish_reason: str = "stop",
    status: str = "complete",
) -> SimpleNamespace:
    """A finished Message as far as run_metrics reads one: sent at T0, times in seconds."""
    return SimpleNamespace(
        content=content,
        reasoning=reasoning,
        usage=usage,
        finish_reason=finish_reason,
        status=status,
        sent_at=T0,
        first_reasoning_at=_at(reasoning_at),
        first_content_at=_at(content_at),
        finished_at=_at(finished_at),
    )
