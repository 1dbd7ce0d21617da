"""The API-strict reader of a request body: what the chat-completions API accepts.

The simulator answers with these messages (as the real API's 400s do), and import
checks a conversation's messages with them. Unlike the settings panel's reader
(`params.parse_form`, lenient about syntax and speaking in UI labels), JSON types
are strict and messages use API field names:

>>> validate_body({"model": "kimi-k2-thinking",
...     "messages": [{"role": "user", "content": "Hi"}], "temperature": "0.5", "n": 9})
{'temperature': 'temperature must be a number, not a string.', 'n': 'n must be between 1 and 5.'}

Every range, limit and default comes from `params.PARAMS`; nothing is restated here.
Pure: no Django, no I/O.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping

from chat.api.params import PARAMS, ROLES, Param, range_error, stop_list_error
from chat.api.tools import validate_tools

# The API's reason, also given where the playground refuses to continue a JSON answer.
PARTIAL_WITH_JSON = (
    "A partial assistant message cannot be combined with response_format "
    "json_object; drop one of them."
)


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
        # Extra request fields are not a field of the body: they are merged into it.
        if name != "model" and param.kind != "extra" and value is not None:
            _put(errors, name, _BODY_CHECKS[param.kind](param, value))
    _put(errors, "stream_options", _stream_options_error(body))
    if "response_format" not in errors and _is_json_mode(body) and _has_partial(body):
        errors["response_format"] = PARTIAL_WITH_JSON
    return errors


def partial_refusal(sent: Mapping[str, object]) -> str | None:
    """Why a request sent with these parameters cannot go on in partial mode (what
    Continue sends), in the API's words; None when it can.

    >>> partial_refusal({"response_format": {"type": "json_object"}}) == PARTIAL_WITH_JSON
    True
    """
    return PARTIAL_WITH_JSON if _is_json_mode(sent) else None


def _put(errors: dict[str, str], name: str, message: str | None) -> None:
    if message:
        errors[name] = message


def _check_number(param: Param, value: object) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return f"{param.name} must be a number, not {_json_type(value)}."
    if not math.isfinite(value):
        return f"{param.name} must be a finite number."
    return range_error(param.name, param, value)


def _check_integer(param: Param, value: object) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int):
        return f"{param.name} must be an integer, not {_json_type(value)}."
    return range_error(param.name, param, value)


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
        return stop_list_error([value])
    if not isinstance(value, list) or not all(isinstance(s, str) for s in value):
        return "stop must be a string or a list of strings."
    return stop_list_error(value)


def _check_tools(param: Param, value: object) -> str | None:
    return validate_tools(value)


_BODY_CHECKS: dict[str, Callable[[Param, object], str | None]] = {
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
