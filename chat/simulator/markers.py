r"""Simulator markers (`[[sim:tps=5]]`) and the text people see without them.

A marker is an instruction to the simulator, written in a prompt. It stays in the
prompt the person wrote and in what is sent upstream (the simulator reads it there),
but it is never part of what the conversation is called or shows to others: titles,
the history list, share pages and exports show the prompt without it.

    >>> without_markers("Explain recursion [[sim:tps=5,words=20]]")
    'Explain recursion'
    >>> without_markers("Hi [[sim:fault=429]] there")
    'Hi there'
"""

from __future__ import annotations

import re

MARKER_RE = re.compile(r"\[\[sim:([^\]]*)\]\]")
# A line holding nothing but markers goes with its line break.
_MARKER_LINE_RE = re.compile(r"^[ \t]*(?:\[\[sim:[^\]]*\]\][ \t]*)+(?:\n|\Z)", re.MULTILINE)
# Markers side by side, with the spaces around them on their line.
_SPACED_MARKER_RE = re.compile(r"[ \t]*(?:\[\[sim:[^\]]*\]\][ \t]*)+")


def without_markers(text: str) -> str:
    """`text` with every marker removed; other text (indentation, blank lines) is kept.

    A marker between words leaves one space if it had space around it; at the start or
    end of a line it leaves none; a line of markers alone is removed, and so is the
    whitespace a removed marker leaves at the end.
    """
    if "[[sim:" not in text:
        return text
    text = _MARKER_LINE_RE.sub("", text)
    return _SPACED_MARKER_RE.sub(lambda match: _gap(text, match), text).rstrip()


def _gap(text: str, match: re.Match[str]) -> str:
    before = text[match.start() - 1] if match.start() > 0 else "\n"
    after = text[match.end()] if match.end() < len(text) else "\n"
    spaced = match.group(0) != match.group(0).strip()
    return " " if spaced and before != "\n" and after != "\n" else ""
