"""The price table's rows, by name."""

from __future__ import annotations

from decimal import Decimal

import pytest

from chat.models import ModelPrice


@pytest.fixture
def kimi_priced(db):
    """kimi-k2-thinking at confirmed prices: $1 per million input, $0.25 cached,
    $4 output (made-up figures of the test, not the model's)."""
    row, _ = ModelPrice.objects.update_or_create(
        model="kimi-k2-thinking",
        defaults={
            "input_per_million": Decimal("1"),
            "cached_input_per_million": Decimal("0.25"),
            "output_per_million": Decimal("4"),
            "confirmed": True,
        },
    )
    return row
