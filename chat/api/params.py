"""Every chat-completions request parameter, defined once.

The settings form, websocket validation, the request body, "view code" and the
compare grid all read `PARAMS`. Ranges, defaults and help come from the API
reference (kimi-k2-thinking, OpenAI-compatible chat completions).

Two readers, two validators:

- `parse_form` is lenient about *syntax* (the settings panel sends strings) and
  speaks to a person, using UI labels: "Temperature must be between 0 and 2."
- `validate_body` is strict about JSON types, like the real API, and speaks in API
  field names: "temperature must be a number, not a string."

Pure: no Django, no I/O.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import cast

DEFAULT_MODELS: tuple[str, ...] = ("kimi-k2-thinking", "kimi-k2-thinking-turbo")

MAX_STOP_SEQUENCES = 5
MAX_STOP_BYTES = 32
MAX_TOOLS = 128
MAX_N = 5

# The API reference: "When temperature is very close to 0, only 1 result can be
# returned". The simulator uses the same threshold so the playground behaves alike.
NEAR_ZERO_TEMPERATURE = 0.01

RECOMMENDED_THINKING_TEMPERATURE = 1.0

ROLES: tuple[str, ...] = ("system", "user", "assistant", "tool")
RESPONSE_FORMATS: tuple[str, ...] = ("text", "json_object")
TOOL_NAME_RE = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")


class _ModelFamily(tuple):
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
    kind: str  # "model" | "float" | "int" | "bool" | "choice" | "stop" | "tools"
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
    )
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
        else:
            values[name] = _format_number(value) if param.kind == "float" else str(value)
    return values


def _parse_model(param: Param, raw: object) -> tuple[object, str | None]:
    if raw is None:
        return None, None
    if not isinstance(raw, str):
        return None, f"{param.label} must be a model name."
    return (raw.strip() or None), None


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
    return value, _range_error(param.label, param, value)


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
    return value, _range_error(param.label, param, value)


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
    return stops, _stop_list_error(stops)


def _parse_tools(param: Param, raw: object) -> tuple[object, str | None]:
    tools = raw
    if isinstance(raw, str):
        if not raw.strip():
            return None, None
        try:
            tools = json.loads(raw)
        except json.JSONDecodeError as exc:
            return None, f"{param.label} must be valid JSON: {exc}."
    if tools is None or tools == []:
        return None, None
    error = validate_tools(tools)
    return (None, error) if error else (tools, None)


_PARSERS = {
    "model": _parse_model,
    "float": _parse_float,
    "int": _parse_int,
    "bool": _parse_bool,
    "choice": _parse_choice,
    "stop": _parse_stop,
    "tools": _parse_tools,
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


def build_body(settings: Mapping[str, object], messages: list[dict]) -> dict:
    """The JSON body: model, messages, then every set parameter in PARAMS order.

    Unset fields are left out rather than sent as null, so the upstream applies its
    own defaults and "view code" shows only what the person chose.
    """
    body: dict[str, object] = {
        "model": settings.get("model") or DEFAULT_MODELS[0],
        "messages": list(messages),
    }
    for name in PARAMS:
        value = settings.get(name)
        if name == "model" or value is None:
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
    return body


def validate_body(body: Mapping[str, object]) -> dict[str, str]:
    """Check a request body as the API does; {field: message}, empty when valid.

    JSON types are strict ("0.5" is not a number, true is not an integer); null
    means unset for optional fields; unknown fields are ignored.
    """
    if not isinstance(body, Mapping):
        return {"body": "The request body must be a JSON object."}
    errors: dict[str, str] = {}
    model = body.get("model")
    if not isinstance(model, str) or not model.strip():
        errors["model"] = "model is required: a non-empty model name."
    if body.get("messages") is None:
        errors["messages"] = "messages is required: a list of at least one message."
    else:
        _put(errors, "messages", validate_messages(body["messages"]))
    for name, param in PARAMS.items():
        value = body.get(name)
        if name != "model" and value is not None:
            _put(errors, name, _BODY_CHECKS[param.kind](param, value))
    _put(errors, "stream_options", _stream_options_error(body))
    if "response_format" not in errors and _is_json_mode(body) and _has_partial(body):
        errors["response_format"] = (
            "A partial assistant message cannot be combined with response_format "
            "json_object; drop one of them."
        )
    return errors


def _put(errors: dict[str, str], name: str, message: str | None) -> None:
    if message:
        errors[name] = message


def _check_number(param: Param, value: object) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return f"{param.name} must be a number, not {_json_type(value)}."
    if not math.isfinite(value):
        return f"{param.name} must be a finite number."
    return _range_error(param.name, param, value)


def _check_integer(param: Param, value: object) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int):
        return f"{param.name} must be an integer, not {_json_type(value)}."
    return _range_error(param.name, param, value)


def _check_bool(param: Param, value: object) -> str | None:
    if not isinstance(value, bool):
        return f"{param.name} must be true or false, not {_json_type(value)}."
    return None


def _check_response_format(param: Param, value: object) -> str | None:
    if not isinstance(value, Mapping) or value.get("type") not in param.choices:
        return 'response_format must be {"type": "text"} or {"type": "json_object"}.'
    return None


def _check_stop(param: Param, value: object) -> str | None:
    if isinstance(value, str):
        return _stop_list_error([value])
    if not isinstance(value, list) or not all(isinstance(s, str) for s in value):
        return "stop must be a string or a list of strings."
    return _stop_list_error(value)


def _check_tools(param: Param, value: object) -> str | None:
    return validate_tools(value)


_BODY_CHECKS = {
    "float": _check_number,
    "int": _check_integer,
    "bool": _check_bool,
    "choice": _check_response_format,
    "stop": _check_stop,
    "tools": _check_tools,
}


def _stream_options_error(body: Mapping[str, object]) -> str | None:
    options = body.get("stream_options")
    if options is None:
        return None
    if not isinstance(options, Mapping) or not isinstance(
        options.get("include_usage", False), bool
    ):
        return 'stream_options must be {"include_usage": true} or {"include_usage": false}.'
    if body.get("stream") is not True:
        return "stream_options is only allowed when stream is true."
    return None


def _is_json_mode(body: Mapping[str, object]) -> bool:
    fmt = body.get("response_format")
    return isinstance(fmt, Mapping) and fmt.get("type") == "json_object"


def _has_partial(body: Mapping[str, object]) -> bool:
    messages = body.get("messages")
    return isinstance(messages, list) and any(
        isinstance(m, Mapping) and m.get("partial") is True for m in messages
    )


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    return "an object"


# --- shared rules -------------------------------------------------------------------


def _range_error(label: str, param: Param, value: float) -> str | None:
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


def _stop_list_error(stops: list[str]) -> str | None:
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


def validate_tools(tools: object) -> str | None:
    """The first problem with a tools array, or None when the API would accept it."""
    if not isinstance(tools, list):
        return "Tools must be a JSON array of tool objects."
    if len(tools) > MAX_TOOLS:
        return f"At most {MAX_TOOLS} tools (you gave {len(tools)})."
    seen: dict[str, int] = {}
    for number, tool in enumerate(tools, start=1):
        error = _tool_error(tool)
        if error:
            return f"Tool {number}: {error}"
        name = tool["function"]["name"]
        if name in seen:
            return f'Tool {number}: the name "{name}" is already used by tool {seen[name]}.'
        seen[name] = number
    return None


def _tool_error(tool: object) -> str | None:
    if not isinstance(tool, Mapping):
        return "each tool must be an object."
    if tool.get("type") != "function":
        return 'type must be "function".'
    function = tool.get("function")
    if not isinstance(function, Mapping):
        return '"function" must be an object with name, description and parameters.'
    name = function.get("name")
    if not isinstance(name, str) or not name:
        return "the function needs a name."
    if not TOOL_NAME_RE.fullmatch(name):  # match() would let a trailing newline through
        return f'function name "{name}" must be 1 to 64 letters, digits, underscores or hyphens.'
    if not isinstance(function.get("description"), str):
        return f'function "{name}" needs a description (a string).'
    if not isinstance(function.get("parameters"), Mapping):
        return f'function "{name}" needs parameters (a JSON Schema object).'
    return None


def validate_messages(messages: object) -> str | None:
    """The first problem with a messages array, or None when the API would accept it."""
    if not isinstance(messages, list):
        return "Messages must be a list of message objects."
    if not messages:
        return "Messages must contain at least one message."
    for number, message in enumerate(messages, start=1):
        error = _message_error(message, is_last=number == len(messages))
        if error:
            return f"Message {number}: {error}"
    return None


def _message_error(message: object, *, is_last: bool) -> str | None:
    if not isinstance(message, Mapping):
        return "each message must be an object."
    role = message.get("role")
    if role not in ROLES:
        return f"role {json.dumps(role)} is not one of {', '.join(ROLES)}."
    if role != "assistant":
        for field in ("tool_calls", "partial", "reasoning_content"):
            if message.get(field) is not None:
                return f"only assistant messages may have {field}."
    if role == "assistant":
        error = _assistant_error(message, is_last=is_last)
        if error:
            return error
    elif message.get("content") is None:
        return "content is required."
    if role == "tool":
        tool_call_id = message.get("tool_call_id")
        if not isinstance(tool_call_id, str) or not tool_call_id:
            return "a tool message needs the tool_call_id it answers."
    if message.get("content") is not None:
        return _content_error(message["content"])
    return None


def _assistant_error(message: Mapping[str, object], *, is_last: bool) -> str | None:
    partial = message.get("partial")
    if partial is not None and not isinstance(partial, bool):
        return "partial must be true or false."
    if partial and not is_last:
        return "only the last message may be partial."
    reasoning = message.get("reasoning_content")
    if reasoning is not None and not isinstance(reasoning, str):
        return "reasoning_content must be a string."
    tool_calls = message.get("tool_calls")
    if tool_calls is not None:
        error = _tool_calls_error(tool_calls)
        if error:
            return error
    elif message.get("content") is None:
        return "an assistant message needs content or tool_calls."
    return None


def _tool_calls_error(tool_calls: object) -> str | None:
    if not isinstance(tool_calls, list):
        return "tool_calls must be a list."
    for number, call in enumerate(tool_calls, start=1):
        function = call.get("function") if isinstance(call, Mapping) else None
        if (
            not isinstance(call, Mapping)
            or not isinstance(call.get("id"), str)
            or call.get("type") != "function"
            or not isinstance(function, Mapping)
            or not isinstance(function.get("name"), str)
            or not isinstance(function.get("arguments"), str)
        ):
            return (
                f"tool call {number} must be "
                '{"id", "type": "function", "function": {"name", "arguments" (a JSON string)}}.'
            )
    return None


def _content_error(content: object) -> str | None:
    if isinstance(content, str):
        return None
    if not isinstance(content, list) or not content:
        return "content must be a string or a non-empty list of content parts."
    for number, part in enumerate(content, start=1):
        kind = part.get("type") if isinstance(part, Mapping) else None
        if kind == "text" and isinstance(part.get("text"), str):
            continue
        image = part.get("image_url") if kind == "image_url" else None
        if isinstance(image, Mapping) and isinstance(image.get("url"), str):
            continue
        return (
            f'content part {number} must be {{"type": "text", "text": ...}} or '
            '{"type": "image_url", "image_url": {"url": ...}}.'
        )
    return None


# --- what the UI says about settings --------------------------------------------------


def advice(settings: Mapping[str, object], messages: list[dict] | None = None) -> list[str]:
    """The API reference's recommendations that apply to these settings, as sentences."""
    notes: list[str] = []
    temperature = settings.get("temperature")
    top_p = settings.get("top_p")
    if temperature not in (None, 1) and top_p not in (None, 1):
        notes.append("Changing both temperature and top_p is not recommended; adjust one of them.")
    if is_thinking_model(settings.get("model")) and temperature not in (
        None,
        RECOMMENDED_THINKING_TEMPERATURE,
    ):
        notes.append("1.0 is the recommended temperature for kimi-k2-thinking models.")
    if settings.get("response_format") == "json_object":
        notes.append("JSON mode: ask for JSON explicitly in your prompt.")
        if messages is not None and not any("json" in _text_of(m).lower() for m in messages):
            notes.append("Your prompt does not mention JSON yet.")
    n = settings.get("n")
    if (
        isinstance(n, int)
        and n > 1
        and isinstance(temperature, int | float)
        and temperature < NEAR_ZERO_TEMPERATURE
    ):
        notes.append("With temperature near 0 only one choice is returned.")
    return notes


