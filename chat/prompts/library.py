"""The library: a person's prompts newest first, searched by words, filtered by a tag."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from django.db.models import Max, OuterRef, Subquery

from chat.models import PromptVersion
from chat.prompts.forms import tag_list
from chat.prompts.versions import my_prompts, texts

if TYPE_CHECKING:
    from django.contrib.auth.models import User

MAX_QUERY_LENGTH = 200
MAX_QUERY_WORDS = 8


@dataclass(frozen=True)
class Entry:
    """One prompt as the library lists it."""

    pk: int
    name: str
    tags: str
    tag_list: list[str]
    latest_at: datetime | None  # when its latest version was saved
    latest_id: int | None


def query_of(raw: str) -> str:
    """The search as typed, whitespace folded, cut to a sane length."""
    return " ".join(raw.split())[:MAX_QUERY_LENGTH]


def entries(user: User) -> list[Entry]:
    """Every prompt of the person's, most recently changed first."""
    rows = (
        my_prompts(user)
        .annotate(
            latest_at=Max("versions__created_at"),
            latest_id=Subquery(
                PromptVersion.objects.filter(prompt=OuterRef("pk"))
                .order_by("-number")
                .values("id")[:1]
            ),
        )
        .order_by("-updated_at", "-id")
    )
    return [
        Entry(row.pk, row.name, row.tags, tag_list(row.tags), row.latest_at, row.latest_id)
        for row in rows
    ]


def tagged(rows: list[Entry], tag: str) -> list[Entry]:
    """The entries carrying `tag` (any case); all of them when no tag is asked for."""
    if not tag:
        return rows
    return [row for row in rows if tag.casefold() in {t.casefold() for t in row.tag_list}]


def matching(rows: list[Entry], q: str) -> list[Entry]:
    """The entries whose name, tags or latest version hold every word of q (any case).

    Matched here rather than in SQL: a library is one person's, and the messages are
    JSON, whose text in the database also holds keys and escaped characters.
    """
    words = list(dict.fromkeys(word.casefold() for word in q.split()))[:MAX_QUERY_WORDS]
    latest = PromptVersion.objects.in_bulk([row.latest_id for row in rows if row.latest_id])
    found = []
    for row in rows:
        haystack = [row.name, row.tags]
        if row.latest_id and (version := latest.get(row.latest_id)):
            haystack += texts(version)
        folded = "\n".join(haystack).casefold()
        if all(word in folded for word in words):
            found.append(row)
    return found


def all_tags(rows: list[Entry]) -> list[str]:
    """Every tag in use, once, in alphabetical order (any case)."""
    return sorted({tag for row in rows for tag in row.tag_list}, key=str.casefold)
