"""Diffs of text: word by word (answers, reasoning, prompt lines) and line by line, side
by side (two versions of a saved prompt). Pure: strings in, pieces out."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

# A word, or one punctuation mark, with the whitespace before it: a diff never matches
# on a lone space, and a word added at the end shows as " word". Whitespace at the very
# end is a token of its own; together the alternatives cover every character, which is
# what makes the diff round-trip.
_TOKEN_RE = re.compile(r"\s*\w+|\s*[^\w\s]|\s+")


def word_diff(a: str, b: str) -> list[tuple[str, str]]:
    """The word-level changes from a to b as (op, text), op "equal", "delete" or "insert".

    Tokens keep their whitespace, so joining the "equal" and "delete" texts gives a
    back, and "equal" and "insert" give b. Adjacent pieces with the same op are
    merged: word_diff("the cat sat", "the dog sat") is
    [("equal", "the"), ("delete", " cat"), ("insert", " dog"), ("equal", " sat")].
    """
    old, new = _TOKEN_RE.findall(a), _TOKEN_RE.findall(b)
    pieces: list[tuple[str, str]] = []
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag in ("equal", "delete", "replace"):
            _add_piece(pieces, "equal" if tag == "equal" else "delete", "".join(old[i1:i2]))
        if tag in ("insert", "replace"):
            _add_piece(pieces, "insert", "".join(new[j1:j2]))
    return pieces


def _add_piece(pieces: list[tuple[str, str]], op: str, text: str) -> None:
    if not text:
        return
    if pieces and pieces[-1][0] == op:
        pieces[-1] = (op, pieces[-1][1] + text)
    else:
        pieces.append((op, text))


def sides(a: str, b: str) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """word_diff as two sides: a's pieces marked "" or "del", b's marked "" or "ins".

    >>> sides("the cat", "the dog")
    ([('', 'the'), ('del', ' cat')], [('', 'the'), ('ins', ' dog')])
    """
    marks = {"equal": "", "delete": "del", "insert": "ins"}
    left: list[tuple[str, str]] = []
    right: list[tuple[str, str]] = []
    for op, text in word_diff(a, b):
        if op != "insert":
            _add_piece(left, marks[op], text)
        if op != "delete":
            _add_piece(right, marks[op], text)
    return left, right


@dataclass(frozen=True)
class DiffRow:
    """One row of the side-by-side diff. A side is None when the line is only on the
    other side; otherwise a list of (mark, text) pieces, mark "" (same), "del" or "ins"."""

    kind: str  # "equal" | "change" | "delete" | "insert"
    old: list[tuple[str, str]] | None
    new: list[tuple[str, str]] | None
    heading: bool = False


def diff_rows(old: list[tuple[str, str]], new: list[tuple[str, str]]) -> list[DiffRow]:
    """Side-by-side rows of two lists of (kind, text) lines; changed lines word by word.

    >>> [r.new for r in diff_rows([("text", "Be brief.")], [("text", "Be very brief.")])]
    [[('', 'Be'), ('ins', ' very'), ('', ' brief.')]]
    """
    rows: list[DiffRow] = []
    matcher = difflib.SequenceMatcher(None, old, new)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            rows += [
                DiffRow("equal", [("", a[1])], [("", b[1])], a[0] == "heading")
                for a, b in zip(old[i1:i2], new[j1:j2], strict=True)
            ]
            continue
        olds, news = old[i1:i2], new[j1:j2]
        for k in range(max(len(olds), len(news))):
            a = olds[k] if k < len(olds) else None
            b = news[k] if k < len(news) else None
            if a and b and a[0] == b[0]:
                rows.append(DiffRow("change", *sides(a[1], b[1]), a[0] == "heading"))
                continue
            if a:
                rows.append(DiffRow("delete", [("del", a[1])], None, a[0] == "heading"))
            if b:
                rows.append(DiffRow("insert", None, [("ins", b[1])], b[0] == "heading"))
    return rows
