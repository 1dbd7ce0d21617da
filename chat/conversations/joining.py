"""Where a continued reasoning meets the reasoning before it.

Continue (the API's partial mode) goes on with the answer's tokens, but the model thinks
afresh: its new reasoning is a new passage, not the rest of the last word. Glued on as
it comes, "…a snag." and "The fix…" read "snag.The fix". The new passage starts a new
paragraph, unless the text already has the whitespace.

>>> separator("It hit a snag.", "The fix is")
'\\n\\n'
>>> separator("It hit a snag.\\n", "The fix is")
'\\n'
>>> separator("", "The fix is")
''
"""

from __future__ import annotations

PARAGRAPH = "\n\n"


def separator(before: str, after: str) -> str:
    """What to put between the reasoning so far and a continuation's first text."""
    if not before or not after:
        return ""
    there = (len(before) - len(before.rstrip("\n"))) + (len(after) - len(after.lstrip("\n")))
    return "\n" * max(0, len(PARAGRAPH) - there)


def join(before: str, after: str) -> str:
    """The reasoning so far with a continuation's text after it."""
    return before + separator(before, after) + after
