"""The rule of whether a share link opens, and the owner's limits as a form gives them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chat.sharing.access import KEEP, Limits, LinkState, Verdict, decide, read_limits, views_left

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


@pytest.mark.parametrize(
    ("link", "within_view", "verdict"),
    [
        (LinkState(None, None, None, 0), False, Verdict.OPEN),
        (LinkState(None, None, None, 10**6), False, Verdict.OPEN),
        (LinkState(NOW - HOUR, None, None, 0), False, Verdict.REVOKED),
        (LinkState(NOW - HOUR, None, None, 0), True, Verdict.REVOKED),
        (LinkState(None, NOW + HOUR, None, 0), False, Verdict.OPEN),
        (LinkState(None, NOW, None, 0), False, Verdict.EXPIRED),
        (LinkState(None, NOW - HOUR, None, 0), True, Verdict.EXPIRED),
        (LinkState(None, None, 3, 2), False, Verdict.OPEN),
        (LinkState(None, None, 3, 3), False, Verdict.EXHAUSTED),
        # The images and socket of the view that took the last one still open.
        (LinkState(None, None, 3, 3), True, Verdict.OPEN),
        # Revoked wins over everything else; expired over exhausted.
        (LinkState(NOW - HOUR, NOW - HOUR, 1, 1), False, Verdict.REVOKED),
        (LinkState(None, NOW - HOUR, 1, 1), False, Verdict.EXPIRED),
    ],
)
def test_it_decides_whether_a_link_opens(link, within_view, verdict):
    assert decide(link, NOW, within_view=within_view) is verdict


@pytest.mark.parametrize(
    ("form", "limits", "problem"),
    [
        ({}, Limits("never", None), ""),
        ({"expiry": "1d", "view_limit": ""}, Limits("1d", None), ""),
        ({"expiry": "7d", "view_limit": "10"}, Limits("7d", 10), ""),
        ({"expiry": "30d", "view_limit": " 1 "}, Limits("30d", 1), ""),
        ({"expiry": "never", "view_limit": "0"}, Limits("never", None), "whole number"),
        ({"expiry": "never", "view_limit": "-3"}, Limits("never", None), "whole number"),
        ({"expiry": "never", "view_limit": "2.5"}, Limits("never", None), "whole number"),
        ({"expiry": "never", "view_limit": "1000001"}, Limits("never", None), "whole number"),
        ({"expiry": "2d"}, Limits("never", None), "Choose an expiry"),
        ({"expiry": KEEP, "view_limit": "5"}, Limits(KEEP, 5), ""),
    ],
)
def test_it_reads_the_limits_of_a_form(form, limits, problem):
    read, said = read_limits(form)
    assert read == limits
    assert (problem in said) if problem else said == ""


@pytest.mark.parametrize(
    ("expiry", "current", "expires"),
    [
        ("1d", None, NOW + timedelta(days=1)),
        ("7d", NOW + HOUR, NOW + timedelta(days=7)),
        ("30d", None, NOW + timedelta(days=30)),
        ("never", NOW + HOUR, None),
        (KEEP, NOW + HOUR, NOW + HOUR),
        (KEEP, None, None),
    ],
)
def test_an_expiry_counts_from_now_or_is_kept(expiry, current, expires):
    assert Limits(expiry, None).expires_at(NOW, current) == expires


@pytest.mark.parametrize(
    ("link", "left"),
    [
        (LinkState(None, None, None, 4), None),
        (LinkState(None, None, 5, 4), 1),
        (LinkState(None, None, 2, 4), 0),
    ],
)
def test_it_counts_the_views_left(link, left):
    assert views_left(link) == left
