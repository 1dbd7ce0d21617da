"""Failures in words a person can act on (chat/api/failures.py)."""

from __future__ import annotations

import doctest

import pytest

import chat.api.failures
from chat.api.failures import UpstreamError


def test_the_docstring_examples_hold() -> None:
    assert doctest.testmod(chat.api.failures).failed == 0


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (
            UpstreamError("http", "Slow down", status=429, retry_after=7),
            "Rate limited (429): Slow down. Retry after 7 s.",
        ),
        (
            UpstreamError("http", "must be <= 2", status=400, param="temperature"),
            "The upstream rejected the request (400) — field 'temperature': must be <= 2",
        ),
        (
            UpstreamError("http", "Invalid key.", status=401),
            "Authentication failed (401): Invalid key. Check the API key.",
        ),
        (
            UpstreamError("http", "Service Unavailable", status=503),
            "The upstream failed (503): Service Unavailable.",
        ),
        (
            UpstreamError("stream", "overloaded", code="busy"),
            "The upstream reported an error (busy): overloaded.",
        ),
        (UpstreamError("timeout_first_byte", "No first token within 120 s."), None),
    ],
)
def test_errors_are_described_in_words(error: UpstreamError, expected: str | None) -> None:
    assert error.describe() == (expected or error.message)
