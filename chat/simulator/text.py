"""The deterministic writer: reasoning and answer text from seeded sentence templates.

The text is made from sentence templates whose word slots are filled by a random
generator seeded (sha256, see chat.simulator.completion) from model, messages (markers
removed), temperature, top_p, top_k, the penalties and the choice index: the same
request gives the same text.

- temperature picks the vocabulary: below 0.5 plain words, below 1.2 everyday ones,
  from 1.2 vivid ones ("examine" / "look at" / "chew on").
- top_p and top_k narrow each slot to its most likely words (top_p 0.1 or top_k 1:
  always the first), so the wording gets more uniform.
- presence_penalty + frequency_penalty: positive avoids a word already used in the
  text, negative prefers one.
- Reasoning (40 tokens by default) names the prompt's topic; the answer (60 tokens by
  default) is Markdown: a heading, a paragraph, bullets, and a fenced code block when
  the last user message says "code". Lengths are exact unless the answer quotes a
  tool result or is JSON.
- response_format json_object: the answer is {"answer", "topic", "confidence"}.
- The marker refusal=N: instead of an answer, a refusal of exactly N tokens
  ("I'm sorry, but I can't help with …"), sent in the `refusal` field.

One word and the whitespace after it is one token (`split_tokens`).
"""

from __future__ import annotations

import json
import math
import random
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from chat.simulator.prompt import Prompt

# Each slot lists its words from plain to vivid; temperature picks a window of three.
_WORDS: dict[str, tuple[str, ...]] = {
    slot: tuple(words.split("|"))
    for slot, words in {
        "asks": "is asking about|wants to know about|asks about|is curious about"
        "|wonders about|is intrigued by|is fascinated by",
        "think": "examine|consider|look at|think about|weigh|mull over|chew on",
        "start": "start|begin|open|lead|kick off|dive in|leap in",
        "then": "then|next|afterwards|after that|later|eventually|at last",
        "core": "main|central|key|core|essential|load-bearing|beating-heart",
        "clear": "clear|precise|plain|easy to follow|crisp|sparkling|luminous",
        "short": "short|brief|concise|compact|tight|punchy|snappy",
        "useful": "useful|practical|helpful|handy|actionable|memorable|delightful",
        "example": "example|case|illustration|sample|scenario|vignette|tale",
        "pitfall": "mistake|pitfall|error|trap|snag|gotcha|banana peel",
        "check": "check|verify|confirm|test|double-check|sanity-check|poke at",
        "summary": "summary|recap|review|wrap-up|roundup|encore|flourish",
        "good": "good|sound|wise|sensible|smart|splendid|dazzling",
        "mention": "mention|describe|note|acknowledge|point out|spotlight|celebrate",
        "often": "usually|often|typically|commonly|frequently|happily|gleefully",
        "part": "parts|pieces|components|elements|building blocks|moving parts|gears",
        "build": "extend|grow|build on|expand|develop|stretch|supercharge",
        "detail": "details|specifics|particulars|fine print"
        "|nuances|hidden corners|nooks and crannies",
        "overall": "overall|in short|in summary|all in all"
        "|altogether|ultimately|in the grand scheme",
        "worth": "worth|well worth|truly worth|clearly worth"
        "|richly worth|wildly worth|gloriously worth",
        "effort": "effort|time|attention|study|practice|adventure|journey",
    }.items()
}

_REASONING_FILLERS = (
    "I should {start} with the {core} idea and {then} give one {example}.",
    "Let me {check} that each step is {clear}.",
    "The answer should be {short} and {useful}.",
    "I will {mention} one common {pitfall} so it can be avoided.",
    "A {short} {summary} at the end would help.",
    "It is {good} to {think} the {detail} before answering.",
)
_ANSWER_FILLERS = (
    "You {often} {start} with one small {example} and {then} {build} it.",
    "The {core} point is that {topic} rewards {clear} thinking.",
    "One common {pitfall} is to rush past the {detail}.",
    "It helps to {check} each step against one {good} {example}.",
    "{overall}, {topic} is {worth} the {effort}.",
)
_REFUSAL_LEAD = "I'm sorry, but I can't help with {topic}."
_REFUSAL_FILLERS = (
    "That request falls outside what I can {mention} here.",
    "Please ask about something else and I will {often} be glad to help.",
    "I have to decline this one, even in a {short} form.",
)
_ANSWER_LEAD = "{topic} is {often} understood by looking at its {core} {part}."
_CONTINUATION_LEAD = "and that is where {topic} comes in."
_BULLETS = (
    "- **Idea:** {start} with the {core} {part}.",
    "- **Practice:** {check} each step with one {example}.",
    "- **Watch out:** the usual {pitfall} hides in the {detail}.",
)
_CODE = (
    "```python\n"
    "def explain_{ident}() -> str:\n"
    '    return "{topic}: start small, then {build}."\n'
    "```"
)


