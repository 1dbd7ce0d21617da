"""Time to first byte of the app's pages for one person with many conversations.

Fills a fresh database through the ORM (bulk_create, so the database's own triggers see
every row): the person "bench" gets 10,000 used conversations of 50 messages (prompts and
answers with reasoning, a few hundred characters each, from a word list) and one of 500
messages; another person gets a tenth as many, so the owner filter matters. A rare word
sits in one message of 1% of the conversations, a common word in most of them. Then one
Daphne process of the app (DEBUG on, as `make run` serves it) is signed in to as a browser
does, and each page is requested in turn, RUNS times after a few warm-up rounds:

- the playground: a new conversation's page (what "New conversation" opens),
- the 500-message conversation's page,
- the history list (/c/, its first page),
- a search of the list for the rare word and for the common word (/c/?q=word), and the
  rare word's search as htmx asks for it (just the rows).

Time to first byte is from sending the request to having the response's headers (httpx
streaming; the app renders a page whole before it sends the headers, so this is the
server's time plus the loopback); "whole" is to the last byte. Every response must be a
200 showing what it should (the rows, the turns), or the bench stops. SQLite in a
temporary folder, or PostgreSQL when DATABASE_URL is set (a fresh database made and
dropped; ANALYZEd after the fill, as autovacuum would soon; SQLite is not, as the app
never does).

    .venv/bin/python bench/pages.py [--conversations 10000] [--messages 50] [--runs 50]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import secrets
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import httpx
from relay_app import ROOT, USERNAME, Daphne, app_env, database, machine, new_conversation, sign_in
from relay_table import percentile

sys.path.insert(0, str(ROOT))

TARGET_MS = 30.0  # the aim for the list and its search (reported, never asserted)
LONG_MESSAGES = 500
MEDIUM_MESSAGES = 200  # the "200-message conversation"
COMPARE_COLUMNS = 12
# An evaluation run: test cases x 2 temperatures x 2 repeats, every answer graded.
EVAL_CASES = 100
CHUNK = 100  # conversations per transaction
BATCH = 5000  # rows per bulk_create batch (Django splits further for SQLite's limits)
WARM_UP = 3
PER_PAGE = 50  # chat.conversations.listing.CONVERSATIONS_PER_PAGE
RARE = "zeugma"
RARE_EVERY = 100  # one conversation in RARE_EVERY has the rare word
COMMON = "latency"
MODELS = ["kimi-k2-thinking", "deepseek-reasoner"]
HTMX = {"HX-Request": "true"}
# Neither RARE nor COMMON is inside another word: a search (a substring match) finds just it.
_VOCABULARY = """
the model reasons about recursion lentils tax queue graph proof prime cache index
latency budget river orbit syntax kernel socket matrix because therefore first second
then next answer question step check value result error function variable loop array
string number list table column row query plan scan join sort merge hash tree branch
leaf node edge weight path cost time space memory disk network packet server client
request response header body token stream buffer thread process signal lock mutex
channel message event handler callback promise future task worker pool batch job
schedule retry timeout limit rate quota user account password session cookie secret key
certificate domain address port route gateway proxy balance cluster replica shard
partition backup restore migrate deploy release version patch bug fix test assert mock
fixture coverage lint format compile build package module import export class method
object instance field property type interface protocol generic template macro pointer
reference copy move borrow lifetime ownership garbage collector heap stack frame
register opcode assembly binary
"""
WORDS = _VOCABULARY.split()


# -- the fill ---------------------------------------------------------------------------


@dataclass
class Texts:
    """Pools of generated texts to draw from: quicker than making 500,000 new ones."""

    prompts: list[str]
    reasoning: list[str]
    answers: list[str]

    @classmethod
    def make(cls, rng: random.Random, size: int = 3000) -> Texts:
        def pool(low: int, high: int) -> list[str]:
            return [" ".join(rng.choices(WORDS, k=rng.randint(low, high))) for _ in range(size)]

        return cls(prompts=pool(12, 35), reasoning=pool(40, 90), answers=pool(35, 80))


@dataclass
class Filler:
    """Makes conversations with their own primary keys, so each message can name its
    parent (and each conversation its current leaf) before it is saved."""

    rng: random.Random
    texts: Texts
    next_conversation: int = 1
    next_message: int = 1
    rows: int = 0
    rare_hits: dict[int, int] = field(default_factory=dict)  # by owner
    common_hits: dict[int, int] = field(default_factory=dict)

    def fill(self, owner, count: int, messages: int) -> None:
        from django.db import transaction
        from django.utils import timezone

        from chat.models import Conversation, Message

        start = timezone.now() - timedelta(days=365)
        for first in range(0, count, CHUNK):
            conversations: list[Conversation] = []
            rows: list[Message] = []
            for i in range(first, min(count, first + CHUNK)):
                when = start + timedelta(days=365) * i / count
                rare = i % RARE_EVERY == RARE_EVERY // 2
                conversation, made = self.conversation(owner, messages, when, rare=rare)
                conversations.append(conversation)
                rows += made
            with transaction.atomic():
                Conversation.objects.bulk_create(conversations, batch_size=BATCH)
                Message.objects.bulk_create(rows, batch_size=BATCH)
            self.rows += len(rows)

    def conversation(self, owner, messages: int, when, *, rare: bool = False, title: str = ""):
        from chat.api import params
        from chat.models import Conversation, Message, title_from_prompt

        model = self.rng.choice(MODELS)
        pk = self.next_conversation
        self.next_conversation += 1
        made: list[Message] = []
        parent = None
        for index in range(messages):
            user = index % 2 == 0
            at = when + timedelta(minutes=index)
            message = Message(
                id=self.next_message,
                conversation_id=pk,
                parent_id=parent,
                role=Message.Role.USER if user else Message.Role.ASSISTANT,
                content=self.rng.choice(self.texts.prompts if user else self.texts.answers),
            )
            if not user:
                message.reasoning = self.rng.choice(self.texts.reasoning)
                message.model = model
                message.request_params = {"model": model, "stream": True}
                message.usage = {"prompt_tokens": 40 * index + 30, "completion_tokens": 180}
                message.finish_reason = "stop"
                message.sent_at, message.first_reasoning_at = at, at + timedelta(seconds=1)
                message.first_content_at = at + timedelta(seconds=9)
                message.finished_at = at + timedelta(seconds=14)
            made.append(message)
            parent = self.next_message
            self.next_message += 1
        if rare:  # in a reasoning halfway down, where a search must look for it
            middle = made[len(made) // 2 | 1]
            middle.reasoning = f"{middle.reasoning} the {RARE} here {middle.reasoning}"
            self.rare_hits[owner.pk] = self.rare_hits.get(owner.pk, 0) + 1
        title = title or title_from_prompt(made[0].content)
        texts = [title, *(m.content for m in made), *(m.reasoning for m in made)]
        if any(COMMON in text for text in texts):
            self.common_hits[owner.pk] = self.common_hits.get(owner.pk, 0) + 1
        conversation = Conversation(
            id=pk,
            owner=owner,
            title=title,
            settings={**params.default_settings(), "model": model},
            started_at=when,
            pinned=pk % 1000 == 0,
            current_leaf_id=parent,
        )
        return conversation, made


@dataclass
class Filled:
    long_pk: int
    medium_pk: int
    comparison_pk: int
    evaluation_pk: int
    conversations: int
    rare_hits: int  # the bench person's conversations with the rare word
    common_hits: int
    rows: int
    seconds: float


def _fill(args: argparse.Namespace, database_url: str, password: str) -> Filled:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "playground.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.core.management.color import no_style
    from django.db import connection, transaction
    from django.db.models import F
    from django.utils import timezone

    from chat.models import Conversation, Message

    settings.DEBUG = False  # DEBUG keeps every query's SQL: slow and big for a fill
    call_command("migrate", verbosity=0)
    person = User.objects.create_user(USERNAME, password=password)
    other = User.objects.create_user("other")
    started = time.perf_counter()
    rng = random.Random(7)
    filler = Filler(rng, Texts.make(rng))
    filler.fill(person, args.conversations, args.messages)
    filler.fill(other, args.conversations // 10, args.messages)
    # The long one is the newest, at the top of the list.
    long, made = filler.conversation(
        person, LONG_MESSAGES, timezone.now(), title=f"A conversation of {LONG_MESSAGES} messages"
    )
    with transaction.atomic():  # the conversation names its last message as it is saved
        long.save()
        Message.objects.bulk_create(made, batch_size=BATCH)
    filler.rows += len(made)
    medium, made = filler.conversation(
        person,
        MEDIUM_MESSAGES,
        timezone.now() - timedelta(minutes=1),
        title=f"A conversation of {MEDIUM_MESSAGES} messages",
    )
    with transaction.atomic():
        medium.save()
        Message.objects.bulk_create(made, batch_size=BATCH)
    filler.rows += len(made)
    comparison = _comparison(person, filler)
    evaluation = _evaluation(person, filler)
    # bulk_create stamped updated_at now: the last activity goes back to its own day.
    Conversation.objects.exclude(pk__in=[long.pk, medium.pk]).update(
        updated_at=F("started_at") + timedelta(minutes=args.messages)
    )
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), [Conversation, Message]):
            cursor.execute(sql)
        if connection.vendor == "postgresql":
            cursor.execute("ANALYZE")
    return Filled(
        long_pk=long.pk,
        medium_pk=medium.pk,
        comparison_pk=comparison,
        evaluation_pk=evaluation,
        conversations=args.conversations + 2,
        rare_hits=filler.rare_hits.get(person.pk, 0),
        common_hits=filler.common_hits.get(person.pk, 0),
        rows=filler.rows,
        seconds=time.perf_counter() - started,
    )


def _comparison(owner, filler: Filler) -> int:
    """A finished comparison of COMPARE_COLUMNS temperatures, made as the app makes one
    (its hidden conversation, a queued answer per column) and then answered."""
    from django.utils import timezone

    from chat.compare import runs
    from chat.models import Comparison, ComparisonRun, Message
    from chat.providers.upstreams import Provider

    temperatures = [round(0.1 * i, 1) for i in range(COMPARE_COLUMNS)]
    comparison = Comparison.objects.create(
        owner=owner,
        title=f"{COMPARE_COLUMNS} temperatures",
        messages=[{"role": "user", "content": filler.rng.choice(filler.texts.prompts)}],
        columns=[{"model": MODELS[0], "temperature": t, "stream": True} for t in temperatures],
        sweep={"params": [{"name": "temperature", "values": ", ".join(map(str, temperatures))}]},
    )
    upstream = Provider("bench upstream", "http://127.0.0.1:9/v1", False)
    runs._create_run(comparison, lambda column: upstream)
    sent = timezone.now() - timedelta(minutes=5)
    for run in ComparisonRun.objects.filter(comparison=comparison):
        Message.objects.filter(pk=run.message_id).update(
            status="complete",
            content="\n\n".join(filler.rng.choices(filler.texts.answers, k=4)),
            reasoning="\n\n".join(filler.rng.choices(filler.texts.reasoning, k=4)),
            finish_reason="stop",
            usage={"prompt_tokens": 40, "completion_tokens": 600, "reasoning_tokens": 300},
            sent_at=sent,
            first_reasoning_at=sent + timedelta(seconds=1),
            first_content_at=sent + timedelta(seconds=6 + run.column / 4),
            finished_at=sent + timedelta(seconds=12 + run.column / 2),
        )
    return comparison.pk


def _evaluation(owner, filler: Filler) -> int:
    """An evaluation of EVAL_CASES test cases at two temperatures, run twice, made as the
    app makes a run (a comparison per test case) and then answered and graded."""
    from django.utils import timezone

    from chat.api import params
    from chat.compare import runs as compare_runs
    from chat.evals import runs
    from chat.models import ComparisonRun, Evaluation, Message
    from chat.providers.upstreams import Provider

    evaluation = Evaluation.objects.create(
        owner=owner,
        title=f"{EVAL_CASES} test cases",
        messages=[{"role": "user", "content": "Tell me about {{topic}}."}],
        cases=[
            {"values": {"topic": f"topic {i}"}, "expected": "the", "note": ""}
            for i in range(EVAL_CASES)
        ],
        checks=[
            {"kind": "contains", "text": ""},
            {"kind": "length", "min": None, "max": 2000},
            {"kind": "finish_stop"},
        ],
        base_settings=params.default_settings(),
        sweep=[{"name": "temperature", "values": "0.2, 1.5"}],
        repeats=2,
    )
    run = runs.create(evaluation)
    upstream = Provider("bench upstream", "http://127.0.0.1:9/v1", False)
    sent = timezone.now() - timedelta(minutes=5)
    for row in run.rows.select_related("comparison"):
        compare_runs.queue(row.comparison, lambda column: upstream)
    for slot in ComparisonRun.objects.filter(comparison__evaluation_row__run=run):
        Message.objects.filter(pk=slot.message_id).update(
            status="complete",
            content="\n\n".join(filler.rng.choices(filler.texts.answers, k=2)),
            reasoning="\n\n".join(filler.rng.choices(filler.texts.reasoning, k=2)),
            finish_reason="stop",
            usage={"prompt_tokens": 40, "completion_tokens": 300, "reasoning_tokens": 100},
            sent_at=sent,
            first_reasoning_at=sent + timedelta(seconds=1),
            first_content_at=sent + timedelta(seconds=4),
            finished_at=sent + timedelta(seconds=8 + slot.column),
        )
    runs.grade(run)
    return evaluation.pk


def _cells(expected: int) -> Callable[[str], str | None]:
    def check(body: str) -> str | None:
        cells = body.count('<div class="answer-cell')
        return None if cells == expected else f"{cells} answers, {expected} expected"

    return check


def _database_name() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT version(), pg_database_size(current_database())")
            version, size = cursor.fetchone()
            return f"{' '.join(version.split()[:2])}, {size / 2**20:.0f} MiB"
        cursor.execute("SELECT sqlite_version()")
        (version,) = cursor.fetchone()
        name = Path(connection.settings_dict["NAME"])
        size = sum(p.stat().st_size for p in name.parent.glob(f"{name.name}*"))
        return f"SQLite {version} (WAL), {size / 2**20:.0f} MiB"


# -- the requests -----------------------------------------------------------------------


@dataclass
class Page:
    name: str
    url: str
    check: Callable[[str], str | None]  # what is wrong with a body, if anything
    headers: dict[str, str] = field(default_factory=dict)
    target: bool = False  # the 30 ms aim applies
    ttfb: list[float] = field(default_factory=list)
    whole: list[float] = field(default_factory=list)
    size: int = 0


def _rows(expected: int, mark: str = "") -> Callable[[str], str | None]:
    def check(body: str) -> str | None:
        rows = body.count('class="conversation-row')
        if rows != expected:
            return f"{rows} rows shown, {expected} expected"
        marks = body.count(f"<mark>{mark}</mark>") if mark else 0
        if mark and marks < expected:
            return f"{marks} marked matches for {expected} rows"
        return None

    return check


def _turns(expected: int, sidebar: int) -> Callable[[str], str | None]:
    def check(body: str) -> str | None:
        turns = body.count('<div class="turn"')
        rows = body.count('class="conversation-row')
        if turns != expected or rows != sidebar or 'id="composer-actions"' not in body:
            return f"{turns} turns and {rows} sidebar rows, {expected} and {sidebar} expected"
        return None

    return check


def _columns(expected: int) -> Callable[[str], str | None]:
    def check(body: str) -> str | None:
        columns = body.count('<section class="compare-column"')
        answers = body.count('data-status="complete"')
        if columns != expected or answers != expected:
            return f"{columns} columns and {answers} answers, {expected} of each expected"
        return None

    return check


def _pages(filled: Filled, playground: int) -> list[Page]:
    sidebar = min(PER_PAGE, filled.conversations)
    rare, common = min(PER_PAGE, filled.rare_hits), min(PER_PAGE, filled.common_hits)
    return [
        Page("playground (new conversation)", f"/c/{playground}/", _turns(0, sidebar)),
        Page(
            f"conversation, {MEDIUM_MESSAGES} messages",
            f"/c/{filled.medium_pk}/",
            _turns(MEDIUM_MESSAGES // 2, sidebar),
        ),
        Page(
            f"conversation, {LONG_MESSAGES} messages",
            f"/c/{filled.long_pk}/",
            _turns(LONG_MESSAGES // 2, sidebar),
        ),
        Page("history list, first page", "/c/", _rows(sidebar), target=True),
        Page(
            f"comparison, {COMPARE_COLUMNS} columns",
            f"/compare/{filled.comparison_pk}/",
            _columns(COMPARE_COLUMNS),
        ),
        Page(
            f"evaluation run, {EVAL_CASES} cases x 2 columns x 2",
            f"/evals/{filled.evaluation_pk}/runs/1/",
            _cells(EVAL_CASES * 4),
        ),
        Page(f"search, rare word ({RARE})", f"/c/?q={RARE}", _rows(rare, RARE), target=True),
        Page(f"search, common word ({COMMON})", f"/c/?q={COMMON}", _rows(common), target=True),
        Page(
            "search, rare word, htmx rows",
            f"/c/?q={RARE}",
            _rows(rare, RARE),
            headers=HTMX,
            target=True,
        ),
    ]


async def _request(client: httpx.AsyncClient, page: Page) -> tuple[float, float]:
    sent = time.perf_counter()
    async with client.stream("GET", page.url, headers=page.headers) as response:
        first = time.perf_counter()
        body = await response.aread()
    done = time.perf_counter()
    if response.status_code != 200:
        raise RuntimeError(f"{page.name}: HTTP {response.status_code} for {page.url}")
    if problem := page.check(body.decode()):
        raise RuntimeError(f"{page.name} ({page.url}): {problem}")
    page.size = len(body)
    return first - sent, done - sent


async def _measure(url: str, password: str, filled: Filled, runs: int) -> list[Page]:
    timeout = httpx.Timeout(60)
    async with httpx.AsyncClient(base_url=url, timeout=timeout) as client:
        csrf = await sign_in(client, password)
        pages = _pages(filled, await new_conversation(client, csrf))
        for _ in range(WARM_UP):
            for page in pages:
                await _request(client, page)
        # Round after round through every page, so a busy moment of the machine is shared.
        for _ in range(runs):
            for page in pages:
                ttfb, whole = await _request(client, page)
                page.ttfb.append(ttfb)
                page.whole.append(whole)
    return pages


# -- where the time goes ------------------------------------------------------------------


@dataclass
class Breakdown:
    name: str
    queries: int
    sql: float  # seconds, the database's share as Django's cursor times it
    total: float  # seconds, the whole view through the test client


class _QueryTimer:
    """Counts and times every query (Django's own log rounds each to a millisecond)."""

    def __init__(self) -> None:
        self.queries = 0
        self.seconds = 0.0

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - started
            self.queries += 1


def _breakdown(pages: list[Page], rounds: int, profile: str) -> list[Breakdown]:
    """Each page again, in this process through Django's test client: its queries, their
    time, and the rest (the view's Python and the templates). The medians of ROUNDS."""
    import cProfile
    import pstats
    import statistics

    from django.contrib.auth.models import User
    from django.db import connection
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(User.objects.get(username=USERNAME))
    found = []
    for page in pages:
        headers = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in page.headers.items()}
        counts, sqls, totals = [], [], []
        for _ in range(rounds + 1):  # the first warms the caches
            timer = _QueryTimer()
            with connection.execute_wrapper(timer):
                started = time.perf_counter()
                response = client.get(page.url, **headers)
                totals.append(time.perf_counter() - started)
            if response.status_code != 200:
                raise RuntimeError(f"{page.name}: HTTP {response.status_code} in-process")
            counts.append(timer.queries)
            sqls.append(timer.seconds)
        found.append(
            Breakdown(
                page.name,
                counts[-1],
                statistics.median(sqls[1:]),
                statistics.median(totals[1:]),
            )
        )
        if profile and profile in page.name:
            profiler = cProfile.Profile()
            profiler.runcall(client.get, page.url, **headers)
            print(f"\nProfile of {page.name} (own time, top 30):")
            pstats.Stats(profiler).sort_stats("tottime").print_stats(30)
    return found


