"""What a person can ask of a conversation: send a prompt, regenerate an answer,
run it again exactly, continue a cut answer, edit an earlier prompt, switch branch.

Shared by the websocket consumer and the plain-form view. Each action saves what
it creates, moves the conversation's current leaf, tells every page watching
(`gen.started` from the generation, `gen.path` from here) and starts the generation.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping, Sequence

from django.core.cache import cache
from django.utils import timezone

from chat import sessions
from chat.api import params, rules
from chat.conversations import attachments as attached
from chat.conversations import generation, hub, owner
from chat.conversations.generation import Choice, Generation
from chat.conversations.tree import Tree, api_messages
from chat.limits import starts
from chat.models import Attachment, Conversation, Message, title_from_prompt
from chat.providers import upstreams
from chat.providers.upstreams import Provider

# How long a start may hold its conversation's claim; a process that dies holding one
# leaves it this long at most.
START_CLAIM_SECONDS = 30
STARTING = "Another answer is starting in this conversation (another tab?): wait for it."


def _claim_key(conversation_id: int) -> str:
    return f"starting:{conversation_id}"


@contextlib.asynccontextmanager
async def claimed(conversation_id: int) -> AsyncIterator[bool]:
    """Whether this start has the conversation to itself from its "is anything
    streaming?" check until its answers exist: in the shared cache, so two sends at
    the same instant (two tabs, two processes) start one answer, not two."""
    key = _claim_key(conversation_id)
    mine = await cache.aadd(key, 1, START_CLAIM_SECONDS)
    try:
        yield mine
    finally:
        if mine:
            await cache.adelete(key)


@contextlib.contextmanager
def claimed_sync(conversation_id: int) -> Iterator[bool]:
    """`claimed`, for the plain form's view."""
    key = _claim_key(conversation_id)
    mine = cache.add(key, 1, START_CLAIM_SECONDS)
    try:
        yield mine
    finally:
        if mine:
            cache.delete(key)


async def refusal(conversation: Conversation, provider: Provider) -> str | None:
    """Why the person may not start another answer now (their limits), or None."""
    return await starts.arefusal(conversation.owner_id, spends_server_key=not provider.is_personal)


def tokens_counter(
    owner_id: int, provider: Provider
) -> Callable[[Generation], Awaitable[None]] | None:
    """What runs after a generation: its tokens added to the person's day, when it
    spent the server's key (a person's own provider is theirs to spend)."""
    if provider.is_personal:
        return None

    async def count(run: Generation) -> None:
        await starts.acount_spent(owner_id, [choice.usage for choice in run.choices.values()])

    return count


async def load_tree(conversation: Conversation) -> Tree[Message]:
    return Tree([m async for m in conversation.messages.order_by("id")])


def _prompt_of(tree: Tree[Message], answer: Message) -> Message:
    """The prompt an answer answers: its parent, which every answer has."""
    if answer.parent_id is None:
        raise ValueError(f"answer {answer.pk} has no prompt")
    return tree.nodes[answer.parent_id]


async def send_prompt(
    conversation: Conversation,
    prompt: str,
    settings: dict,
    provider: Provider,
    parent: Message | None,
    images: Sequence[Attachment] = (),
) -> Generation:
    """A new prompt after `parent` (the current leaf, or an edited prompt's parent),
    with `images`: the sender's pending uploads (chat.conversations.attachments.claim)
    or an edited prompt's own images."""
    tree = await load_tree(conversation)
    earlier = tree.path(parent.pk) if parent is not None else []
    user = await Message.objects.acreate(
        conversation=conversation,
        parent=parent,
        role=Message.Role.USER,
        content=prompt,
        status=Message.Status.COMPLETE,
        sent_at=timezone.now(),
    )
    prompt_images = await attached.aattach(user, images) if images else []
    if not conversation.title:
        conversation.title = title_from_prompt(prompt)
    conversation.settings = settings
    urls = await attached.adata_urls([m.pk for m in earlier if m.role == Message.Role.USER])
    new_urls = await attached.adata_urls([user.pk]) if prompt_images else {}
    messages = api_messages(
        conversation.system_prompt, earlier, prompt, urls, new_urls.get(user.pk, ())
    )
    body = params.build_body(settings, messages)
    return await _answer(conversation, user, body, provider)


