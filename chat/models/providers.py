"""People's own upstreams."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Provider(models.Model):
    """A person's own OpenAI-compatible upstream. The key is encrypted at rest."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="providers"
    )
    name = models.CharField(max_length=100)
    base_url = models.CharField(max_length=500)
    # MultiFernet token of the API key (chat.providers.secrets); never the key itself.
    api_key_encrypted = models.TextField(blank=True)
    # The last four characters, for the masked display ("••••abcd").
    api_key_last4 = models.CharField(max_length=4, blank=True)
    model_ids = models.JSONField(default=list, blank=True)  # from /models, editable
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name
