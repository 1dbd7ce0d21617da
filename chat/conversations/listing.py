"""The conversation list and the sidebar: listing, search, pin, delete with an undo."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, TypedDict
from urllib.parse import urlencode

from django.contrib import messages as flash
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.decorators import login_required
from django.db.models import Exists, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.fields.json import KT
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from chat import sessions, web
from chat.conversations import cleanup, search
from chat.conversations.cleanup import UNDO_WINDOW
from chat.models import Conversation, Message
from chat.simulator.markers import without_markers
from chat.web import AuthedRequest

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

CONVERSATIONS_PER_PAGE = 50
MAX_QUERY_LENGTH = 200
MAX_QUERY_WORDS = 8
# Characters of context an excerpt keeps before and after the first match.
EXCERPT_BEFORE = 60
EXCERPT_AFTER = 120
# Larger numbers than this are not a page or a conversation (and overflow SQLite).
_MAX_INT = 2**53
_ROWS = "conversations/list.html#rows"


class _Listed(TypedDict):
    """What the list's query adds to each conversation (hit_id only for a search)."""

    model_name: str | None
    hit_id: int | None


@dataclass
class Row:
    """One conversation as its row shows it; a search marks its words in the title and
    adds an excerpt of the first message that has them."""

    conversation: Conversation
    model_name: str | None = None
    title_html: SafeString | None = None
    excerpt: SafeString | None = None
    excerpt_label: str = ""

    @property
    def pk(self) -> int:
        return self.conversation.pk

    @property
    def pinned(self) -> bool:
        return self.conversation.pinned

    @property
    def display_title(self) -> str:
        return self.conversation.display_title

    @property
    def updated_at(self) -> datetime:
        return self.conversation.updated_at


@dataclass
class Listing:
    """One page of a person's conversations, as the list page and the sidebar show it."""

    rows: list[Row]
    number: int
    has_next: bool
    q: str = ""
    # The conversation open beside the sidebar, marked as the current page.
    current: int | None = None

    @property
    def next_query(self) -> str:
        query = {"q": self.q, "page": self.number + 1, "current": self.current}
        return urlencode({key: value for key, value in query.items() if value})


def listing(
    user: AbstractBaseUser, q: str = "", number: int = 1, current: int | None = None
) -> Listing:
    """A page of the user's used conversations, pinned first, then the latest activity.

    One query for the rows; a search adds one per word (its index, search.py) and one
    for the excerpts. The row after the page is fetched to know whether there is a next
    page, so there is no COUNT.
    """
    q = " ".join(q.split())[:MAX_QUERY_LENGTH]
    words = search_words(q)
    start = (number - 1) * CONVERSATIONS_PER_PAGE
    found = list(_conversations(user, words)[start : start + CONVERSATIONS_PER_PAGE + 1])
    shown = found[:CONVERSATIONS_PER_PAGE]
    rows = [Row(conversation, model_name=conversation.model_name) for conversation in shown]
    if words:
        _add_excerpts(rows, [conversation.hit_id for conversation in shown], words)
    return Listing(
        rows=rows,
        number=number,
        has_next=len(found) > CONVERSATIONS_PER_PAGE,
        q=q,
        current=current,
    )


def search_words(q: str) -> list[str]:
    """The distinct words of a search, lower-cased, at most MAX_QUERY_WORDS of them.

    >>> search_words("Recursion  recursion BASE case")
    ['recursion', 'base', 'case']
    """
    return list(dict.fromkeys(word.lower() for word in q.split()))[:MAX_QUERY_WORDS]


