"""Every chat-completions request parameter, defined once, and the panel's reader.

The settings form, websocket validation, the request body, "view code", the compare
grid and the API-strict rules all read `PARAMS`; the ranges, limits, defaults and help
(from the API reference for kimi-k2-thinking) live here only.

- `parse_form` reads the settings panel: lenient about *syntax* (the panel sends
  strings), speaking to a person in UI labels: "Temperature must be between 0 and 2."
- `rules.validate_body` reads a request body as the API does: strict about JSON types,
  in API field names: "temperature must be a number, not a string."

Both check values with the same `range_error`, `stop_list_error` and `validate_tools`.
Pure: no Django, no I/O.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import cast

from chat.api.extra import read_extra
from chat.api.tools import MAX_TOOLS, json_error, too_deep, validate_tools

DEFAULT_MODELS: tuple[str, ...] = ("kimi-k2-thinking", "kimi-k2-thinking-turbo")

MAX_STOP_SEQUENCES = 5
MAX_STOP_BYTES = 32
MAX_MODEL_CHARS = 200  # what a message keeps of it (Message.model)
MAX_N = 5

# The API reference: "When temperature is very close to 0, only 1 result can be
# returned". The simulator uses the same threshold so the playground behaves alike.
NEAR_ZERO_TEMPERATURE = 0.01

RECOMMENDED_THINKING_TEMPERATURE = 1.0

# The settings key of the extra request fields (the openai package's name for them).
EXTRA = "extra_body"

ROLES: tuple[str, ...] = ("system", "user", "assistant", "tool")
RESPONSE_FORMATS: tuple[str, ...] = ("text", "json_object")


class _ModelFamily(tuple[str, ...]):
    """Model-id prefixes whose `in` matches any id starting with one of them.

    A tuple so `model.startswith(THINKING_MODELS)` works too; `in` is overridden
    because new ids in the family (e.g. a "-preview") need the same advice.
    """

    def __contains__(self, model: object) -> bool:
        return isinstance(model, str) and model.startswith(tuple(self))


THINKING_MODELS: tuple[str, ...] = _ModelFamily(("kimi-k2-thinking",))


def is_thinking_model(model: object) -> bool:
    return model in THINKING_MODELS


@dataclass(frozen=True)
class Param:
    name: str
    label: str
    # "model" | "float" | "int" | "bool" | "choice" | "stop" | "tools" | "extra" (a JSON
    # object merged into the body: not a request field itself; see chat/api/extra.py)
    kind: str
    default: object  # the API default; None means "unset: left out of the request body"
    help: str
    minimum: float | None = None
    maximum: float | None = None
    step: float | None = None
    choices: tuple[str, ...] = ()
    optional: bool = True


PARAMS: dict[str, Param] = {
    p.name: p
    for p in (
        Param(
            "model",
            "Model",
            "model",
            DEFAULT_MODELS[0],
            "Model name for chat completion, e.g. kimi-k2-thinking or kimi-k2-thinking-turbo.",
            choices=DEFAULT_MODELS,
            optional=False,
        ),
        Param(
            "temperature",
            "Temperature",
            "float",
            1.0,
            "Sampling randomness, 0 to 2 (default 1): lower is more focused, higher more "
            "creative. 1.0 is recommended for kimi-k2-thinking.",
            minimum=0,
            maximum=2,
            step=0.01,
        ),
        Param(
            "top_p",
            "Top P",
            "float",
            1.0,
            "Nucleus sampling, 0 to 1 (default 1): 0.9 samples from the top 90% of "
            "probability mass. Do not adjust both temperature and top_p.",
            minimum=0,
            maximum=1,
            step=0.01,
        ),
        Param(
            "top_k",
            "Top K",
            "int",
            None,
            "Sample only from the K most likely tokens (at least 1; default no limit). "
            "Smaller is more focused.",
            minimum=1,
            step=1,
        ),
        Param(
            "max_tokens",
            "Max tokens",
            "int",
            None,
            "Most tokens to generate (at least 1). Too small truncates the answer, and "
            'finish_reason becomes "length".',
            minimum=1,
            step=1,
        ),
        Param(
            "n",
            "Choices (n)",
            "int",
            1,
            f"How many completions to generate, 1 to {MAX_N} (default 1). With temperature "
            "near 0 only one is returned.",
            minimum=1,
            maximum=MAX_N,
            step=1,
        ),
        Param(
            "presence_penalty",
            "Presence penalty",
            "float",
            0.0,
            "-2 to 2 (default 0). Positive values penalize tokens already present, "
            "nudging toward new topics.",
            minimum=-2,
            maximum=2,
            step=0.01,
        ),
        Param(
            "frequency_penalty",
            "Frequency penalty",
            "float",
            0.0,
            "-2 to 2 (default 0). Positive values penalize frequent tokens, reducing "
            "verbatim repetition.",
            minimum=-2,
            maximum=2,
            step=0.01,
        ),
        Param(
            "response_format",
            "Response format",
            "choice",
            "text",
            "json_object enables JSON mode (valid JSON output); ask for JSON in your prompt "
            "too. Do not combine with partial mode.",
            choices=RESPONSE_FORMATS,
        ),
        Param(
            "stop",
            "Stop sequences",
            "stop",
            None,
            f"One per line, at most {MAX_STOP_SEQUENCES}, each at most {MAX_STOP_BYTES} bytes. "
            r"Write \n for a newline. The sequence itself is not included in the output.",
        ),
        Param(
            "stream",
            "Stream",
            "bool",
            False,
            "Stream the answer chunk by chunk as it is generated, instead of all at once.",
        ),
        Param(
            "tools",
            "Tools",
            "tools",
            None,
            f"A JSON array of up to {MAX_TOOLS} tools, each "
            '{"type": "function", "function": {"name", "description", "parameters"}}.',
        ),
        Param(
            EXTRA,
            "Extra request fields",
            "extra",
            None,
            "A JSON object of fields this provider adds, merged into the request as "
            'they are, e.g. {"reasoning_effort": "high"} or '
            '{"chat_template_kwargs": {"thinking": true}}. Fields above are set there.',
        ),
    )
}

# Every body field a panel field sets, by that field's label: extra request fields may
# not set them too. stream_options goes with Stream (build_body adds it).
OWNED_FIELDS: dict[str, str] = {
    **{name: p.label for name, p in PARAMS.items() if p.kind != "extra"},
    "stream_options": PARAMS["stream"].label,
}

# Where the settings panel starts when it differs from the API default: a model must
# always be chosen, and streaming is the point of a playground (the API defaults to off).
_UI_DEFAULTS: dict[str, object] = {"model": DEFAULT_MODELS[0], "stream": True}

_TRUE_WORDS = frozenset({"on", "true", "1", "yes"})
_FALSE_WORDS = frozenset({"off", "false", "0", "no", ""})
_ESCAPE_RE = re.compile(r"\\([\\nt])")
_ESCAPES = {"\\": "\\", "n": "\n", "t": "\t"}


# --- the settings panel ---------------------------------------------------------------


def default_settings() -> dict[str, object]:
    return {name: _UI_DEFAULTS.get(name) for name in PARAMS}


def changed_settings(settings: Mapping[str, object]) -> dict[str, object]:
    """Only the fields set away from where the panel starts, for a compact summary."""
    changed: dict[str, object] = {}
    for name, param in PARAMS.items():
        value = settings.get(name)
        baseline = _UI_DEFAULTS.get(name, param.default)
        if value is not None and value != baseline:
            changed[name] = value
    return changed


def parse_form(data: Mapping[str, object]) -> tuple[dict[str, object], dict[str, str]]:
    r"""Read the settings panel's values into typed settings and per-field messages.

    Values arrive as strings from a browser form, or as strings or JSON values from a
    websocket frame. Every PARAMS name is in the result; unset fields are None, except
    model (always a str) and stream (always a bool). A bad field is left unset and
    gets a message keyed by its API name.

    For example, {"temperature": "0.7", "n": "1.5", "stream": ""} with the stop
    textarea holding the two lines `END\n` and `###` gives temperature 0.7,
    stop ["END" + newline, "###"], stream False and n None (unset), with the one
    message {"n": "Choices (n) must be a whole number."}.
    """
    settings = default_settings()
    errors: dict[str, str] = {}
    for name, param in PARAMS.items():
        value, error = _PARSERS[param.kind](param, data.get(name))
        if error:
            errors[name] = error
        elif value is not None:
            settings[name] = value
    return settings, errors


def form_values(settings: Mapping[str, object]) -> dict[str, str]:
    """The inverse of parse_form: settings as the strings the panel's inputs show."""
    values: dict[str, str] = {}
    for name, param in PARAMS.items():
        value = settings.get(name)
        if param.kind == "bool":
            values[name] = "true" if value else "false"
        elif value is None:
            values[name] = ""
        elif param.kind == "stop":
            values[name] = "\n".join(_escape_stop(s) for s in _as_list(value))
        elif param.kind == "tools":
            values[name] = json.dumps(value, indent=2, ensure_ascii=False)
        elif param.kind == "extra":
            # One line: compare's labels and a sweep's values show it as it is.
            values[name] = json.dumps(value, ensure_ascii=False)
        else:
            values[name] = _format_number(value) if param.kind == "float" else str(value)
    return values


