"""Remove image files nothing will send or show again (chat.conversations.cleanup): the
conversations deleted past their undo window, uploads never sent within
PLAYGROUND_PENDING_IMAGE_HOURS, and files no attachment names. Run it from a timer
(deploy/playground-clean.timer)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from chat.conversations import cleanup


class Command(BaseCommand):
    help = "Purge expired deleted conversations, stale pending uploads and orphaned image files."

    def handle(self, *args, **options) -> None:
        done = cleanup.clean()
        self.stdout.write(
            f"Purged {done.conversations} deleted conversation(s), {done.pending} pending "
            f"upload(s) and {done.orphans} orphaned file(s)."
        )
