"""The shape of a JSON value, measured without recursion. Pure."""

from __future__ import annotations


def depth(value: object, limit: int) -> int:
    """How deeply arrays and objects nest: `[[1], {}]` is 2, `{"a": [1]}` is 2.

    Iterative, so a value too deep to walk recursively is measured too; it stops
    counting past `limit` (deeper than that is already the answer), so any value is
    measured quickly.
    """
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if not isinstance(item, dict | list):
            continue
        deepest = max(deepest, level)
        if level <= limit:
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, level + 1) for child in children)
    return deepest
