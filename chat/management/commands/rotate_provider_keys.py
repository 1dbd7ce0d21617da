"""Re-encrypt every stored API key with the newest key of PLAYGROUND_FERNET_KEYS.

Rotation: put a new key first in PLAYGROUND_FERNET_KEYS (keeping the old ones after
it), restart, run this command, then remove the old keys.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from chat.models import Provider
from chat.providers import secrets


class Command(BaseCommand):
    help = "Re-encrypt every provider's API key with the newest PLAYGROUND_FERNET_KEYS key."

    def handle(self, *args, **options) -> None:
        rotated, failed = 0, []
        with transaction.atomic():
            for row in Provider.objects.exclude(api_key_encrypted="").select_for_update():
                try:
                    row.api_key_encrypted = secrets.rotate(row.api_key_encrypted)
                except secrets.Undecryptable:
                    failed.append(row.pk)
                    continue
                row.save(update_fields=["api_key_encrypted"])
                rotated += 1
        self.stdout.write(f"Re-encrypted {rotated} API key{'s' if rotated != 1 else ''}.")
        if failed:
            ids = ", ".join(str(pk) for pk in failed)
            raise CommandError(
                f"{len(failed)} key(s) could not be decrypted with any configured key "
                f"(providers {ids}); they are unchanged: add their old key back, or have "
                "their owners enter them again."
            )
