"""Two versions of a prompt compared: their text side by side, word by word (the diff
itself is chat.textdiff's), and the parameters that differ."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from chat import textdiff
from chat.api import params
from chat.models import PromptVersion
from chat.prompts.versions import ROLE_LABELS, messages_of, positive_int


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
    parts = [("System prompt", version.system_prompt)] if version.system_prompt else []
    parts += [(ROLE_LABELS.get(m["role"], m["role"]), m["content"]) for m in messages_of(version)]
    lines = []
    for heading, text in parts:
        lines.append(("heading", heading))
        lines += [("text", line) for line in (text.splitlines() or [""])]
    return lines


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
