"""A chat-completions request written out as code to run elsewhere: curl, Python with
httpx, Python with the openai package, and JavaScript's fetch.

The body is written exactly: every string is escaped for its language, so quotes,
backslashes, newlines, `$(...)`, backticks and any Unicode arrive as they were typed.
The API key never appears: each snippet reads the PLAYGROUND_API_KEY environment
variable. For example, a body {"model": "m", "messages": [...]} to
http://host/v1 gives, for curl:

    curl 'http://host/v1/chat/completions' \\
      -H 'Content-Type: application/json' \\
      -H "Authorization: Bearer $PLAYGROUND_API_KEY" \\
      -d '{
      "model": "m",
      ...
    }'

Pure: no Django, no I/O.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

KEY_VARIABLE = "PLAYGROUND_API_KEY"
# A Python list or dict this short stays on one line.
_FLAT_WIDTH = 72

# Keyword arguments of the openai package's `chat.completions.create`. Any other field
# of the body (top_k, say) goes in `extra_body`, which the package sends as it is.
OPENAI_ARGUMENTS = frozenset(
    {
        "model", "messages", "temperature", "top_p", "max_tokens", "max_completion_tokens",
        "n", "presence_penalty", "frequency_penalty", "response_format", "stop", "stream",
        "stream_options", "tools", "tool_choice", "parallel_tool_calls", "seed", "user",
        "logprobs", "top_logprobs", "logit_bias",
    }
)  # fmt: skip

# What the snippets print. One streamed choice prints as it arrives, reasoning first; the
# chunks of several choices (n > 1) interleave, so each is gathered and printed at the end.
_GATHERED = "With n > 1 the choices' chunks interleave: gather each, print them at the end."
_EXTRA_FIELD = "reasoning_content is not in the openai package's types: it is an extra field."
_HTTPX_STREAM = """\
answering = False
with httpx.stream("POST", url, headers=headers, json=body, timeout=600) as response:
    response.raise_for_status()
    for line in response.iter_lines():
        data = line.removeprefix("data:").strip()
        if not line.startswith("data:") or data == "[DONE]":
            continue
        for choice in json.loads(data).get("choices", []):
            delta = choice["delta"]
            if delta.get("reasoning_content"):
                print(delta["reasoning_content"], end="", flush=True)
            if delta.get("content"):
                if not answering:
                    answering = True
                    print("\\n")  # the reasoning is over: the answer follows
                print(delta["content"], end="", flush=True)
print()
"""
_HTTPX_STREAM_CHOICES = f"""\
# {_GATHERED}
choices = {{}}
with httpx.stream("POST", url, headers=headers, json=body, timeout=600) as response:
    response.raise_for_status()
    for line in response.iter_lines():
        data = line.removeprefix("data:").strip()
        if not line.startswith("data:") or data == "[DONE]":
            continue
        for choice in json.loads(data).get("choices", []):
            text = choices.setdefault(choice["index"], {{"reasoning": "", "answer": ""}})
            text["reasoning"] += choice["delta"].get("reasoning_content") or ""
            text["answer"] += choice["delta"].get("content") or ""
for index, text in sorted(choices.items()):
    print(f"Choice {{index + 1}}")
    print("Reasoning:", text["reasoning"])
    print("Answer:", text["answer"])
"""
_HTTPX_WHOLE = """\
response = httpx.post(url, headers=headers, json=body, timeout=600)
response.raise_for_status()
for choice in response.json()["choices"]:
    print("Reasoning:", choice["message"].get("reasoning_content") or "")
    print("Answer:", choice["message"].get("content") or "")
"""
_OPENAI_STREAM = f"""\
answering = False
for chunk in stream:
    for choice in chunk.choices:
        # {_EXTRA_FIELD}
        reasoning = (choice.delta.model_extra or {{}}).get("reasoning_content")
        if reasoning:
            print(reasoning, end="", flush=True)
        if choice.delta.content:
            if not answering:
                answering = True
                print("\\n")  # the reasoning is over: the answer follows
            print(choice.delta.content, end="", flush=True)
print()
"""
_OPENAI_STREAM_CHOICES = f"""\
# {_GATHERED}
choices = {{}}
for chunk in stream:
    for choice in chunk.choices:
        text = choices.setdefault(choice.index, {{"reasoning": "", "answer": ""}})
        # {_EXTRA_FIELD}
        text["reasoning"] += (choice.delta.model_extra or {{}}).get("reasoning_content") or ""
        text["answer"] += choice.delta.content or ""
