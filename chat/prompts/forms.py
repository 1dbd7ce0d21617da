"""The "Save prompt" form, and how typed tags are tidied."""

from __future__ import annotations

from typing import Any

from django import forms

NAME_LENGTH = 200
TAGS_LENGTH = 300
NOTE_LENGTH = 300
MAX_INT = 2**53  # larger numbers are not a version or a prompt (and overflow SQLite)


class SaveForm(forms.Form):
    """The "Save prompt" form: a new prompt (named), or a new version of one of yours."""

    target = forms.IntegerField(required=False, min_value=1, max_value=MAX_INT)
    name = forms.CharField(max_length=NAME_LENGTH, required=False)
    tags = forms.CharField(max_length=TAGS_LENGTH, required=False)
    note = forms.CharField(max_length=NOTE_LENGTH, required=False)

    def clean_tags(self) -> str:
        tags = ", ".join(tag_list(self.cleaned_data["tags"]))
        if len(tags) > TAGS_LENGTH:
            raise forms.ValidationError(f"Tags are too long (at most {TAGS_LENGTH} characters).")
        return tags

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if not data.get("target") and "name" in data and not data["name"]:
            self.add_error("name", "Give the new prompt a name.")
        return data


def tag_list(tags: str) -> list[str]:
    """Comma-separated tags, spaces folded, empty ones and repeats (any case) dropped.

    >>> tag_list(" Work,  code review ,,work, Fun ")
    ['Work', 'code review', 'Fun']
    """
    seen: dict[str, str] = {}
    for raw in tags.split(","):
        tag = " ".join(raw.split())
        if tag:
            seen.setdefault(tag.casefold(), tag)
    return list(seen.values())
