"""Writing a Markdown document a person reads: a model's Markdown kept as Markdown, made
inert; single-line values written as the literal text; values as code.

Pure: text in, text out.

What a text keeps: its Markdown (headings, lists, emphasis, tables, code, links). What
it loses, outside code: raw HTML and images. A `<` that would open a tag, a comment or
an autolink is backslash-escaped (`\\<b>` renders as the text `<b>`), and so is the `!`
of an image (`\\![x](u)` is a link to u, after a "!"), so a viewer that renders HTML in
Markdown runs nothing and fetches nothing just by showing the file. Inside code spans
and fenced code nothing changes: a backslash there would show. A fence the text leaves
open is closed, so one answer never swallows the rest of the document.
"""

from __future__ import annotations

import re

# A fence line (CommonMark: at most 3 spaces of indent, then 3+ backticks or tildes).
_FENCE_RE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_BACKTICKS_RE = re.compile(r"`+")
# What could start raw HTML or an autolink: `<` then a letter, `/`, `!` or `?`; and the
# `!` of an image.
# Backslashes already before it are counted: `\\<b>` is an escaped backslash, then a tag.
_ACTIVE_RE = re.compile(r"(\\*)(<(?=[A-Za-z/!?])|!(?=\[))")
# Inline punctuation a renderer acts on in a one-line value; `#` for headings' endings,
# `|` for tables' cells. `&` only where it would start an entity.
_INLINE_RE = re.compile(r"([\\`*_\[\]<>|#~])|&(?=#?[A-Za-z0-9]+;)")


def inert(text: str) -> str:
    """A text's Markdown as written, minus raw HTML and images (see the module)."""
    out: list[str] = []
    fence: str | None = None  # the open fence's marker
    for line in text.replace("\r\n", "\n").rstrip("\n").split("\n"):
        opened = _FENCE_RE.match(line)
        if fence is not None:
            out.append(line)
            if opened and _closes(opened.group(1), fence) and not line[opened.end() :].strip():
                fence = None
        elif opened and not (opened.group(1)[0] == "`" and "`" in line[opened.end() :]):
            fence = opened.group(1)
            out.append(line)
        else:
            out.append(_inert_line(line))
    if fence is not None:
        out.append(fence)
    return "\n".join(out).rstrip("\n") + "\n"


def _closes(marker: str, fence: str) -> bool:
    """A closing fence: the same character, at least as long (CommonMark)."""
    return marker[0] == fence[0] and len(marker) >= len(fence)


def _inert_line(line: str) -> str:
    """One line outside fenced code: its code spans as they are, the rest made inert.

    A code span is a run of n backticks up to the next run of exactly n (CommonMark);
    a run left unmatched is literal text. Spans across lines are rare enough to be
    read as text here: the worst is a backslash shown before a `<` inside one.
    """
    parts: list[str] = []
    at = 0
    runs = list(_BACKTICKS_RE.finditer(line))
    index = 0
    while index < len(runs):
        run = runs[index]
        closing = next(
            (j for j in range(index + 1, len(runs)) if len(runs[j].group()) == len(run.group())),
            None,
        )
        if closing is None:
            index += 1
            continue
        parts.append(_ACTIVE_RE.sub(_escape, line[at : run.start()]))
        parts.append(line[run.start() : runs[closing].end()])
        at = runs[closing].end()
        index = closing + 1
    parts.append(_ACTIVE_RE.sub(_escape, line[at:]))
    return "".join(parts)


def _escape(match: re.Match[str]) -> str:
    """The `<` or `!` left with an odd number of backslashes before it: escaped."""
    slashes, active = match.groups()
    return slashes + ("" if len(slashes) % 2 else "\\") + active


def inline(text: str) -> str:
    r"""One line of literal text: `<b>[x](y)` gives `\<b\>\[x\](y)`; hyphens, dots and
    ampersands stay as they are (`R&D - v1.2` is written as it is)."""
    one_line = " ".join(str(text).split())
    return _INLINE_RE.sub(lambda m: "\\" + m.group(0), one_line)


def code_span(text: str) -> str:
    """A value as inline code that shows it verbatim, in a table cell too (a `|` is
    escaped: GitHub splits cells before it reads code)."""
    one_line = " ".join(str(text).split()).replace("|", "\\|")
    longest = max((len(run) for run in _BACKTICKS_RE.findall(one_line)), default=0)
    ticks = "`" * (longest + 1)
    pad = " " if one_line.startswith("`") or one_line.endswith("`") else ""
    return f"{ticks}{pad}{one_line}{pad}{ticks}"


def fenced(text: str, info: str) -> str:
    """A fenced code block that no backtick run inside the text can close."""
    longest = max((len(run) for run in _BACKTICKS_RE.findall(text)), default=0)
    fence = "`" * max(3, longest + 1)
    body = text if text.endswith(("\n", "\r")) else text + "\n"
    return f"{fence}{info}\n{body}{fence}\n"


def quoted(text: str) -> str:
    """A block quote of a text's (inert) Markdown, every line marked."""
    return "\n".join(f"> {line}".rstrip() for line in inert(text).rstrip("\n").split("\n")) + "\n"