async def send_results(
    conversation: Conversation,
    answer: Message,
    results: list[dict],
    settings: dict,
    provider: Provider,
) -> Generation:
    """The results of `answer`'s tool calls, one tool message under it, and the model's
    next answer to them: the request carries the calls with their reasoning, then one
    `tool` message per call, in order (tree.api_messages)."""
    tree = await load_tree(conversation)
    results_message = await Message.objects.acreate(
        conversation=conversation,
        parent=answer,
        role=Message.Role.TOOL,
        tool_results=results,
        status=Message.Status.COMPLETE,
        sent_at=timezone.now(),
    )
    conversation.settings = settings
    earlier = [*tree.path(answer.pk), results_message]
    urls = await attached.adata_urls([m.pk for m in earlier if m.role == Message.Role.USER])
    messages = api_messages(conversation.system_prompt, earlier, None, urls)
    body = params.build_body(settings, messages)
    return await _answer(conversation, results_message, body, provider)


async def regenerate(
    conversation: Conversation,
    answer: Message,
    provider: Provider,
    settings: dict | None,
) -> Generation:
    """A new batch of answers to the same prompt: with `settings`, or exactly as before."""
    tree = await load_tree(conversation)
    user = _prompt_of(tree, answer)
    urls = await attached.adata_urls(prompt_ids(tree, answer))
    if settings is None:  # run again exactly: the very parameters sent the first time
        body = exact_body(conversation, tree, answer, urls)
    else:
        conversation.settings = settings
        body = params.build_body(settings, _prompt_messages(conversation, tree, answer, urls))
    return await _answer(conversation, user, body, provider)


def exact_body(
    conversation: Conversation,
    tree: Tree[Message],
    answer: Message,
    images: Mapping[int, Sequence[str]] | None = None,
) -> dict:
    """The request that produced `answer`: the very parameters sent, and the messages of
    the path up to its prompt, with `images` (data URLs by prompt pk: see prompt_ids).
    "Run again" sends it; "View code" shows it.

    The system prompt is the conversation's own, which is not kept per message.
    """
    messages = _prompt_messages(conversation, tree, answer, images)
    return {**answer.request_params, "messages": messages}


def prompt_ids(tree: Tree[Message], answer: Message) -> list[int]:
    """The prompts on the path up to `answer`'s: those whose images its request sends."""
    user = _prompt_of(tree, answer)
    return [m.pk for m in tree.path(user.pk) if m.role == Message.Role.USER]


def _prompt_messages(
    conversation: Conversation,
    tree: Tree[Message],
    answer: Message,
    images: Mapping[int, Sequence[str]] | None = None,
) -> list[dict[str, object]]:
    user = _prompt_of(tree, answer)
    if user.role == Message.Role.TOOL:  # an answer to tool results: they end the path
        return api_messages(conversation.system_prompt, tree.path(user.pk), None, images)
    earlier = tree.path(user.parent_id) if user.parent_id else []
    images = images or {}
    return api_messages(
        conversation.system_prompt, earlier, user.content, images, images.get(user.pk, ())
    )


def continue_refusal(answer: Message) -> str | None:
    """Why `answer` cannot be continued, in the API's words, or None: Continue uses
    partial mode, which the API refuses together with json_object."""
    return rules.partial_refusal(answer.request_params or {})