def _parse_model(param: Param, raw: object) -> tuple[object, str | None]:
    if raw is None:
        return None, None
    if not isinstance(raw, str) or not raw.isprintable():  # no control characters, NUL
        return None, f"{param.label} must be a model name."
    model = raw.strip()
    if len(model) > MAX_MODEL_CHARS:
        return None, (
            f"{param.label} must be at most {MAX_MODEL_CHARS} characters "
            f"(this one has {len(model):,})."
        )
    return (model or None), None


def _parse_float(param: Param, raw: object) -> tuple[object, str | None]:
    text = _form_text(raw)
    if text == "":
        return None, None
    if isinstance(raw, bool):
        return None, f"{param.label} must be a number."
    try:
        value = float(text)
    except ValueError:
        return None, f"{param.label} must be a number."
    if not math.isfinite(value):
        return None, f"{param.label} must be a number."
    return value, range_error(param.label, param, value)


def _parse_int(param: Param, raw: object) -> tuple[object, str | None]:
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    text = _form_text(raw)
    if text == "":
        return None, None
    if isinstance(raw, bool):
        return None, f"{param.label} must be a whole number."
    try:
        value = int(text)
    except ValueError:
        return None, f"{param.label} must be a whole number."
    return value, range_error(param.label, param, value)


def _parse_bool(param: Param, raw: object) -> tuple[object, str | None]:
    if raw is None:
        return _UI_DEFAULTS.get(param.name, param.default), None
    if isinstance(raw, bool):
        return raw, None
    word = str(raw).strip().lower()
    if word in _TRUE_WORDS:
        return True, None
    if word in _FALSE_WORDS:
        return False, None
    return None, f"{param.label} must be on or off."