def _text_of(message: Mapping[str, object]) -> str:
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(
            p["text"] for p in content if isinstance(p, Mapping) and isinstance(p.get("text"), str)
        )
    return ""


_FINISH_REASONS = {
    "stop": "stop: the model finished its answer",
    "length": "length: stopped at max_tokens",
    "tool_calls": "tool_calls: the model asked to call a tool",
    "content_filter": "content_filter: the provider filtered the output",
}


def describe_finish(reason: str | None, settings: Mapping[str, object] | None = None) -> str:
    """Why a choice ended, in words: "length" -> "length: stopped at max_tokens"."""
    if reason is None:
        return ""
    if reason == "stop" and settings and settings.get("stop"):
        # With stop sequences set, "stop" may mean one matched; the API does not say which.
        return "stop: the model finished its answer or reached a stop sequence"
    return _FINISH_REASONS.get(reason, reason)


def changed_settings(settings: Mapping[str, object]) -> dict[str, object]:
    """Only the fields set away from where the panel starts, for a compact summary."""
    changed: dict[str, object] = {}
    for name, param in PARAMS.items():
        value = settings.get(name)
        baseline = _UI_DEFAULTS.get(name, param.default)
        if value is not None and value != baseline:
            changed[name] = value
    return changed


def _as_list(value: object) -> list[str]:
    # Settings hold a list; a hand-built settings dict may hold one string.
    return [value] if isinstance(value, str) else list(cast("Iterable[str]", value))
