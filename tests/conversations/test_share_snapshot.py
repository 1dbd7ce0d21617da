"""Share snapshots (chat.sharing.snapshot): what a link shows, and a copy of it
read back as an import (pure, no database)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from chat.sharing import snapshot

SENT_AT = datetime(2025, 5, 1, 12, 0, 0, tzinfo=UTC)


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


def test_a_refusal_is_shared_and_copied_with_its_answer():
    steps = _steps()
    steps[0]["choices"][1] = {**steps[0]["choices"][1], "content": "", "refusal": "I can't."}
    shot = snapshot.build(
        title="T", system_prompt="", settings={}, steps=steps, include_reasoning=False
    )
    assert shot["steps"][0]["choices"][1]["refusal"] == "I can't."
    assert shot["steps"][0]["choices"][0]["refusal"] is None  # none was sent
    copied = snapshot.to_import(json.loads(json.dumps(shot)))
    assert [m["refusal"] for m in copied.messages if m["role"] == "assistant"] == ["", "I can't."]