for index, text in sorted(choices.items()):
    print(f"Choice {{index + 1}}")
    print("Reasoning:", text["reasoning"])
    print("Answer:", text["answer"])
"""
_OPENAI_WHOLE = f"""\
for choice in completion.choices:
    # {_EXTRA_FIELD}
    print("Reasoning:", getattr(choice.message, "reasoning_content", None) or "")
    print("Answer:", choice.message.content or "")
"""
_FETCH_STREAM = """\
const decoder = new TextDecoder();
let buffer = "";
let answering = false;
for await (const bytes of response.body) {
  buffer += decoder.decode(bytes, { stream: true });
  const lines = buffer.split("\\n");
  buffer = lines.pop();
  for (const line of lines) {
    const data = line.replace(/^data:/, "").trim();
    if (!line.startsWith("data:") || data === "[DONE]") continue;
    for (const choice of JSON.parse(data).choices ?? []) {
      if (choice.delta.reasoning_content) process.stdout.write(choice.delta.reasoning_content);
      if (!choice.delta.content) continue;
      if (!answering) process.stdout.write("\\n\\n"); // the reasoning is over: the answer follows
      answering = true;
      process.stdout.write(choice.delta.content);
    }
  }
}
process.stdout.write("\\n");
"""
_FETCH_STREAM_CHOICES = f"""\
// {_GATHERED}
const choices = [];
const decoder = new TextDecoder();
let buffer = "";
for await (const bytes of response.body) {{
  buffer += decoder.decode(bytes, {{ stream: true }});
  const lines = buffer.split("\\n");
  buffer = lines.pop();
  for (const line of lines) {{
    const data = line.replace(/^data:/, "").trim();
    if (!line.startsWith("data:") || data === "[DONE]") continue;
    for (const choice of JSON.parse(data).choices ?? []) {{
      const text = (choices[choice.index] ??= {{ reasoning: "", answer: "" }});
      text.reasoning += choice.delta.reasoning_content ?? "";
      text.answer += choice.delta.content ?? "";
    }}
  }}
}}
choices.forEach((text, index) => {{
  console.log(`Choice ${{index + 1}}`);
  console.log("Reasoning:", text.reasoning);
  console.log("Answer:", text.answer);
}});
"""
_FETCH_WHOLE = """\
for (const choice of (await response.json()).choices) {
  console.log("Reasoning:", choice.message.reasoning_content ?? "");
  console.log("Answer:", choice.message.content ?? "");
}
"""


@dataclass(frozen=True)
class Snippet:
    name: str  # "curl", "httpx", "openai" or "fetch"
    label: str  # what the page calls it
    language: str  # a Pygments lexer name
    code: str


def snippets(base_url: str, body: Mapping[str, Any]) -> list[Snippet]:
    """The same request in the four ways the page offers, in the order it shows them."""
    url = endpoint(base_url)
    body = _readable_order(body)
    return [
        Snippet("curl", "curl", "bash", curl(url, body)),
        Snippet("httpx", "Python (httpx)", "python", python_httpx(url, body)),
        Snippet("openai", "Python (openai)", "python", python_openai(base_url, body)),
        Snippet("fetch", "JavaScript (fetch)", "javascript", javascript_fetch(url, body)),
    ]


def endpoint(base_url: str) -> str:
    """Where a provider's chat completions are: "https://h/v1/" -> "https://h/v1/chat/completions"."""
    return f"{base_url.rstrip('/')}/chat/completions"


def curl(url: str, body: Mapping[str, Any]) -> str:
    lines = [
        f"curl {shell_quote(url)}",
        *(["-N"] if body.get("stream") is True else []),  # print the stream as it arrives
        "-H 'Content-Type: application/json'",
        # Double quotes: the shell puts the variable's value in; nothing else is expanded.
        f'-H "Authorization: Bearer ${KEY_VARIABLE}"',
        f"-d {shell_quote(_json(body))}",
    ]
    return " \\\n  ".join(lines) + "\n"


def python_httpx(url: str, body: Mapping[str, Any]) -> str:
    streamed = body.get("stream") is True
    return (
        ("import json\n" if streamed else "")
        + "import os\n\nimport httpx\n\n"
        + f"url = {python_literal(url)}\n"
        + f'headers = {{"Authorization": "Bearer " + os.environ["{KEY_VARIABLE}"]}}\n'
        + f"body = {python_literal(body)}\n\n"
        + _pick(body, _HTTPX_STREAM, _HTTPX_STREAM_CHOICES, _HTTPX_WHOLE)
    )


