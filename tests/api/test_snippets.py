"""View code's snippets: every body comes back out of every language exactly, and no key
ever goes in. The readers below are also how the view tests take a body off the page."""

from __future__ import annotations

import ast
import inspect
import json
import os
import re
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chat.api import snippets

BASE = "https://api.example.test/v1"
NAMES = ("curl", "httpx", "openai", "fetch")


# -- reading a body back out of a snippet -------------------------------------------------


def curl_body(code: str) -> dict:
    """The single-quoted shell word after -d, with each '\\'' read back as a quote."""
    match = re.search(r"^  -d '((?:[^']|'\\'')*)'$", code, re.M)
    assert match, code
    return json.loads(match.group(1).replace("'\\''", "'"))


def httpx_body(code: str) -> dict:
    """The Python literal assigned to `body`, as Python reads it."""
    for node in ast.parse(code).body:
        if isinstance(node, ast.Assign) and ast.unparse(node.targets[0]) == "body":
            return ast.literal_eval(node.value)
    raise AssertionError(f"no body in {code}")


def openai_body(code: str) -> dict:
    """The keyword arguments of `create`, with extra_body merged in as the package does."""
    call = next(
        node
        for node in ast.walk(ast.parse(code))
        if isinstance(node, ast.Call) and ast.unparse(node.func) == "client.chat.completions.create"
    )
    body = {keyword.arg: ast.literal_eval(keyword.value) for keyword in call.keywords}
    extra = body.pop("extra_body", {})
    assert not extra.keys() & body.keys()
    return {**body, **extra}


def fetch_body(code: str) -> dict:
    """The object literal assigned to `body` (JSON text, which is JavaScript)."""
    match = re.search(r"^const body = (.*?);$", code, re.M | re.S)
    assert match, code
    return json.loads(match.group(1))


READERS = {"curl": curl_body, "httpx": httpx_body, "openai": openai_body, "fetch": fetch_body}


def bodies(found: dict[str, str]) -> dict[str, dict]:
    """{snippet name: its code} -> {snippet name: the body read back out of it}."""
    return {name: READERS[name](code) for name, code in found.items()}


def codes(body: dict, base: str = BASE) -> dict[str, str]:
    return {snippet.name: snippet.code for snippet in snippets.snippets(base, body)}


def body_with(text: str, **fields) -> dict:
    return {
        "model": "kimi-k2-thinking",
        "messages": [
            {"role": "system", "content": text},
            {"role": "user", "content": text},
        ],
        "temperature": 0.7,
        "top_k": 40,
        "stop": [text],
        "stream": True,
        "stream_options": {"include_usage": True},
        **fields,
    }


# -- escaping ------------------------------------------------------------------------------

AWKWARD = [
    pytest.param('say "hi"', id="double-quotes"),
    pytest.param("it's", id="single-quote"),
    pytest.param("'\\''", id="the-shell-escape-itself"),
    pytest.param("C:\\new\\table \\n is not a newline \\", id="backslashes"),
    pytest.param("line one\nline two\r\n\ttabbed", id="newlines"),
    pytest.param("$(rm -rf /) ${HOME} $HOME !! \\$x", id="shell-expansion"),
    pytest.param("`whoami` and ```python fences```", id="backticks"),
    pytest.param("${process.env.PLAYGROUND_API_KEY} {os.environ}", id="template-syntax"),
    pytest.param("</script><script>alert(1)</script>", id="script-tag"),
    pytest.param("\"\"\"triple\"\"\" and '''triple'''", id="triple-quotes"),
    pytest.param("emoji 😀👩‍👩‍👧 中文 é", id="non-ascii"),
    pytest.param("\u2028\u2029 \x00 \x1b[31m \x7f \u202e", id="separators-and-controls"),
    pytest.param("", id="empty"),
]


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("text", AWKWARD)
def test_every_snippet_carries_the_body_exactly(name, text):
    body = body_with(text)
    assert READERS[name](codes(body)[name]) == body


@pytest.mark.parametrize("text", AWKWARD)
def test_the_shell_hands_curl_the_body_as_it_is(text):
    """Run by bash itself, with a `curl` that only prints the arguments it was given."""
    body = body_with(text)
    script = 'curl() { printf "%s\\0" "$@"; }\n' + codes(body)["curl"]
    env = {"PATH": os.environ["PATH"], "PLAYGROUND_API_KEY": "key-from-the-environment"}
    result = subprocess.run(["bash", "-c", script], capture_output=True, env=env, check=True)
    arguments = result.stdout.decode().split("\0")[:-1]
    assert arguments[0] == f"{BASE}/chat/completions"
    assert "Authorization: Bearer key-from-the-environment" in arguments
    assert json.loads(arguments[arguments.index("-d") + 1]) == body


# A busy machine makes examples slow, not wrong: no deadline, no speed check.
@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(st.characters(exclude_categories=["Cs"])))
def test_any_text_round_trips_through_every_snippet(text):
    body = body_with(text)
    assert bodies(codes(body)) == dict.fromkeys(NAMES, body)


