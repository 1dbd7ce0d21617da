"""Messages form a tree; the page shows one path through it.

Pure: works on any objects with `pk`, `parent_id`, `role`, `batch` and
`choice_index` (saved messages, or plain records in tests). A *batch* is the
answers one request produced: its n choices share a parent and a batch id.
Siblings of a prompt are the other prompts under the same parent (edits);
siblings of a batch are the other batches under the same prompt (regenerations).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar


class Node(Protocol):
    """What the tree reads of a message.

    Loosely typed on purpose: mypy checks `Tree[Message]` before it knows a model's
    field types, and then only members typed Any or object accept a Message
    (typeddjango/django-stubs#651). What the tree hands back is the caller's own type.
    """

    @property
    def pk(self) -> Any: ...  # an int for saved messages: ordered, a dict key
    @property
    def parent_id(self) -> Any: ...  # a pk, or None at the root
    @property
    def role(self) -> object: ...
    @property
    def batch(self) -> Hashable: ...
    @property
    def choice_index(self) -> Any: ...  # an int: the order within a batch


N = TypeVar("N", bound=Node)


@dataclass
class Step(Generic[N]):
    """One turn on the path: a prompt and the batch of answers that follows it."""

    user: N | None
    choices: list[N] = field(default_factory=list)
    chosen: N | None = None  # the choice the path goes on from
    user_siblings: list[N] = field(default_factory=list)  # prompts, oldest first
    batch_siblings: list[N] = field(default_factory=list)  # first message of each batch

    @property
    def user_position(self) -> int:
        return _position(self.user_siblings, self.user)

    @property
    def batch_position(self) -> int:
        return _position(self.batch_siblings, self.choices[0] if self.choices else None)

    @property
    def key(self) -> str:
        """The turn's id on the page: its prompt's (or its first answer's) pk."""
        first = self.user or (self.choices[0] if self.choices else None)
        return "" if first is None else str(first.pk)

    @property
    def signature(self) -> str:
        """What the page's turn shows of the tree's shape: its prompt and answers, the one
        chosen and the sibling navigation. Equal signatures render alike up to the text
        and status of the answers, which their own events update."""
        return "|".join(
            [
                self.key,
                ",".join(str(c.pk) for c in self.choices),
                str(getattr(self.chosen, "pk", "")),
                f"{self.user_position}/{len(self.user_siblings)}",
                f"{self.batch_position}/{len(self.batch_siblings)}",
            ]
        )


def _position(siblings: Sequence[Node], node: Node | None) -> int:
    for index, sibling in enumerate(siblings, start=1):
        if node is not None and sibling.pk == node.pk:
            return index
    return 0


def changed_from(shown: Sequence[str], now: Sequence[str]) -> int:
    """Where a page showing turns `shown` must start re-rendering to show `now` (the
    turns' signatures): the length of their common prefix.

    >>> changed_from(["1|2", "3|4"], ["1|2", "3|4", "5|6"])  # a new prompt: append
    2
    >>> changed_from(["1|2", "3|4"], ["1|2", "3|7"])  # a regenerated answer
    1
    """
    same = 0
    for old, new in zip(shown, now, strict=False):
        if old != new:
            break
        same += 1
    return same


class Tree(Generic[N]):
    def __init__(self, messages: Iterable[N]) -> None:
        self.nodes: dict[int, N] = {m.pk: m for m in messages}
        self.children: dict[int | None, list[N]] = defaultdict(list)
        for node in sorted(self.nodes.values(), key=lambda m: m.pk):
            self.children[node.parent_id].append(node)

    def path(self, leaf_pk: int | None) -> list[N]:
        """Root to leaf; an unknown leaf gives the newest path through the tree."""
        if leaf_pk not in self.nodes:
            start = self.newest_leaf(None)
            if start is None:
                return []
            leaf_pk = start.pk
        path: list[N] = []
        node = self._node(leaf_pk)
        while node is not None:
            path.append(node)
            node = self._node(node.parent_id)
        return path[::-1]

    def newest_leaf(self, start_pk: int | None) -> N | None:
        """Follow the newest child down from start (None: from the root)."""
        node = self._node(start_pk)
        while True:
            child = self._newest_child(node.pk if node is not None else None)
            if child is None:
                return node
            node = child

    def _node(self, pk: int | None) -> N | None:
        return self.nodes.get(pk) if pk is not None else None

    def _newest_child(self, parent_pk: int | None) -> N | None:
        children = self.children.get(parent_pk, [])
        if not children:
            return None
        newest = children[-1]
        # Of the newest batch, the path goes on from its first choice.
        same_batch = [c for c in children if c.batch == newest.batch]
        return min(same_batch, key=lambda c: c.choice_index)

    def batch(self, node: N) -> list[N]:
        siblings = self.children.get(node.parent_id, [])
        return sorted((c for c in siblings if c.batch == node.batch), key=lambda c: c.choice_index)

    def user_siblings(self, node: N) -> list[N]:
        return [c for c in self.children.get(node.parent_id, []) if c.role == node.role]

    def batch_siblings(self, node: N) -> list[N]:
        """The first message of each batch answering the same prompt, oldest first."""
        firsts: dict[Hashable, N] = {}
        for child in self.children.get(node.parent_id, []):
            if child.role == node.role and child.batch not in firsts:
                firsts[child.batch] = child
        return list(firsts.values())

    def steps(self, leaf_pk: int | None) -> list[Step[N]]:
        steps: list[Step[N]] = []
        for node in self.path(leaf_pk):
            if node.role == "assistant":
                if not steps or steps[-1].choices:
                    steps.append(Step[N](None))
                step = steps[-1]
                step.choices = self.batch(node)
                step.chosen = node
                step.batch_siblings = self.batch_siblings(node)
            else:
                steps.append(Step(node, user_siblings=self.user_siblings(node)))
        return steps


# -- a path as the API's `messages` list -----------------------------------------

# Statuses whose text is worth carrying into the next turn.
_USABLE = {"complete", "stopped", "interrupted"}


class _Sendable(Protocol):
    @property
    def role(self) -> str: ...
    @property
    def content(self) -> str: ...
    @property
    def reasoning(self) -> str: ...
    @property
    def tool_calls(self) -> list[object] | None: ...
    @property
    def tool_results(self) -> list[dict[str, Any]] | None: ...
    @property
    def status(self) -> str: ...


def api_messages(
    system_prompt: str,
    earlier: Iterable[_Sendable],
    prompt: str | None,
    images: Mapping[Any, Sequence[str]] | None = None,
    prompt_images: Sequence[str] = (),
) -> list[dict[str, object]]:
    """The messages to send for a new prompt after the earlier ones (None: the earlier
    ones end with tool results, which the model answers next).

    `earlier` is the visible path (one choice of each batch). An assistant's reasoning is
    sent back only with its tool calls (Moonshot rejects a tool-calling message
    without its reasoning_content) and otherwise left out, as the API expects. A tool
    message holds the results of its parent's calls: one API `tool` message each.

    `images` holds the data URLs of the earlier prompts' images by message pk, and
    `prompt_images` the new prompt's: a prompt with images is sent as content parts
    (its text, then an `image_url` part per image).

    >>> api_messages("Be brief.", [], "Hi")
    [{'role': 'system', 'content': 'Be brief.'}, {'role': 'user', 'content': 'Hi'}]
    """
    messages: list[dict[str, object]] = []
    if system_prompt.strip():
        messages.append({"role": "system", "content": system_prompt})
    for message in earlier:
        if message.role == "user":
            urls = (images or {}).get(getattr(message, "pk", None), ())
            messages.append({"role": "user", "content": _user_content(message.content, urls)})
        elif message.role == "assistant":
            if message.status not in _USABLE:
                continue
            if not (message.content or message.tool_calls):
                continue
            entry: dict[str, object] = {"role": "assistant", "content": message.content}
            if message.tool_calls:
                entry["tool_calls"] = message.tool_calls
                entry["reasoning_content"] = message.reasoning
            messages.append(entry)
        elif message.role == "tool":
            messages.extend(tool_message(result) for result in message.tool_results or [])
    if prompt is not None:
        messages.append({"role": "user", "content": _user_content(prompt, prompt_images)})
    return messages


def tool_message(result: Mapping[str, Any]) -> dict[str, object]:
    """One tool result as the API takes it. A call the person marked as failed is sent
    as {"error": ...}, so the model can tell a failure from a result.

    >>> tool_message({"tool_call_id": "call_1", "name": "calculate", "content": "84"})
    {'role': 'tool', 'tool_call_id': 'call_1', 'name': 'calculate', 'content': '84'}
    >>> tool_message({"tool_call_id": "c", "name": "f", "content": "", "failed": True})["content"]
    '{"error": "The call failed."}'
    """
    content = str(result.get("content") or "")
    if result.get("failed"):
        content = json.dumps({"error": content or "The call failed."}, ensure_ascii=False)
    return {
        "role": "tool",
        "tool_call_id": str(result.get("tool_call_id") or ""),
        # Moonshot's examples name the function too; other servers ignore it.
        "name": str(result.get("name") or ""),
        "content": content,
    }


def _user_content(text: str, urls: Sequence[str]) -> str | list[dict[str, object]]:
    if not urls:
        return text
    parts: list[dict[str, object]] = [{"type": "text", "text": text}]
    parts += [{"type": "image_url", "image_url": {"url": url}} for url in urls]
    return parts