def highlight(text: str, words: Sequence[str]) -> SafeString:
    """The text escaped, each case-insensitive occurrence of a word wrapped in <mark>.

    >>> highlight("<b>Tea</b> and tea", ["tea"])
    '&lt;b&gt;<mark>Tea</mark>&lt;/b&gt; and <mark>tea</mark>'
    """
    if not words:
        return escape(text)
    pieces, last = [], 0
    for match in _pattern(words).finditer(text):
        pieces.append(escape(text[last : match.start()]))
        pieces.append(format_html("<mark>{}</mark>", match.group()))
        last = match.end()
    pieces.append(escape(text[last:]))
    # Safe: every piece was escaped (or built by format_html) above.
    return mark_safe("".join(pieces))  # noqa: S308


def excerpt(text: str, words: Sequence[str]) -> SafeString:
    """A short stretch of text around the first match, cut at spaces, matches marked.

    >>> excerpt("one two three", ["two"])
    'one <mark>two</mark> three'

    Empty when no word occurs in the text.
    """
    folded = " ".join(text.split())
    match = _pattern(words).search(folded) if words else None
    if match is None:
        return SafeString("")
    start = max(0, match.start() - EXCERPT_BEFORE)
    end = min(len(folded), match.end() + EXCERPT_AFTER)
    if start > 0 and (space := folded.find(" ", start, match.start())) != -1:
        start = space + 1
    if end < len(folded) and (space := folded.rfind(" ", match.end(), end)) != -1:
        end = space
    text = ("…" if start > 0 else "") + folded[start:end] + ("…" if end < len(folded) else "")
    return highlight(text, words)


@login_required
@require_GET
def conversation_list(request: AuthedRequest) -> HttpResponse:
    """The list page; htmx asks for just the rows (search as you type, "Load more")."""
    page = listing(
        request.user,
        q=request.GET.get("q", ""),
        number=_positive_int(request.GET.get("page")) or 1,
        current=_positive_int(request.GET.get("current")),
    )
    if web.is_htmx(request):
        return render(request, _ROWS, {"listing": page})
    context = {"listing": page, "deleted": _just_deleted(request.user, request.GET.get("deleted"))}
    return render(request, "conversations/list.html", context)


@login_required
@require_POST
def pin_conversation(request: AuthedRequest, pk: int) -> HttpResponse:
    """Pin or unpin; htmx gets the first page of the list again, now in its new order."""
    conversation = get_object_or_404(Conversation.objects.owned_by(request.user), pk=pk)
    conversation.pinned = not conversation.pinned
    # Only the pin: pinning is not activity, so updated_at (the list order) stays.
    conversation.save(update_fields=["pinned"])
    sessions.tell_lists(request.user.pk)  # the person's other tabs
    q = request.POST.get("q", "")
    current = _positive_int(request.POST.get("current"))
    if web.is_htmx(request):
        return render(request, _ROWS, {"listing": listing(request.user, q=q, current=current)})
    action = "Pinned" if conversation.pinned else "Unpinned"
    flash.success(request, f"{action} “{conversation.display_title}”.")
    if current:
        return redirect("chat-conversation", pk=current)
    return redirect(_list_url(q=q))


@login_required
@require_http_methods(["GET", "POST"])
def delete_conversation(request: AuthedRequest, pk: int) -> HttpResponse:
    """Ask first; then hide the conversation at once, restorable for UNDO_WINDOW."""
    conversation = get_object_or_404(Conversation.objects.owned_by(request.user), pk=pk)
    if request.method == "GET":
        return render(request, "conversations/delete_confirm.html", {"conversation": conversation})
    now = timezone.now()
    # Those past their undo window go for good now (messages, links, image files).
    cleanup.purge_expired(request.user.pk)
    Conversation.objects.filter(pk=conversation.pk).update(deleted_at=now)
    sessions.tell_lists(request.user.pk)
    return redirect(_list_url(deleted=conversation.pk))


@login_required
@require_POST
def restore_conversation(request: AuthedRequest, pk: int) -> HttpResponse:
    """Undo a delete made less than UNDO_WINDOW ago; later, or anyone else's, is a 404."""
    conversation = get_object_or_404(_restorable(request.user).only("id", "title"), pk=pk)
    Conversation.objects.filter(pk=conversation.pk).update(deleted_at=None)
    sessions.tell_lists(request.user.pk)
    flash.success(request, f"Restored “{conversation.display_title}”.")
    return redirect("chat-list")