async def continue_answer(
    conversation: Conversation, answer: Message, provider: Provider
) -> Generation:
    """Go on from where a stopped or cut answer ended, appending to the same answer.

    Uses the API's partial mode (a last assistant message with partial: true); an
    answer `continue_refusal` refuses is the caller's to turn down.
    """
    refused = continue_refusal(answer)
    if refused:
        raise ValueError(refused)
    sent = dict(answer.request_params)
    tree = await load_tree(conversation)
    messages = _prompt_messages(
        conversation, tree, answer, await attached.adata_urls(prompt_ids(tree, answer))
    )
    messages.append({"role": "assistant", "content": answer.content, "partial": True})
    sent.pop("n", None)  # one answer goes on
    body = {**sent, "messages": messages}
    answer.status = Message.Status.STREAMING
    answer.error = ""
    answer.finish_reason = ""
    answer.finished_at = None
    answer.owner = owner.owner()
    await answer.asave(
        update_fields=["status", "error", "finish_reason", "finished_at", "owner", "updated_at"]
    )
    choice = Choice(
        answer.pk,
        reasoning=answer.reasoning,
        content=answer.content,
        # Kept: every save writes the whole refusal, so one not carried over would be lost.
        refusal=answer.refusal,
        published_reasoning=len(answer.reasoning),
        published_content=len(answer.content),
        published_refusal=len(answer.refusal),
    )
    conversation.current_leaf = answer
    await conversation.asave()
    return await _start(conversation, {0: choice}, body, provider, [answer.pk])


async def switch(conversation: Conversation, message: Message) -> None:
    """Show another branch: the newest path through `message`."""
    tree = await load_tree(conversation)
    conversation.current_leaf = tree.newest_leaf(message.pk)
    await conversation.asave(update_fields=["current_leaf", "updated_at"])
    await hub.HUB.publish(conversation.pk, {"type": "gen.path"})


async def _answer(
    conversation: Conversation, user: Message, body: dict, provider: Provider
) -> Generation:
    now = timezone.now()
    sent = {key: value for key, value in body.items() if key != "messages"}
    batch = uuid.uuid4()
    answers = await Message.objects.abulk_create(
        [
            Message(
                conversation=conversation,
                parent=user,
                role=Message.Role.ASSISTANT,
                choice_index=index,
                batch=batch,
                model=body["model"],
                request_params=sent,
                status=Message.Status.STREAMING,
                upstream=provider.name,
                sent_at=now,
                owner=owner.owner(),
            )
            for index in range(body.get("n") or 1)
        ]
    )  # one write for the batch: its ids come back (PostgreSQL and SQLite both)
    choices = {message.choice_index: Choice(message.pk) for message in answers}
    conversation.current_leaf = answers[0]
    conversation.started_at = conversation.started_at or now
    await conversation.asave()
    return await _start(conversation, choices, body, provider, [user.pk])


async def _start(
    conversation: Conversation,
    choices: dict[int, Choice],
    body: dict,
    provider: Provider,
    announce: list[int],
) -> Generation:
    run = Generation(
        conversation.pk,
        choices,
        body,
        provider.base_url,
        provider.credential,
        generation.timeouts(),
        guarded=upstreams.is_guarded(provider),
        owned=True,
        announce=announce,
    )
    # A person's provider is checked now, not only when saved: its name may resolve
    # elsewhere today. A refused request never connects; its answers say why.
    refusal = await upstreams.refusal(provider)
    if refusal:
        await hub.HUB.publish(
            conversation.pk, {"type": "gen.started", "message_ids": [*announce, *run.message_ids()]}
        )
        await _refuse(run, refusal)
    else:
        generation.start(run, tokens_counter(conversation.owner_id, provider))
    if not conversation.hidden:
        # A prompt is activity: every sidebar of the person lists it first, by its title.
        await sessions.atell_lists(conversation.owner_id)
    return run


async def _refuse(run: Generation, reason: str) -> None:
    now = timezone.now()
    await Message.objects.filter(pk__in=run.message_ids()).aupdate(
        status=Message.Status.ERROR, error=reason, finished_at=now, updated_at=now
    )
    await hub.HUB.publish(
        run.conversation_id, {"type": "gen.done", "message_ids": run.message_ids()}
    )
