"""The operator's price table: what each model costs per million tokens."""

from __future__ import annotations

from django.core.validators import MinValueValidator
from django.db import models


def _per_million(verbose_name: str, help_text: str) -> models.DecimalField:
    return models.DecimalField(
        verbose_name,
        max_digits=12,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text=help_text,
    )


class ModelPrice(models.Model):
    # The model id as sent upstream and kept on Message.model.
    model = models.CharField(max_length=200, unique=True)
    input_per_million = _per_million("input", "Per million input (prompt) tokens.")
    cached_input_per_million = _per_million(
        "cached input",
        "Per million cached input tokens. Blank: cached tokens cost the input price.",
    )
    output_per_million = _per_million(
        "output", "Per million output tokens (reasoning tokens are output tokens)."
    )
    # Until someone confirms them, prices price nothing: costs show as unknown.
    confirmed = models.BooleanField(
        default=False,
        help_text="These are the prices you pay. Unconfirmed, costs show as unknown.",
    )
    note = models.CharField(max_length=200, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["model"]
        verbose_name = "model price"

    def __str__(self) -> str:
        return self.model