def _conversations(
    user: AbstractBaseUser, words: Sequence[str]
) -> QuerySet[WithAnnotations[Conversation, _Listed]]:
    # The filter and the order match the index conv_owner_listing, so a page is a
    # walk down the index; a search adds correlated lookups per candidate row.
    rows = (
        Conversation.objects.owned_by(user)
        .filter(started_at__isnull=False, hidden=False)
        .order_by("-pinned", "-updated_at", "-id")
        .only("id", "title", "pinned", "updated_at")
        .annotate(model_name=KT("settings__model"))
    )
    for word in words:
        # A rare word's conversations come from the text index; a common one's are
        # found by looking inside each conversation as the list walks (search.py).
        found = search.conversations_holding(user.pk, word)
        if found is None:
            in_messages: Q | Exists = Exists(
                Message.objects.filter(search.holds(word), conversation=OuterRef("pk"))
            )
        else:
            in_messages = Q(pk__in=sorted(found))
        rows = rows.filter(Q(title__icontains=word) | in_messages)
    # Every row has hit_id (the first message with a word), empty when nothing is searched.
    hit_id: Subquery | Value = Value(None, output_field=IntegerField())
    if words:
        first_hit = Message.objects.filter(
            search.holds_any(words), conversation=OuterRef("pk")
        ).order_by("id")
        hit_id = Subquery(first_hit.values("id")[:1])
    return rows.annotate(hit_id=hit_id)


def _add_excerpts(rows: list[Row], hit_ids: list[int | None], words: Sequence[str]) -> None:
    """Marks each row's title; `hit_ids` are the rows' first messages with a word."""
    hits = Message.objects.only("role", "content", "reasoning").in_bulk(
        [pk for pk in hit_ids if pk]
    )
    for row, hit_id in zip(rows, hit_ids, strict=True):
        row.title_html = highlight(row.display_title, words)
        if hit_id and (hit := hits.get(hit_id)):
            _choose_excerpt(row, hit, words)


def _choose_excerpt(row: Row, hit: Message, words: Sequence[str]) -> None:
    """The excerpt from the answer (or prompt) if a word is there, else from the reasoning."""
    answer_label = "Prompt" if hit.role == Message.Role.USER else "Answer"
    for text, label in ((hit.content, answer_label), (hit.reasoning, "Reasoning")):
        if found := excerpt(without_markers(text), words):
            row.excerpt, row.excerpt_label = found, label
            return


def _just_deleted(user: AbstractBaseUser, raw_pk: str | None) -> Conversation | None:
    """The conversation the Undo banner offers back, while it still can be."""
    pk = _positive_int(raw_pk)
    return _restorable(user).only("id", "title").filter(pk=pk).first() if pk else None


def _restorable(user: AbstractBaseUser) -> QuerySet[Conversation]:
    cutoff = timezone.now() - UNDO_WINDOW
    return Conversation.objects.filter(owner_id=user.pk, deleted_at__gte=cutoff)


def _pattern(words: Sequence[str]) -> re.Pattern[str]:
    # Longest first, so a search for "tea teapot" marks all of "teapot", not just "tea".
    alternatives = sorted({re.escape(word) for word in words}, key=len, reverse=True)
    return re.compile("|".join(alternatives), re.IGNORECASE)


def _positive_int(raw: str | None) -> int | None:
    try:
        value = int(raw or "")
    except ValueError:
        return None
    return value if 0 < value < _MAX_INT else None


def _list_url(**query: str | int) -> str:
    query = {key: value for key, value in query.items() if value}
    return reverse("chat-list") + (f"?{urlencode(query)}" if query else "")