@dataclass(frozen=True)
class Sampling:
    """The request's sampling settings, as the word picker reads them."""

    temperature: float
    top_p: float
    top_k: int | None
    penalty: float

    @staticmethod
    def float(body: Mapping[str, Any], name: str, default: float = 0.0) -> float:
        value = body.get(name)
        return default if value is None else float(value)

    @classmethod
    def of(cls, body: Mapping[str, Any]) -> Sampling:
        return cls(
            temperature=cls.float(body, "temperature", 1.0),
            top_p=cls.float(body, "top_p", 1.0),
            top_k=body.get("top_k"),
            penalty=cls.float(body, "presence_penalty") + cls.float(body, "frequency_penalty"),
        )

    @property
    def register(self) -> int:
        """0 plain, 1 everyday, 2 vivid."""
        return 0 if self.temperature < 0.5 else 1 if self.temperature < 1.2 else 2


class Writer:
    """Fills templates with words picked deterministically under the sampling settings."""

    def __init__(self, seed: int, sampling: Sampling, context: Mapping[str, str]) -> None:
        self._rng = random.Random(seed)
        self._sampling = sampling
        self._context = context
        self._used: set[str] = set()

    def pick(self, slot: str) -> str:
        window = _WORDS[slot][2 * self._sampling.register :][:3]
        keep = max(1, math.ceil(len(window) * self._sampling.top_p))
        if self._sampling.top_k is not None:
            keep = min(keep, self._sampling.top_k)
        pool = list(window[:keep])
        if self._sampling.penalty > 0:
            pool = [w for w in pool if w not in self._used] or pool
        elif self._sampling.penalty < 0:
            pool = [w for w in pool if w in self._used] or pool
        word = self._rng.choice(pool)
        self._used.add(word)
        return word

    def fill(self, template: str) -> str:
        def replace(match: re.Match[str]) -> str:
            key = match.group(1)
            if key in self._context:
                return self._context[key]
            return self.pick(key) if key in _WORDS else match.group(0)

        text = re.sub(r"\{(\w+)\}", replace, template)
        return text[:1].upper() + text[1:] if template.startswith("{") else text

    def prose(self, tokens: int, leads: Sequence[str], fillers: Sequence[str]) -> str:
        """Exactly `tokens` words: the lead sentences, then fillers in a seeded order."""
        sentences = [self.fill(lead) for lead in leads]
        while count_words(" ".join(sentences)) < tokens:
            sentences.append(self.fill(self._rng.choice(fillers)))
        return cut_words(" ".join(sentences), tokens)

    def number(self, low: float, high: float) -> float:
        return self._rng.uniform(low, high)

    def integer(self, low: int, high: int) -> int:
        return self._rng.randint(low, high)


def count_words(text: str) -> int:
    return len(text.split())


def cut_words(text: str, tokens: int) -> str:
    """The first `tokens` words, ending like a sentence when the cut falls inside one."""
    words = text.split(" ")
    if tokens >= len(words):
        return text
    if tokens == 0:
        return ""
    kept = " ".join(words[:tokens]).rstrip(",;:")
    return kept if kept.endswith((".", "!", "?")) else kept + "."


def split_tokens(text: str) -> list[str]:
    r"""Tokens as streamed: a word with the whitespace after it (and any before the first).

    >>> split_tokens("### Title\n\nA b.")
    ['### ', 'Title\n\n', 'A ', 'b.']
    """
    return re.findall(r"\s*\S+\s*", text)