def _parse_choice(param: Param, raw: object) -> tuple[object, str | None]:
    if isinstance(raw, Mapping):  # a websocket frame may send the API's own shape
        raw = raw.get("type")
    text = _form_text(raw)
    if text == "":
        return None, None
    if text not in param.choices:
        return None, f"{param.label} must be {' or '.join(param.choices)}."
    return text, None


def _parse_stop(param: Param, raw: object) -> tuple[object, str | None]:
    if raw is None:
        return None, None
    if isinstance(raw, str):
        # A textarea sends CRLF; a line that is only whitespace is layout, not a stop.
        lines = raw.replace("\r\n", "\n").split("\n")
        stops = [_decode_escapes(line) for line in lines if line.strip()]
    elif isinstance(raw, list | tuple) and all(isinstance(s, str) for s in raw):
        stops = [s for s in raw if s]
    else:
        return None, f"{param.label} must be text, one per line."
    if not stops:
        return None, None
    return stops, stop_list_error(stops)


def _parse_tools(param: Param, raw: object) -> tuple[object, str | None]:
    tools = raw
    if isinstance(raw, str):
        if not raw.strip():
            return None, None
        try:
            tools = json.loads(raw)
        except json.JSONDecodeError as exc:
            return None, json_error(param.label, exc)
        except RecursionError:
            return None, too_deep(param.label)
    if tools is None or tools == []:
        return None, None
    error = validate_tools(tools)
    return (None, error) if error else (tools, None)


