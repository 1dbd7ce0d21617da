"""Typed readers of environment variables, for the settings and the standalone simulator.

Each returns the variable's value as its type, the default when the variable is unset,
and raises EnvError naming the variable when it holds something it cannot read, so a
bad value stops the program at start instead of being guessed at.

An empty value is a value: false for a boolean (`DEBUG=` turns debugging off, it
does not fall back to a default that may be on), "" for a string, no items for a
list. A number has no empty value, so there an empty (or blank) value means the
default, as if unset.

No Django here: the simulator's own server reads the same variables the same way.
"""

from __future__ import annotations

import os

TRUE = frozenset({"1", "true", "yes", "on"})
FALSE = frozenset({"0", "false", "no", "off", ""})


class EnvError(ValueError):
    """An environment variable holds a value its reader cannot use; the message names it."""


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in TRUE:
        return True
    if value in FALSE:
        return False
    raise EnvError(f"{name} must be a boolean (1/0, true/false), not {raw!r}")


def env_int(name: str, default: int, minimum: int = 0) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise EnvError(f"{name} must be a whole number, not {raw!r}") from None
    if value < minimum:
        raise EnvError(f"{name} must be at least {minimum}, not {value}")
    return value


def env_float(name: str, default: float, minimum: float = 0.0) -> float:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise EnvError(f"{name} must be a number, not {raw!r}") from None
    if value < minimum:
        raise EnvError(f"{name} must be at least {minimum}, not {value}")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    """Comma-separated items, blanks dropped: "a, b,," -> ["a", "b"]."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]
