"""Read-only links to a conversation, a saved prompt or a comparison.

One kind of link, three things it may show: every link has an unguessable token, an
owner, and opens until it is revoked, expires or has been viewed as often as its owner
allowed (chat.sharing.access decides); each kind names the thing it shows (its SUBJECT)
and the URL of its public page.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import TYPE_CHECKING, ClassVar, Self, TypeVar

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from chat.models.compare import Comparison
from chat.models.conversations import Conversation
from chat.models.prompts import PromptVersion, SavedPrompt

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser

_Link = TypeVar("_Link", bound="AbstractShareLink")

# A revoked link can be brought back this long, like a deleted conversation.
UNDO_WINDOW = timedelta(minutes=10)


def new_share_token() -> str:
    return secrets.token_urlsafe(32)  # 256 bits, unguessable, not the database id


class ShareLinkQuerySet(models.QuerySet[_Link]):
    def owned_by(self, user: AbstractBaseUser) -> Self:
        """The links a person may manage: made by them, of something still theirs."""
        subject_owner = f"{self.model.SUBJECT}__owner_id"
        return self.filter(owner_id=user.pk, **{subject_owner: user.pk})

    def live(self, token: str) -> Self:
        """The link behind `token` while it opens (at most one: tokens are unique)."""
        return self.filter(token=token, revoked_at__isnull=True)

    def restorable(self, user: AbstractBaseUser) -> Self:
        """The person's links revoked less than UNDO_WINDOW ago: Undo brings them back."""
        since = timezone.now() - UNDO_WINDOW
        return self.owned_by(user).filter(revoked_at__gte=since)


class ConversationShareLinkQuerySet(ShareLinkQuerySet["ShareLink"]):
    def live(self, token: str) -> Self:
        # A deleted conversation takes its links down with it (and back, if restored).
        return super().live(token).filter(conversation__deleted_at__isnull=True)


class AbstractShareLink(models.Model):
    """What every share link has: a token, an owner, when it was made and revoked."""

    # The field naming what the link shows, and the name of the link's public page.
    SUBJECT: ClassVar[str]
    PUBLIC_URL: ClassVar[str]

    token = models.CharField(max_length=64, unique=True, default=new_share_token)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    # The owner's limits (none: forever, any number of views) and what was used of them.
    expires_at = models.DateTimeField(null=True, blank=True)
    view_limit = models.PositiveIntegerField(null=True, blank=True)
    views = models.PositiveIntegerField(default=0)
    last_viewed_at = models.DateTimeField(null=True, blank=True)

    objects = ShareLinkQuerySet.as_manager()

    class Meta:
        abstract = True
        ordering = ["-created_at"]

    def get_absolute_url(self) -> str:
        return reverse(self.PUBLIC_URL, args=[self.token])

    @property
    def label(self) -> str:
        """What the list of links calls this one, when the page does not say it already."""
        return ""

    @property
    def subject_deleted(self) -> bool:
        """Whether what it shows is in the bin (the link then opens nothing)."""
        return False

    def revoke(self) -> None:
        """Stop the link at once; revoking it again keeps the first time."""
        if self.revoked_at is not None:
            return
        self.revoked_at = timezone.now()
        # A kind with an `updated_at` (auto_now) keeps it true to the last change.
        stamps = [f.name for f in self._meta.concrete_fields if getattr(f, "auto_now", False)]
        self.save(update_fields=["revoked_at", *stamps])

    def restore(self) -> None:
        """Undo a revoke: the link opens again at the same URL, its limits as they were."""
        self.revoked_at = None
        stamps = [f.name for f in self._meta.concrete_fields if getattr(f, "auto_now", False)]
        self.save(update_fields=["revoked_at", *stamps])


class ShareLink(AbstractShareLink):
    """A read-only snapshot of a conversation's visible path, behind a random token."""

    SUBJECT = "conversation"
    PUBLIC_URL = "chat-shared"

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="share_links"
    )
    include_reasoning = models.BooleanField(default=True)
    title = models.CharField(max_length=200, blank=True)
    # What the page shows: taken at share time, refreshed by "Update".
    snapshot = models.JSONField(default=dict)
    # "Live": the page shows the conversation as it is, its answers as they stream.
    live = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    # In place of the base's manager, a class attribute (hence ClassVar) like it.
    objects: ClassVar = ConversationShareLinkQuerySet.as_manager()

    def __str__(self) -> str:
        return self.title or "Shared conversation"

    @property
    def label(self) -> str:
        return str(self)

    @property
    def subject_deleted(self) -> bool:
        return self.conversation.deleted_at is not None


class PromptShareLink(AbstractShareLink):
    """A read-only link to one version of a saved prompt, like a conversation's."""

    SUBJECT = "prompt"
    PUBLIC_URL = "chat-prompt-shared"

    prompt = models.ForeignKey(SavedPrompt, on_delete=models.CASCADE, related_name="share_links")
    version = models.ForeignKey(PromptVersion, on_delete=models.CASCADE, related_name="+")

    def __str__(self) -> str:
        return f"Share of {self.prompt}"

    @property
    def label(self) -> str:
        return f"Version {self.version.number}"


class ComparisonShareLink(AbstractShareLink):
    """A read-only snapshot of a comparison behind a random token, like a conversation's."""

    SUBJECT = "comparison"
    PUBLIC_URL = "chat-compare-shared"

    comparison = models.ForeignKey(Comparison, on_delete=models.CASCADE, related_name="share_links")
    include_reasoning = models.BooleanField(default=True)
    snapshot = models.JSONField(default=dict)

    def __str__(self) -> str:
        return f"Share of {self.comparison}"
