"""Two versions of a prompt compared: their text side by side, word by word (the diff
itself is chat.textdiff's), and the parameters that differ."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from chat import textdiff
from chat.api import params
from chat.conversations import attachments, images
from chat.models import Attachment, PromptVersion
from chat.prompts.versions import ROLE_LABELS, indexed_messages, positive_int


@dataclass(frozen=True)
class VersionComparison:
    old: PromptVersion
    new: PromptVersion
    rows: list[textdiff.DiffRow]
    params: list[tuple[str, str, str]]  # (label, old value, new value) of those that differ

    @property
    def text_changed(self) -> bool:
        return any(row.kind != "equal" for row in self.rows)


def compare(versions: list[PromptVersion], query: Mapping[str, str]) -> VersionComparison | None:
    """The two versions chosen with ?from=&to= (by default the last two), compared.

    `versions` are the prompt's, newest first.
    """
    if len(versions) < 2:
        return None
    by_number = {version.number: version for version in versions}
    old = by_number.get(positive_int(query.get("from")) or 0, versions[1])
    new = by_number.get(positive_int(query.get("to")) or 0, versions[0])
    return VersionComparison(
        old,
        new,
        textdiff.diff_rows(_lines(old), _lines(new)),
        param_changes(old.settings, new.settings),
    )


def _lines(version: PromptVersion) -> list[tuple[str, str]]:
    """A version as (kind, text) lines: a heading per part, then its text line by line."""
    found = attachments.of_version(version)
    parts: list[tuple[str, str, list[Attachment]]] = []
    if version.system_prompt:
        parts.append(("System prompt", version.system_prompt, []))
    parts += [
        (ROLE_LABELS.get(m["role"], m["role"]), m["content"], found.get(index, []))
        for index, m in indexed_messages(version)
    ]
    lines = []
    for heading, text, attached in parts:
        lines.append(("heading", heading))
        lines += [("text", line) for line in (text.splitlines() or [""])]
        # An image changed is a line changed: its type and size tell most apart.
        lines += [("text", _image_line(image)) for image in attached]
    return lines


def _image_line(image: Attachment) -> str:
    """[image 1: image/png, 3 x 2, 70 bytes]"""
    size = images.size_text(image.size)
    shape = f"{image.width} x {image.height}"
    return f"[image {image.position + 1}: {image.content_type}, {shape}, {size}]"


def param_changes(old: dict[str, Any], new: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(label, old, new) of each parameter that differs, as the panel would show it.

    >>> param_changes({"temperature": 1.0}, {"temperature": 0.2, "top_p": None})
    [('Temperature', '1', '0.2')]
    """
    old_values, new_values = params.form_values(old), params.form_values(new)
    return [
        (param.label, old_values[name] or "unset", new_values[name] or "unset")
        for name, param in params.PARAMS.items()
        if old.get(name) != new.get(name)
    ]
