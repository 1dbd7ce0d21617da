r"""Template variables in saved prompts: `{{name}}` placeholders, found and filled in.

A variable is two opening braces, a name of letters, digits and underscores (spaces
or newlines around it are allowed), and two closing braces: `{{topic}}` and
`{{ topic }}` are the same variable. A backslash right before two opening braces
makes them plain text: `\{{topic}}` is not a variable, and substitution writes it
as `{{topic}}`. Nothing else is special: a lone `{`, `{{two words}}`, `{{}}` and
every other backslash stay exactly as written.

For example, with {"topic": "tides"}:

    "Explain {{ topic }} simply."        -> "Explain tides simply."
    r"Jinja writes \{{ name }}; {{topic}}" -> "Jinja writes {{ name }}; tides"

Substitution is one pass: a value that itself contains `{{x}}` is inserted as it
is, never filled in again.

Pure: no Django, no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

ESCAPE = "\\{{"
# One scan finds both, left to right, so an escape and a variable never overlap.
_TOKEN_RE = re.compile(r"\\(\{\{)|\{\{\s*(\w+)\s*\}\}")


class MissingValues(ValueError):
    """Variables without a value; `names` in the order they first appear."""

    def __init__(self, names: list[str]) -> None:
        super().__init__("No value for " + ", ".join(names))
        self.names = names


def find(text: str) -> list[str]:
    r"""The variables of a text, in the order they first appear, each once.

    >>> find(r"{{a}} and {{ b }}, {{a}} again, \{{c}} is escaped")
    ['a', 'b']
    """
    return list(dict.fromkeys(m.group(2) for m in _TOKEN_RE.finditer(text) if m.group(2)))


def find_all(texts: Iterable[str]) -> list[str]:
    """The variables of several texts (a system prompt, then each message), each once."""
    return list(dict.fromkeys(name for text in texts for name in find(text)))


def missing(texts: Iterable[str], values: Mapping[str, str]) -> list[str]:
    """The variables of the texts that `values` has no entry for."""
    return [name for name in find_all(texts) if name not in values]


def substitute(text: str, values: Mapping[str, str]) -> str:
    r"""The text with every variable replaced by its value and every `\{{` by `{{`.

    Raises MissingValues, naming them all, when a variable has no value.

    >>> substitute(r"Hi {{ name }} \{{x}}", {"name": "Ada"})
    'Hi Ada {{x}}'
    """
    absent = [name for name in find(text) if name not in values]
    if absent:
        raise MissingValues(absent)
    return _TOKEN_RE.sub(lambda m: m.group(1) or values[m.group(2)], text)