def _print_breakdown(found: list[Breakdown]) -> None:
    rows = [["page", "queries", "SQL", "the rest (Python, templates)", "in-process total"]]
    for item in found:
        rows.append(
            [
                item.name,
                str(item.queries),
                _ms(item.sql),
                _ms(item.total - item.sql),
                _ms(item.total),
            ]
        )
    _print_table(rows)


# -- the table --------------------------------------------------------------------------


def _ms(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    return f"{seconds * 1000:.1f} ms" if seconds < 0.1 else f"{seconds * 1000:.0f} ms"


def _table(pages: list[Page]) -> list[list[str]]:
    headers = ["page", "TTFB p50", "TTFB p99", "TTFB max", "whole p50", "size", "≤ 30 ms"]
    rows = [headers]
    for page in pages:
        p50 = percentile(page.ttfb, 0.5)
        aim = "—"
        if page.target and p50 is not None:
            aim = "yes" if p50 * 1000 <= TARGET_MS else "no"
        rows.append(
            [
                page.name,
                _ms(p50),
                _ms(percentile(page.ttfb, 0.99)),
                _ms(max(page.ttfb, default=None)),
                _ms(percentile(page.whole, 0.5)),
                f"{page.size / 1024:.0f} KiB",
                aim,
            ]
        )
    return rows


def _print_table(rows: list[list[str]]) -> None:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = [rows[0], ["-" * width for width in widths], *rows[1:]]
    for row in lines:
        cells = (cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        print("| " + " | ".join(cells) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=10_000)
    parser.add_argument("--messages", type=int, default=50, help="per conversation (even)")
    parser.add_argument("--runs", type=int, default=50, help="timed requests per page")
    parser.add_argument(
        "--profile", default="", help="print a cProfile of the pages whose name contains this"
    )
    args = parser.parse_args()
    if args.messages < 2 or args.messages % 2 or args.conversations < 1 or args.runs < 1:
        parser.error("--messages must be even and at least 2; the others at least 1")

    with tempfile.TemporaryDirectory() as tmp, database(Path(tmp)) as database_url:
        password = secrets.token_urlsafe(12)
        filled = _fill(args, database_url, password)
        print(
            f"Filled {filled.conversations} conversations of {USERNAME} "
            f"({args.conversations} of {args.messages} messages, one of {MEDIUM_MESSAGES}, one of "
            f"{LONG_MESSAGES}) and "
            f"{args.conversations // 10} of another person: {filled.rows} messages "
            f"in {filled.seconds:.1f} s"
        )
        print(
            f"{RARE!r} is in {filled.rare_hits} of {USERNAME}'s conversations, "
            f"{COMMON!r} in {filled.common_hits}"
        )
        name = _database_name()
        from django.db import connections

        connections.close_all()
        daphne = Daphne(app_env(database_url, ""), Path(tmp) / "daphne.log")
        try:
            pages = asyncio.run(_measure(daphne.url, password, filled, args.runs))
        except Exception:
            print((Path(tmp) / "daphne.log").read_text()[-3000:], file=sys.stderr)
            raise
        finally:
            daphne.stop()
        found = _breakdown(pages, 5, args.profile)
    print()
    print(f"Machine: {machine()}")
    print(f"Database: {name}")
    print(
        f"One Daphne process, DEBUG on; {args.runs} sequential requests per page after "
        f"{WARM_UP} warm-up rounds; TTFB to the response headers, whole to the last byte"
        + ("; p99 is the max below 100 runs" if args.runs < 100 else "")
    )
    print()
    _print_table(_table(pages))
    print()
    print("Where the time goes: each page in-process through the test client, median of 5")
    print()
    _print_breakdown(found)


if __name__ == "__main__":
    main()