def _parse_extra(param: Param, raw: object) -> tuple[object, str | None]:
    return read_extra(raw, param.label, OWNED_FIELDS)


_PARSERS = {
    "model": _parse_model,
    "float": _parse_float,
    "int": _parse_int,
    "bool": _parse_bool,
    "choice": _parse_choice,
    "stop": _parse_stop,
    "tools": _parse_tools,
    "extra": _parse_extra,
}


def _form_text(raw: object) -> str:
    # A websocket frame may carry JSON numbers, which read like their form strings.
    return "" if raw is None else str(raw).strip()


def _decode_escapes(line: str) -> str:
    r"""Turn the panel's \n, \t and \\ into characters; other backslashes stay."""
    return _ESCAPE_RE.sub(lambda m: _ESCAPES[m.group(1)], line)


def _escape_stop(stop: str) -> str:
    return stop.replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t")


# --- the request body ---------------------------------------------------------------


def build_body(
    settings: Mapping[str, object], messages: Sequence[Mapping[str, object]]
) -> dict[str, object]:
    """The JSON body: model, messages, then every set parameter in PARAMS order, then
    the extra request fields.

    Unset fields are left out rather than sent as null, so the upstream applies its
    own defaults and "view code" shows only what the person chose. An extra field
    never replaces one a parameter owns (parse_form refuses those; a settings dict
    kept from elsewhere might still hold one).
    """
    body: dict[str, object] = {
        "model": settings.get("model") or DEFAULT_MODELS[0],
        "messages": list(messages),
    }
    for name in PARAMS:
        value = settings.get(name)
        if name in ("model", EXTRA) or value is None:
            continue
        if name == "response_format":
            if value == "text":
                continue
            value = {"type": value} if isinstance(value, str) else value
        elif name == "stop":
            value = list(_as_list(value))
        body[name] = value
        if name == "stream" and value is True:
            # Without it a streamed answer carries no token counts.
            body["stream_options"] = {"include_usage": True}
    extra = settings.get(EXTRA)
    if isinstance(extra, Mapping):
        body.update((k, v) for k, v in extra.items() if k not in body and k not in OWNED_FIELDS)
    return body


# --- checks both readers share (rules.py is the API-strict reader) --------------------


def range_error(label: str, param: Param, value: float) -> str | None:
    low, high = param.minimum, param.maximum
    if (low is not None and value < low) or (high is not None and value > high):
        if low is not None and high is not None:
            return f"{label} must be between {_format_number(low)} and {_format_number(high)}."
        if low is not None:
            return f"{label} must be at least {_format_number(low)}."
        return f"{label} must be at most {_format_number(high)}."
    return None


def _format_number(value: object) -> str:
    return f"{value:g}" if isinstance(value, int | float) else str(value)


def stop_list_error(stops: list[str]) -> str | None:
    if len(stops) > MAX_STOP_SEQUENCES:
        return f"At most {MAX_STOP_SEQUENCES} stop sequences (you gave {len(stops)})."
    for stop in stops:
        if not stop:
            return "A stop sequence cannot be empty."
        try:
            size = len(stop.encode("utf-8"))
        except UnicodeEncodeError:
            return f'Stop sequence "{_escape_stop(stop)}" is not valid text (a lone surrogate).'
        if size > MAX_STOP_BYTES:
            return (
                f'Stop sequence "{_escape_stop(stop)}" is {size} bytes in UTF-8; '
                f"the limit is {MAX_STOP_BYTES} bytes."
            )
    return None


def _as_list(value: object) -> list[str]:
    # Settings hold a list; a hand-built settings dict may hold one string.
    return [value] if isinstance(value, str) else list(cast("Iterable[str]", value))
