"""Measure the conversation list with many conversations: first page, a deep page, search.

Fills a throwaway SQLite database with one user's conversations (a few messages each,
plus another user's, so the owner filter matters), then times whole requests through
the Django test client (median of several runs) and prints the SQL query plan of the
list query, which should walk the index conv_owner_listing without sorting.

    .venv/bin/python bench/history_list.py [--conversations 20000] [--runs 7]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

HTMX = {"HX-Request": "true"}
# Words of the generated prompts, answers and reasoning.
WORDS = [
    *("the", "model", "reasons", "about", "recursion", "lentils", "tax", "queue", "graph"),
    *("proof", "prime", "cache", "index", "latency", "budget", "river", "orbit", "syntax"),
    *("kernel", "socket", "matrix"),
]


def _setup(database: Path) -> None:
    os.environ["DATABASE_URL"] = f"sqlite:///{database}"
    os.environ["ALLOWED_HOSTS"] = "testserver"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "playground.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _text(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words))


def _fill(user, count: int, rng: random.Random) -> None:
    from django.utils import timezone

    from chat.models import Conversation, Message

    # bulk_create stamps each updated_at as it goes: later ones are newer.
    now = timezone.now()
    conversations = Conversation.objects.bulk_create(
        (
            Conversation(
                owner=user,
                title=f"Conversation {i} about {rng.choice(WORDS)}",
                started_at=now,
                pinned=i % 1000 == 0,
                settings={"model": rng.choice(["kimi-k2-thinking", "deepseek-reasoner"])},
            )
            for i in range(count)
        ),
        batch_size=2000,
    )
    messages = []
    for conversation in conversations:
        messages.append(Message(conversation=conversation, role="user", content=_text(rng, 12)))
        messages.append(
            Message(
                conversation=conversation,
                role="assistant",
                content=_text(rng, 120),
                reasoning=_text(rng, 80),
            )
        )
    # One rare word, deep in the list, only in a reasoning.
    messages[len(messages) // 2 + 1].reasoning += " zanzibar"
    Message.objects.bulk_create(messages, batch_size=2000)


def _median_ms(call, runs: int) -> float:
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        timings.append((time.perf_counter() - start) * 1000)
    return statistics.median(timings)


def _plan(user, words: list[str]) -> list[str]:
    from django.db import connection

    from chat.conversations.listing import CONVERSATIONS_PER_PAGE, _conversations

    query = _conversations(user, words)[:CONVERSATIONS_PER_PAGE]
    sql, params = query.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        return [row[-1] for row in cursor.fetchall()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        _setup(Path(tmp) / "bench.sqlite3")
        from django.contrib.auth import get_user_model
        from django.db import connection
        from django.test import Client

        rng = random.Random(4)
        users = get_user_model().objects
        user, other = users.create_user("bench"), users.create_user("other")
        started = time.perf_counter()
        _fill(user, args.conversations, rng)
        _fill(other, args.conversations // 10, rng)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        print(
            f"{args.conversations} conversations (+{args.conversations // 10} of another user), "
            f"2 messages each, filled in {time.perf_counter() - started:.1f} s; "
            f"median of {args.runs} runs per figure"
        )
        from chat.conversations.listing import listing

        client = Client()
        client.force_login(user)
        deep = args.conversations // 50 // 2
        cases = [
            ("first page", "", 1),
            (f"page {deep}", "", deep),
            ("search, common word", "lentils", 1),
            ("search, two words", "orbit kernel", 1),
            ("search, rare word", "zanzibar", 1),
            ("search, no match", "xylophone", 1),
        ]
        print("  request   queries  rows  what (request: GET of the htmx rows partial;")
        print("                           queries: listing() alone, rows and excerpts)")
        for label, q, number in cases:
            url = f"/c/?{urlencode({'q': q, 'page': number})}"
            response = client.get(url, headers={"HX-Request": "true"})
            rows = response.content.decode().count('class="conversation-row')
            request_ms = _median_ms(lambda url=url: client.get(url, headers=HTMX), args.runs)
            query_ms = _median_ms(lambda q=q, n=number: listing(user, q=q, number=n), args.runs)
            print(f"{request_ms:6.1f} ms {query_ms:6.1f} ms {rows:5}  {label}")
        whole = _median_ms(lambda: client.get("/c/"), args.runs)
        print(f"{whole:6.1f} ms                 whole /c/ page, first page")
        print("\nEXPLAIN QUERY PLAN, the list query:")
        for line in _plan(user, []):
            print(f"  {line}")
        print("EXPLAIN QUERY PLAN, a one-word search:")
        for line in _plan(user, ["lentils"]):
            print(f"  {line}")


if __name__ == "__main__":
    main()