def reasoning_text(writer: Writer, prompt: Prompt, tokens: int) -> str:
    leads = ["The user {asks} {topic}."]
    if prompt.images:
        leads.append("The message has an image, so I should {mention} it first.")
    if prompt.tools:
        names = " and ".join(f"`{tool['name']}`" for tool in prompt.tools)
        tools = "tool" if len(prompt.tools) == 1 else "tools"
        leads.append(f"The {names} {tools} can answer this, so I will call {names}.")
    elif prompt.tool_results:
        names = " and ".join(f"`{name}`" for name, _ in prompt.tool_results)
        answered = "tool has" if len(prompt.tool_results) == 1 else "tools have"
        leads.append(f"The {names} {answered} answered; let me {{think}} it.")
    elif prompt.json_mode:
        leads.append("The answer must be one JSON object.")
    elif prompt.partial is not None:
        leads.append("I should continue the text where it stops, without repeating it.")
    elif prompt.wants_code:
        leads.append("A {short} code {example} would make this {clear}.")
    return writer.prose(tokens, leads, _REASONING_FILLERS)


def answer_text(writer: Writer, prompt: Prompt, tokens: int) -> str:
    leads = [_image_note(prompt.images)] if prompt.images else []
    if prompt.tool_results:
        for name, result in prompt.tool_results:
            quoted = cut_words(" ".join(result.split()), 40)
            note = f"The `{name}` tool returned: {quoted}"
            leads.append(note if note.endswith((".", "!", "?")) else note + ".")
        return writer.prose(max(tokens, count_words(" ".join(leads))), leads, _ANSWER_FILLERS)
    if prompt.json_mode:
        return _json_answer(writer, prompt, leads, tokens)
    if prompt.partial is not None:
        return _continuation(writer, prompt.partial, tokens)
    return _markdown_answer(writer, prompt, leads, tokens)


def refusal_text(writer: Writer, tokens: int) -> str:
    """A polite refusal of exactly `tokens` words (the marker refusal=N)."""
    return writer.prose(tokens, [_REFUSAL_LEAD], _REFUSAL_FILLERS)


def _image_note(images: Sequence[str]) -> str:
    count = "1 image" if len(images) == 1 else f"{len(images)} images"
    return f"I see {count} ({'; '.join(images)})."


def _markdown_answer(writer: Writer, prompt: Prompt, leads: list[str], tokens: int) -> str:
    """A heading, a paragraph, bullets and maybe code; just a paragraph when short."""
    heading = "### " + prompt.topic.title()
    blocks = [writer.fill(b) for b in _BULLETS]
    if prompt.wants_code:
        ident = re.sub(r"\W+", "_", prompt.topic).strip("_").lower() or "topic"
        blocks.append(writer.fill(_CODE.replace("{ident}", ident)))
    paragraph_tokens = tokens - count_words(heading) - sum(count_words(b) for b in blocks)
    if paragraph_tokens < count_words(" ".join(leads)) + 12:
        return writer.prose(tokens, [*leads, _ANSWER_LEAD], _ANSWER_FILLERS)
    paragraph = writer.prose(paragraph_tokens, [*leads, _ANSWER_LEAD], _ANSWER_FILLERS)
    bullets = "\n".join(blocks[: len(_BULLETS)])
    return "\n\n".join([heading, paragraph, bullets, *blocks[len(_BULLETS) :]])


def _json_answer(writer: Writer, prompt: Prompt, leads: list[str], tokens: int) -> str:
    answer = writer.prose(max(tokens - 6, 1), [*leads, _ANSWER_LEAD], _ANSWER_FILLERS)
    confidence = round(writer.number(0.55, 0.98), 2)
    payload = {"answer": answer, "topic": prompt.topic, "confidence": confidence}
    return json.dumps(payload, ensure_ascii=False)


def _continuation(writer: Writer, prefix: str, tokens: int) -> str:
    """Text that goes on from `prefix`: mid-sentence it starts with a clause."""
    mid_sentence = prefix.rstrip() != "" and not prefix.rstrip().endswith((".", "!", "?", ":"))
    leads = [_CONTINUATION_LEAD] if mid_sentence else [_ANSWER_LEAD]
    text = writer.prose(tokens, leads, _ANSWER_FILLERS)
    return text if not text or prefix[-1:].isspace() or not prefix else " " + text