@pytest.mark.parametrize(
    ("text", "quoted"),
    [
        ("plain", "'plain'"),
        ("it's", "'it'\\''s'"),
        ("$(rm -rf /)", "'$(rm -rf /)'"),
        ("", "''"),
    ],
)
def test_shell_quote(text, quoted):
    assert snippets.shell_quote(text) == quoted


@pytest.mark.parametrize(
    ("value", "literal"),
    [
        ({"stream": True, "stop": None}, '{"stream": True, "stop": None}'),
        ([], "[]"),
        ({"t": 0.3, "n": 2}, '{"t": 0.3, "n": 2}'),
        ("😀\n", '"😀\\n"'),
    ],
)
def test_python_literal(value, literal):
    assert snippets.python_literal(value) == literal
    assert ast.literal_eval(literal) == value


@pytest.mark.parametrize(
    ("base", "url"),
    [
        ("https://api.example.test/v1", "https://api.example.test/v1/chat/completions"),
        ("https://api.example.test/v1/", "https://api.example.test/v1/chat/completions"),
        ("http://127.0.0.1:8000/sim/v1", "http://127.0.0.1:8000/sim/v1/chat/completions"),
    ],
)
def test_the_url_is_the_providers_chat_completions(base, url):
    found = codes(body_with("Hi"), base)
    assert snippets.endpoint(base) == url
    assert found["curl"].startswith(f"curl '{url}'")
    assert f'url = "{url}"' in found["httpx"]
    assert f'OpenAI(base_url="{base}"' in found["openai"]
    assert f'const url = "{url}";' in found["fetch"]


# -- the key ---------------------------------------------------------------------------------


def test_the_key_is_only_ever_an_environment_variable():
    found = codes(body_with("Hi"))
    assert '-H "Authorization: Bearer $PLAYGROUND_API_KEY"' in found["curl"]
    assert '"Bearer " + os.environ["PLAYGROUND_API_KEY"]' in found["httpx"]
    assert 'api_key=os.environ["PLAYGROUND_API_KEY"]' in found["openai"]
    assert "`Bearer ${process.env.PLAYGROUND_API_KEY}`" in found["fetch"]
    # Nothing takes a key: there is no way to hand one in.
    assert "api_key" not in inspect.signature(snippets.snippets).parameters


# -- languages -------------------------------------------------------------------------------


@pytest.mark.parametrize("stream", [True, False])
@pytest.mark.parametrize("n", [1, 3])
def test_the_python_snippets_compile(stream, n):
    found = codes(body_with("Hi", stream=stream, n=n))
    compile(found["httpx"], "httpx.py", "exec")
    compile(found["openai"], "openai.py", "exec")


def test_a_stream_is_read_as_it_arrives_reasoning_and_answer():
    found = codes(body_with("Hi"))
    assert found["curl"].startswith(f"curl '{BASE}/chat/completions' \\\n  -N \\\n")
    assert 'httpx.stream("POST", url' in found["httpx"]
    assert 'print(delta["reasoning_content"]' in found["httpx"]
    assert 'print(delta["content"]' in found["httpx"]
    assert "for chunk in stream:" in found["openai"]
    assert '(choice.delta.model_extra or {}).get("reasoning_content")' in found["openai"]
    assert "for await (const bytes of response.body)" in found["fetch"]
    assert "process.stdout.write(choice.delta.reasoning_content)" in found["fetch"]


def test_several_streamed_choices_are_gathered_then_printed():
    found = codes(body_with("Hi", n=2))
    assert 'choices.setdefault(choice["index"]' in found["httpx"]
    assert "choices.setdefault(choice.index" in found["openai"]
    assert "choices[choice.index] ??=" in found["fetch"]


def test_a_whole_answer_is_read_at_once():
    body = body_with("Hi", stream=False)
    del body["stream_options"]
    found = codes(body)
    assert " -N " not in found["curl"]
    assert "httpx.post(url" in found["httpx"] and "import json" not in found["httpx"]
    assert "completion = client.chat.completions.create(" in found["openai"]
    assert 'getattr(choice.message, "reasoning_content", None)' in found["openai"]
    assert "await response.json()" in found["fetch"]


def test_openai_gets_fields_it_does_not_know_through_extra_body():
    code = codes(body_with("Hi"))["openai"]
    assert "    top_k=" not in code
    assert 'extra_body={"top_k": 40},' in code
    assert "    temperature=0.7," in code
    no_extras = codes({"model": "m", "messages": [], "temperature": 1.0})["openai"]
    assert "extra_body" not in no_extras


def test_the_openai_arguments_are_the_packages_own():
    from openai.resources.chat.completions import Completions

    known = inspect.signature(Completions.create).parameters
    assert known.keys() >= snippets.OPENAI_ARGUMENTS


def test_model_and_messages_come_first():
    body = {"stream": False, "temperature": 1.0, "messages": [], "model": "m"}
    assert list(fetch_body(codes(body)["fetch"])) == ["model", "messages", "stream", "temperature"]


def test_it_is_pure():
    code = "import sys, chat.api.snippets; print(sorted(m for m in sys.modules if 'django' in m))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, check=True)
    assert result.stdout.decode().strip() == "[]"
