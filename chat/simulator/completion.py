"""The whole completion for a request: pure and deterministic, cut as the API would.

- Each choice's words come from a writer seeded (sha256) from model, messages
  (markers removed), temperature, top_p, top_k, the penalties and the choice index.
- max_tokens counts reasoning + answer tokens and ends with finish_reason "length".
- stop cuts the answer before the first stop string (finish_reason "stop").
- The marker refusal=N: each choice is a refusal of N tokens in the `refusal` field,
  with no content and no tool calls (finish_reason "stop").
- n gives n different choices, but one when temperature < NEAR_ZERO_TEMPERATURE.
- usage: completion_tokens = reasoning + answer tokens (a tool call counts one token
  for its name plus one per arguments fragment); prompt_tokens = words in the
  messages; cached_tokens = 0 on a first turn, later the words before the last user
  message (the part a real cache would have seen).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from chat.api.params import NEAR_ZERO_TEMPERATURE
from chat.simulator import grading
from chat.simulator.arguments import tool_arguments
from chat.simulator.options import NO_OPTIONS, SimOptions, without_markers
from chat.simulator.prompt import Prompt, read_prompt, text_of
from chat.simulator.text import (
    Sampling,
    Writer,
    answer_text,
    count_words,
    reasoning_text,
    refusal_text,
    split_tokens,
)


@dataclass(frozen=True)
class ToolCall:
    id: str
    name: str
    fragments: tuple[str, ...]  # the arguments JSON, as streamed

    @property
    def arguments(self) -> str:
        return "".join(self.fragments)

    @property
    def tokens(self) -> int:
        return 1 + len(self.fragments)


@dataclass(frozen=True)
class Choice:
    index: int
    reasoning: tuple[str, ...]
    content: tuple[str, ...]
    tool_calls: tuple[ToolCall, ...]
    finish_reason: str
    # OpenAI's `refusal`: the model declined, and the content stays null.
    refusal: tuple[str, ...] = ()

    @property
    def completion_tokens(self) -> int:
        tool_tokens = sum(call.tokens for call in self.tool_calls)
        return len(self.reasoning) + len(self.content) + len(self.refusal) + tool_tokens


@dataclass(frozen=True)
class Completion:
    model: str
    choices: tuple[Choice, ...]
    prompt_tokens: int
    cached_tokens: int


def generate(body: Mapping[str, Any], options: SimOptions = NO_OPTIONS) -> Completion:
    """The whole completion for a valid request body; pure and deterministic."""
    messages = without_markers(body["messages"])
    prompt = read_prompt(body, messages)
    sampling = Sampling.of(body)
    n = 1 if sampling.temperature < NEAR_ZERO_TEMPERATURE else body.get("n") or 1
    choices = tuple(
        _choice(index, _seed(body, messages, sampling, index), sampling, prompt, body, options)
        for index in range(n)
    )
    prompt_tokens, cached_tokens = _prompt_tokens(body["messages"])
    return Completion(body["model"], choices, prompt_tokens, cached_tokens)


def _seed(body: Mapping[str, Any], messages: list[Any], sampling: Sampling, index: int) -> int:
    material = json.dumps(
        [
            body["model"],
            messages,
            sampling.temperature,
            sampling.top_p,
            sampling.top_k,
            Sampling.float(body, "presence_penalty"),
            Sampling.float(body, "frequency_penalty"),
            index,
        ],
        sort_keys=True,
        default=str,
    )
    return int.from_bytes(hashlib.sha256(material.encode()).digest()[:8], "big")


def _choice(
    index: int,
    seed: int,
    sampling: Sampling,
    prompt: Prompt,
    body: Mapping[str, Any],
    options: SimOptions,
) -> Choice:
    writer = Writer(seed, sampling, {"topic": prompt.topic})
    reasoning = split_tokens(reasoning_text(writer, prompt, options.reasoning_tokens))
    if options.refusal_tokens is not None:
        refusal = tuple(split_tokens(refusal_text(writer, options.refusal_tokens)))
        return _limited(Choice(index, tuple(reasoning), (), (), "stop", refusal), body)
    if prompt.tools:
        calls = tuple(
            ToolCall(
                f"call_{seed:016x}_{number}",
                tool["name"],
                tuple(
                    split_tokens(json.dumps(tool_arguments(writer, prompt, tool.get("parameters"))))
                ),
            )
            for number, tool in enumerate(prompt.tools)
        )
        return _limited(Choice(index, tuple(reasoning), (), calls, "tool_calls"), body)
    judged = grading.verdict(body["messages"])
    if judged is not None:  # an evaluation's model-graded check (chat.simulator.grading)
        return _limited(
            Choice(index, tuple(reasoning), tuple(split_tokens(judged)), (), "stop"), body
        )
    answer = _cut_at_stop(answer_text(writer, prompt, options.answer_tokens), body.get("stop"))
    return _limited(Choice(index, tuple(reasoning), tuple(split_tokens(answer)), (), "stop"), body)


def _cut_at_stop(text: str, stop: object) -> str:
    stops = [stop] if isinstance(stop, str) else stop if isinstance(stop, list) else []
    cuts = [i for s in stops if (i := text.find(s)) >= 0]
    return text[: min(cuts)] if cuts else text


def _limited(choice: Choice, body: Mapping[str, Any]) -> Choice:
    """The choice cut to max_tokens (reasoning first), finishing with "length" if cut."""
    budget = body.get("max_tokens")
    if budget is None or choice.completion_tokens <= budget:
        return choice
    reasoning = choice.reasoning[:budget]
    budget -= len(reasoning)
    content = choice.content[:budget]
    refusal = choice.refusal[:budget]
    calls: list[ToolCall] = []
    for call in choice.tool_calls:  # each call costs its name and its fragments
        if budget <= 0:
            break
        calls.append(ToolCall(call.id, call.name, call.fragments[: budget - 1]))
        budget -= call.tokens
    return Choice(choice.index, reasoning, content, tuple(calls), "length", refusal)


def _prompt_tokens(messages: list[Any]) -> tuple[int, int]:
    """(prompt tokens, cached tokens): words sent; cached = words before the last user turn."""
    counts = [count_words(_message_words(m)) for m in messages]
    roles = [m.get("role") for m in messages]
    last_user = max((i for i, role in enumerate(roles) if role == "user"), default=0)
    cached = sum(counts[:last_user]) if "assistant" in roles[:last_user] else 0
    return max(1, sum(counts)), cached


def _message_words(message: Mapping[str, Any]) -> str:
    calls = message.get("tool_calls") or []
    arguments = " ".join(c.get("function", {}).get("arguments", "") for c in calls)
    return f"{text_of(message.get('content'))} {arguments}"