def python_openai(base_url: str, body: Mapping[str, Any]) -> str:
    streamed = body.get("stream") is True
    arguments = [(k, v) for k, v in body.items() if k in OPENAI_ARGUMENTS]
    extra = {k: v for k, v in body.items() if k not in OPENAI_ARGUMENTS}
    lines = [f"    {name}={python_literal(value, 1)}," for name, value in arguments]
    if extra:
        lines.append("    # Fields the openai package does not know, sent as they are.")
        lines.append(f"    extra_body={python_literal(extra, 1)},")
    call = "stream" if streamed else "completion"
    return (
        "import os\n\nfrom openai import OpenAI\n\n"
        f"client = OpenAI(base_url={python_literal(base_url)}, "
        f'api_key=os.environ["{KEY_VARIABLE}"])\n\n'
        f"{call} = client.chat.completions.create(\n"
        + "\n".join(lines)
        + "\n)\n\n"
        + _pick(body, _OPENAI_STREAM, _OPENAI_STREAM_CHOICES, _OPENAI_WHOLE)
    )


def javascript_fetch(url: str, body: Mapping[str, Any]) -> str:
    return (
        "// Node 18 or later: save as request.mjs, then run `node request.mjs`.\n"
        f"const url = {javascript_literal(url)};\n"
        # JSON is JavaScript (ES2019 allows U+2028 and U+2029 in strings too).
        f"const body = {javascript_literal(body)};\n\n"
        "const response = await fetch(url, {\n"
        '  method: "POST",\n'
        "  headers: {\n"
        '    "Content-Type": "application/json",\n'
        f"    Authorization: `Bearer ${{process.env.{KEY_VARIABLE}}}`,\n"
        "  },\n"
        "  body: JSON.stringify(body),\n"
        "});\n"
        "if (!response.ok) throw new Error(`${response.status}: ${await response.text()}`);\n"
        + _pick(body, _FETCH_STREAM, _FETCH_STREAM_CHOICES, _FETCH_WHOLE)
    )


# --- literals ---------------------------------------------------------------------------


def shell_quote(text: str) -> str:
    r"""One shell word, in single quotes: nothing inside is expanded ($, `, \ stay).

    A single quote ends the quoting, is written escaped, and quoting starts again:
    it's -> 'it'\''s'.
    """
    return "'" + text.replace("'", "'\\''") + "'"


def python_literal(value: Any, indent: int = 0) -> str:
    """A Python expression equal to a JSON value; short lists and dicts on one line.

    Strings are JSON string literals, which Python reads the same way (the escapes
    \\" \\\\ \\n \\t \\uXXXX mean the same; other characters are written as they are).
    """
    if isinstance(value, Mapping):
        items = [
            f"{python_literal(str(k))}: {python_literal(v, indent + 1)}" for k, v in value.items()
        ]
        return _block("{", items, "}", indent)
    if isinstance(value, list | tuple):
        return _block("[", [python_literal(v, indent + 1) for v in value], "]", indent)
    if value is None or isinstance(value, bool):
        return repr(value)
    return _json(value)


def javascript_literal(value: Any) -> str:
    """A JavaScript expression equal to a JSON value: the JSON text itself."""
    return _json(value)


def _block(opening: str, items: Sequence[str], closing: str, indent: int) -> str:
    flat = opening + ", ".join(items) + closing
    if "\n" not in flat and 4 * indent + len(flat) <= _FLAT_WIDTH:
        return flat
    inner = "    " * (indent + 1)
    body = "".join(f"{inner}{item},\n" for item in items)
    return f"{opening}\n{body}{'    ' * indent}{closing}"


def _json(value: Any) -> str:
    # Non-ASCII stays readable; no NaN or Infinity, which are not JSON.
    return json.dumps(value, indent=2, ensure_ascii=False, allow_nan=False)


def _pick(body: Mapping[str, Any], stream: str, stream_choices: str, whole: str) -> str:
    if body.get("stream") is not True:
        return whole
    n = body.get("n")
    return stream_choices if isinstance(n, int) and n > 1 else stream


def _readable_order(body: Mapping[str, Any]) -> dict[str, Any]:
    """model and messages first, then the parameters as they were sent."""
    first = {key: body[key] for key in ("model", "messages") if key in body}
    return {**first, **{k: v for k, v in body.items() if k not in first}}
