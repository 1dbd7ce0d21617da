"""The simulator as a judge: a grading request is answered with a one-line verdict.

A request is a grading request when its system message asks for exactly one line
"PASS: <reason>" or "FAIL: <reason>" and its last user message holds the rubric and
the answer between tags (<rubric>, <answer>, and <expected_output> when there is one),
as an evaluation's model-graded check sends them. The verdict is deterministic, so a
test knows it in advance:

- every phrase the rubric puts in double quotes must appear in the answer (case is
  ignored): "PASS: The answer mentions "Paris"." / "FAIL: The answer does not mention
  "Lyon".";
- a rubric without quoted phrases passes when the answer contains the expected output
  (or, with none, when the answer is not empty).

    >>> asks = 'Reply "PASS: <reason>" or "FAIL: <reason>".'
    >>> graded = '<rubric>Names "Paris"</rubric><answer>Paris.</answer>'
    >>> verdict([{"role": "system", "content": asks}, {"role": "user", "content": graded}])
    'PASS: The answer mentions "Paris".'

Pure: no Django, no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from chat.simulator.prompt import text_of

_ASKS_FOR_VERDICT = ("PASS: <reason>", "FAIL: <reason>")
_QUOTED_RE = re.compile(r'"([^"\n]{1,200})"')


def verdict(messages: Sequence[Any]) -> str | None:
    """The judge's reply to a grading request, or None for any other request."""
    system = " ".join(
        text_of(m.get("content"))
        for m in messages
        if isinstance(m, Mapping) and m.get("role") == "system"
    )
    if not all(phrase in system for phrase in _ASKS_FOR_VERDICT):
        return None
    users = [m for m in messages if isinstance(m, Mapping) and m.get("role") == "user"]
    if not users:
        return None
    text = text_of(users[-1].get("content"))
    rubric, answer = _tagged(text, "rubric"), _tagged(text, "answer")
    if rubric is None or answer is None:
        return None
    expected = _tagged(text, "expected_output")
    wanted = _QUOTED_RE.findall(rubric)
    folded = answer.casefold()
    if wanted:
        missing = [phrase for phrase in wanted if phrase.casefold() not in folded]
        if missing:
            return f'FAIL: The answer does not mention "{missing[0]}".'
        return f"PASS: The answer mentions {', '.join(chr(34) + w + chr(34) for w in wanted)}."
    if expected:
        if expected.strip().casefold() in folded:
            return "PASS: The answer gives the expected output."
        return "FAIL: The answer does not give the expected output."
    return "PASS: The answer addresses the rubric." if answer.strip() else "FAIL: No answer."


def _tagged(text: str, tag: str) -> str | None:
    match = re.search(rf"<{tag}>\n?(.*?)\n?</{tag}>", text, re.DOTALL)
    return match.group(1) if match else None
