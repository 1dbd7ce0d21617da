"""What the comparison builder submits: the prompt path, the columns, the sweep, repeats.

Field names, as the builder page (templates/compare/new.html) writes them:

- `title`, `system_prompt`;
- `message-<i>-role` and `message-<i>-content`, one pair per message of the prompt path,
  with its images and tool turn in hidden fields (chat/compare/turns.py);
- `image`, repeated: the images attached to the prompt (the last message) in the builder;
- `column-<i>-<param>` for every name in `params.PARAMS`, one set per column;
- `sweep-<k>-param` and `sweep-<k>-values` (k = 1, 2): a parameter and its values,
  comma-separated as typed ("0, 0.5, 1.0");
- `repeats`, and `confirm_requests` (the request count a person confirmed).

The numbers `<i>` need not be contiguous (a removed row leaves a gap); rows are read in
their numeric order and renumbered from 0. Pure: no Django, no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from chat.api import mending, params
from chat.compare import grid, turns

MAX_MESSAGES = 50
MAX_MESSAGE_CHARS = 200_000
MAX_SYSTEM_PROMPT_CHARS = 100_000
# Rows read from one submission at most: far above MAX_COLUMNS, so a person who pasted
# too many gets compare's own message, and far below what could cost the server.
_MAX_ROWS = 100
SWEEP_ROWS = (1, 2)
ROLES = ("user", "assistant")
# Images per message when the caller names no limit (settings.PLAYGROUND_IMAGES_PER_MESSAGE).
DEFAULT_MAX_IMAGES = 8
_ROW_RE = re.compile(r"^(message|column)-(\d{1,6})-")
_NO_SWEEP = {"name": "", "values": ""}


@dataclass
class Column:
    """One column: its typed settings, the values to show again, and any messages."""

    settings: dict[str, object]
    values: dict[str, str]
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_settings(cls, settings: Mapping[str, object]) -> Column:
        typed = {**params.default_settings(), **settings}
        values = {**params.form_values(typed), "provider": str(typed.get("provider") or "")}
        return cls(typed, values)


@dataclass
class Builder:
    title: str = ""
    system_prompt: str = ""
    # As Comparison.messages keeps them: role, content, and images and tool turns.
    messages: list[dict[str, Any]] = field(
        default_factory=lambda: [{"role": "user", "content": ""}]
    )
    # Keys of the images attached in the builder, for the last message (the prompt).
    attached: list[str] = field(default_factory=list)
    columns: list[Column] = field(default_factory=list)
    # [{"name": "temperature", "values": "0, 0.5, 1.0"}, {"name": "", "values": ""}]
    sweep: list[dict[str, str]] = field(
        default_factory=lambda: [dict(_NO_SWEEP) for _ in SWEEP_ROWS]
    )
    repeats_text: str = "1"
    confirmed: int | None = None
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def settings(self) -> list[dict[str, object]]:
        return [column.settings for column in self.columns]

    @property
    def repeats(self) -> int | None:
        try:
            return int(self.repeats_text.strip())
        except ValueError:
            return None

    @property
    def prompt_messages(self) -> list[dict[str, Any]]:
        """The messages to save: the images attached in the builder go with the prompt."""
        messages = [dict(m) for m in self.messages]
        if self.attached and messages:
            last = messages[-1]
            last["images"] = [*(last.get("images") or []), *self.attached]
        return messages

    @property
    def sweep_record(self) -> dict[str, list[dict[str, str]]]:
        """What built the grid, as Comparison.sweep keeps it."""
        return {"params": [row for row in self.sweep if row["name"]]}


def read(data: Mapping[str, object]) -> Builder:
    """The builder's submission; field problems are in `errors` (and each column's)."""
    builder = Builder(
        title=" ".join(_text(data.get("title")).split())[:200],
        system_prompt=_text(data.get("system_prompt")),
        messages=[
            {
                "role": _text(data.get(f"message-{i}-role")) or "user",
                "content": _content(data, i),
                **turns.read_extras(data, i),
            }
            for i in _rows(data, "message")
        ],
        attached=turns.keys_of(data.get("image")),
        columns=[_read_column(data, i) for i in _rows(data, "column")],
        sweep=[
            {
                "name": _text(data.get(f"sweep-{k}-param")).strip(),
                "values": _text(data.get(f"sweep-{k}-values")).strip(),
            }
            for k in SWEEP_ROWS
        ],
        repeats_text=_text(data.get("repeats")).strip() or "1",
        confirmed=_int_or_none(data.get("confirm_requests")),
    )
    return builder


def check(builder: Builder, max_images: int = DEFAULT_MAX_IMAGES) -> dict[str, str]:
    """Everything that stops a run, by field: prompt, columns, repeats.

    The columns' own field messages come first, each named with its column number, so
    the list at the top of the page says where to look. Whether the images named are
    the person's to send is the caller's to check (it takes the database).
    """
    errors = _prompt_errors(builder)
    for key, message in turns.problems(builder.prompt_messages, max_images).items():
        errors.setdefault(key, message)
    if len(builder.attached) > max_images and "images" not in errors:
        errors["images"] = f"A message can carry at most {max_images} images."
    for number, column in enumerate(builder.columns, start=1):
        for name, message in column.errors.items():
            errors[f"column-{number - 1}-{name}"] = f"Column {number}: {message}"
    repeats = builder.repeats
    grid_errors = grid.validate_columns(builder.settings, repeats if repeats else 0)
    errors.update(grid_errors)
    return errors


def needs_confirmation(builder: Builder, limit: int) -> int | None:
    """The request count to confirm, when a run is above `limit` and not yet confirmed."""
    requests = grid.estimate(builder.settings, builder.repeats or 1).requests
    if requests > limit and builder.confirmed != requests:
        return requests
    return None


# -- what the builder's buttons do -------------------------------------------------


def add_column(builder: Builder) -> None:
    """A new column starts as a copy of the last one, so changing one field is one action."""
    if not builder.columns:
        builder.columns.append(Column.from_settings(params.default_settings()))
        return
    last = builder.columns[-1]
    builder.columns.append(Column(dict(last.settings), dict(last.values), dict(last.errors)))


def remove_column(builder: Builder, index: int) -> None:
    if 0 <= index < len(builder.columns) and len(builder.columns) > 1:
        del builder.columns[index]


def add_message(builder: Builder) -> None:
    last_role = builder.messages[-1]["role"] if builder.messages else "tool"
    builder.messages.append({"role": "assistant" if last_role == "user" else "user", "content": ""})


def remove_message(builder: Builder, index: int) -> None:
    if 0 <= index < len(builder.messages) and len(builder.messages) > 1:
        del builder.messages[index]


def apply_sweep(builder: Builder) -> dict[str, str]:
    """Replace the columns with the sweep's grid over the first column; messages on failure.

    Messages are keyed `sweep` or `sweep-<k>-values` (a value out of range), so they show
    beside the field to fix. Nothing changes unless the whole sweep is valid.
    """
    rows = [(k, row) for k, row in zip(SWEEP_ROWS, builder.sweep, strict=True) if row["name"]]
    if not rows:
        return {"sweep": "Choose a parameter to sweep, then list its values."}
    base = builder.columns[0].settings if builder.columns else params.default_settings()
    axes: list[tuple[str, list[str]]] = []
    for k, row in rows:
        values, problem = grid.split_values(row["name"], row["values"])
        if problem:
            return {f"sweep-{k}-values": f"{params.PARAMS[row['name']].label}: {problem}"}
        axes.append((row["name"], values))
    columns, errors = grid.expand_sweep(base, axes)
    if errors:
        return _sweep_errors(errors, rows)
    # The grid keeps column 1's provider (not a request parameter, so not swept).
    upstream = {"provider": base["provider"]} if base.get("provider") else {}
    builder.columns = [Column.from_settings({**settings, **upstream}) for settings in columns]
    return {}


def _sweep_errors(errors: dict[str, str], rows: list[tuple[int, dict[str, str]]]) -> dict[str, str]:
    by_param = {row["name"]: k for k, row in rows}
    result: dict[str, str] = {}
    for key, message in errors.items():
        if key in by_param:
            label = params.PARAMS[key].label
            result[f"sweep-{by_param[key]}-values"] = f"{label}: {message}"
        elif key in ("sweep", "columns"):
            result["sweep"] = f"{result['sweep']} {message}" if "sweep" in result else message
        else:  # the first column itself does not read back: say where
            result["sweep"] = f"Column 1: {message}"
    return result


# -- reading ---------------------------------------------------------------------------


def _rows(data: Mapping[str, object], kind: str) -> list[int]:
    numbers = {
        int(match.group(2))
        for key in data
        if (match := _ROW_RE.match(str(key))) and match.group(1) == kind
    }
    return sorted(numbers)[:_MAX_ROWS]


def _read_column(data: Mapping[str, object], index: int) -> Column:
    prefix = f"column-{index}-"
    values = {name: _text(data[prefix + name]) for name in params.PARAMS if prefix + name in data}
    # An unchecked checkbox sends nothing: the form always has the field, so absent is off.
    values.setdefault("stream", "false")
    settings, errors = params.parse_form(values)
    # The Provider select: "" (the server's default), "simulator" or a provider id; the
    # view checks that an id is the person's own.
    choice = _text(data.get(prefix + "provider")).strip()
    values["provider"] = choice
    if choice:
        settings["provider"] = choice
    return Column(settings, values, errors)


def _prompt_errors(builder: Builder) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not mending.is_text(builder.system_prompt):
        errors["system_prompt"] = "The system prompt has characters that are not valid text."
    elif len(builder.system_prompt) > MAX_SYSTEM_PROMPT_CHARS:
        errors["system_prompt"] = (
            f"The system prompt is too long (at most {MAX_SYSTEM_PROMPT_CHARS:,} characters)."
        )
    if not builder.messages:
        errors["messages"] = "Write the prompt every column answers."
    elif len(builder.messages) > MAX_MESSAGES:
        errors["messages"] = f"At most {MAX_MESSAGES} messages in the prompt."
    for number, message in enumerate(builder.messages, start=1):
        key = f"message-{number - 1}-content"
        if message["role"] not in turns.ROLES:
            errors[key] = f"Message {number}: the role must be user or assistant."
        elif turns.is_turn(message):
            pass  # a tool turn needs no text; turns.problems checks the rest
        elif not message["content"].strip():
            errors[key] = f"Message {number} is empty: write it or remove it."
        elif not mending.is_text(message["content"]):
            errors[key] = f"Message {number} has characters that are not valid text."
        elif len(message["content"]) > MAX_MESSAGE_CHARS:
            errors[key] = (
                f"Message {number} is too long (at most {MAX_MESSAGE_CHARS:,} characters)."
            )
    # Tool results may end it too: then every column answers them.
    last = builder.messages[-1]["role"] if builder.messages else "user"
    if last not in ("user", "tool") and "messages" not in errors:
        errors["messages"] = (
            "The last message must be yours (role user): it is the prompt every column answers."
        )
    return errors


def _content(data: Mapping[str, object], index: int) -> str:
    # A textarea sends CRLF; the model should see the text as typed.
    return _text(data.get(f"message-{index}-content")).replace("\r\n", "\n")


def _text(value: object) -> str:
    # Browsers send repeated fields as lists; every field here is single.
    if isinstance(value, list):
        value = value[-1] if value else ""
    return "" if value is None else str(value)


def _int_or_none(value: object) -> int | None:
    try:
        return int(_text(value).strip())
    except ValueError:
        return None
