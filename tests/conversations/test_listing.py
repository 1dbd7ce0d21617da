"""The conversation list and sidebar: order, pages, search, pin, delete and undo, ownership."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from chat.conversations.listing import excerpt, highlight, search_words
from chat.models import Conversation, Message

pytestmark = pytest.mark.django_db

ATTACK = "<img src=x onerror=alert(1)>"


def _conversation(owner, title, *, minutes_ago=0, model="kimi-k2-thinking", **fields):
    conversation = Conversation.objects.create(
        owner=owner, title=title, started_at=timezone.now(), settings={"model": model}, **fields
    )
    when = timezone.now() - timedelta(minutes=minutes_ago)
    Conversation.objects.filter(pk=conversation.pk).update(updated_at=when)
    conversation.refresh_from_db()
    return conversation


def _many(owner, count):
    """count used conversations, "Chat 0" the oldest."""
    now = timezone.now()
    Conversation.objects.bulk_create(
        Conversation(owner=owner, title=f"Chat {i}", started_at=now, settings={"model": "m"})
        for i in range(count)
    )


@pytest.fixture
def recipes(alice):
    """A conversation of Alice's: a prompt, and an answer with its reasoning."""
    conversation = _conversation(alice, "Weekend recipes", minutes_ago=5)
    prompt = Message.objects.create(
        conversation=conversation, role="user", content="Something with lentils, please."
    )
    Message.objects.create(
        conversation=conversation,
        parent=prompt,
        role="assistant",
        content="Try a dal: red lentils, cumin and a squeeze of lime. " * 5 + f"Not {ATTACK}.",
        reasoning="The user wants something quick; a saffron-free dal keeps it cheap.",
        status="complete",
    )
    return conversation


@pytest.fixture
def deleted(alice):
    """Alice deleted this one a minute ago: it can still be brought back."""
    return _conversation(alice, "Tax questions", deleted_at=timezone.now() - timedelta(minutes=1))


def _rows(html: str) -> str:
    return html[html.index('id="conversation-rows"') :]


# Listing


def test_the_list_shows_pinned_first_then_the_latest_activity(alice_client, alice):
    _conversation(alice, "Oldest", minutes_ago=30, pinned=True)
    _conversation(alice, "Middle", minutes_ago=20, model="deepseek-reasoner")
    _conversation(alice, "Newest", minutes_ago=10)
    Conversation.objects.create(owner=alice, title="Never used")  # no prompt yet: not listed
    html = _rows(alice_client.get("/c/").content.decode())
    assert html.index("Oldest") < html.index("Newest") < html.index("Middle")
    assert "Never used" not in html
    assert "deepseek-reasoner" in html and "kimi-k2-thinking" in html
    middle = Conversation.objects.get(title="Middle")
    when = timezone.localtime(middle.updated_at)
    assert f'{when:%Y-%m-%d}<span class="row-clock"> {when:%H:%M}</span>' in html


def test_an_untitled_conversation_is_listed_as_new_conversation(alice_client, alice):
    _conversation(alice, "")
    assert "New conversation</span></a>" in alice_client.get("/c/").content.decode()


def test_the_empty_list_says_how_to_start(alice_client):
    html = alice_client.get("/c/").content.decode()
    assert "No conversations yet. Start one with <strong>New conversation</strong>" in html


def test_a_long_list_has_a_load_more_link_to_the_rest(alice_client, alice):
    _many(alice, 51)
    first = alice_client.get("/c/").content.decode()
    assert first.count('class="conversation-row') == 50
    assert '<a href="/c/?page=2" hx-get="/c/?page=2"' in first and "Load more</a>" in first
    assert "Chat 0<" not in first  # the oldest waits for page 2
    second = alice_client.get("/c/?page=2").content.decode()
    assert second.count('class="conversation-row') == 1 and "Chat 0<" in second
    assert "Load more" not in second


def test_load_more_with_htmx_returns_only_the_next_rows(alice_client, alice):
    _many(alice, 51)
    response = alice_client.get("/c/?page=2", headers={"HX-Request": "true"})
    html = response.content.decode()
    assert "<html" not in html and "Search conversations" not in html
    assert html.strip().startswith('<li class="conversation-row') and "Chat 0<" in html


def test_htmx_restoring_history_gets_the_whole_page(alice_client, alice):
    headers = {"HX-Request": "true", "HX-History-Restore-Request": "true"}
    assert "<html" in alice_client.get("/c/", headers=headers).content.decode()


@pytest.mark.parametrize("page", ["0", "-3", "abc", "99999999999999999999999"])
def test_a_nonsense_page_number_shows_the_first_page(alice_client, recipes, page):
    response = alice_client.get(f"/c/?page={page}")
    assert response.status_code == 200 and "Weekend recipes" in response.content.decode()


def test_the_sidebar_lists_them_too_and_marks_the_open_one(alice_client, alice, recipes):
    _conversation(alice, "Another one")
    html = alice_client.get(f"/c/{recipes.pk}/").content.decode()
    assert "Search conversations" in html and "Another one" in html
    assert f'href="/c/{recipes.pk}/" aria-current="page"' in html


@pytest.mark.parametrize("count", [5, 60])
def test_the_list_costs_the_same_queries_however_long_it_is(
    alice_client, alice, django_assert_max_num_queries, count
):
    _many(alice, count)
    with django_assert_max_num_queries(3):  # session, user, rows
        alice_client.get("/c/")


@pytest.mark.parametrize("count", [5, 60])
def test_a_search_costs_the_same_queries_however_many_match(
    alice_client, alice, django_assert_max_num_queries, count
):
    _many(alice, count)
    for conversation in Conversation.objects.filter(owner=alice):
        Message.objects.create(conversation=conversation, role="user", content="about lentils")
    # session, user, the word's messages in the index, rows, the excerpts' messages
    with django_assert_max_num_queries(5):
        alice_client.get("/c/?q=lentils")


# Search


@pytest.mark.parametrize(
    ("q", "where"),
    [("weekend", "title"), ("CUMIN", "Answer"), ("saffron-free", "Reasoning")],
)
def test_search_finds_a_conversation_by_its_title_answer_or_reasoning(
    alice_client, alice, recipes, q, where
):
    _conversation(alice, "Unrelated")
    html = _rows(alice_client.get(f"/c/?q={q}").content.decode())
    assert "recipes" in html and "Unrelated" not in html
    assert html.count('class="conversation-row') == 1  # distinct, though several messages match
    assert "<mark>" in html
    if where != "title":
        assert f'<span class="excerpt-label">{where}:</span>' in html


def test_the_match_is_marked(alice_client, recipes):
    html = alice_client.get("/c/?q=lime").content.decode()
    assert "squeeze of <mark>lime</mark>" in html


def test_every_word_must_occur(alice_client, recipes):
    assert "Weekend recipes" in alice_client.get("/c/?q=lentils+saffron").content.decode()
    assert "Weekend recipes" not in alice_client.get("/c/?q=lentils+pizza").content.decode()


def test_found_markup_is_shown_as_text_never_run(alice_client, recipes):
    response = alice_client.get("/c/", {"q": ATTACK})
    html = response.content.decode()
    assert "Weekend recipes" in html
    assert "<img" not in html
    assert "&lt;<mark>img</mark>" in html or "<mark>&lt;img</mark>" in html


def test_a_search_with_no_result_says_what_to_do(alice_client, recipes):
    html = alice_client.get("/c/", {"q": "quantum <b>"}).content.decode()
    assert "No conversation matches “quantum &lt;b&gt;”. Try fewer or different words." in html


def test_the_search_box_keeps_the_words_and_load_more_keeps_the_search(alice_client, alice):
    _many(alice, 51)
    html = alice_client.get("/c/?q=chat").content.decode()
    assert 'name="q" value="chat"' in html
    assert 'href="/c/?q=chat&amp;page=2"' in html


def test_searching_from_the_sidebar_keeps_the_open_conversation_marked(alice_client, recipes):
    response = alice_client.get(
        "/c/", {"q": "lentils", "current": recipes.pk}, headers={"HX-Request": "true"}
    )
    assert f'href="/c/{recipes.pk}/" aria-current="page"' in response.content.decode()


@pytest.mark.parametrize(
    ("q", "words"),
    [
        ("", []),
        ("  Tea  ", ["tea"]),
        ("tea TEA coffee", ["tea", "coffee"]),
        ("a b c d e f g h i j", ["a", "b", "c", "d", "e", "f", "g", "h"]),
    ],
)
def test_search_words(q, words):
    assert search_words(q) == words


@pytest.mark.parametrize(
    ("text", "words", "html"),
    [
        ("Green tea", ["tea"], "Green <mark>tea</mark>"),
        ("TEA for two", ["tea"], "<mark>TEA</mark> for two"),
        ("a teapot", ["tea", "teapot"], "a <mark>teapot</mark>"),
        ("<b>x</b>", ["b"], "&lt;<mark>b</mark>&gt;x&lt;/<mark>b</mark>&gt;"),
        ("1+1 (two)", ["(two)"], "1+1 <mark>(two)</mark>"),
        ("no match", ["tea"], "no match"),
        ("<i>", [], "&lt;i&gt;"),
    ],
)
def test_highlight_escapes_then_marks(text, words, html):
    assert highlight(text, words) == html


def test_an_excerpt_is_cut_at_spaces_around_the_first_match():
    text = " ".join(f"w{i}" for i in range(100)) + " needle " + " ".join("x" * 5 for _ in range(60))
    found = excerpt(text, ["needle"])
    assert found.startswith("…w") and found.endswith("…")
    assert "<mark>needle</mark>" in found
    assert len(found) < 240


def test_an_excerpt_of_text_without_the_words_is_empty():
    assert excerpt("nothing here", ["tea"]) == ""


# Pin


def test_pinning_toggles_and_moves_it_first(alice_client, alice):
    old = _conversation(alice, "Old one", minutes_ago=60)
    _conversation(alice, "New one")
    response = alice_client.post(f"/c/{old.pk}/pin/")
    assert response.status_code == 302 and response.url == "/c/"
    old.refresh_from_db()
    assert old.pinned
    html = _rows(alice_client.get("/c/").content.decode())
    assert html.index("Old one") < html.index("New one")
    assert "Unpin<span" in html and "Pinned" in html
    alice_client.post(f"/c/{old.pk}/pin/")
    old.refresh_from_db()
    assert not old.pinned


def test_pinning_is_not_activity(alice_client, recipes):
    before = recipes.updated_at
    alice_client.post(f"/c/{recipes.pk}/pin/")
    recipes.refresh_from_db()
    assert recipes.updated_at == before


def test_pinning_with_htmx_returns_the_rows_in_their_new_order(alice_client, alice):
    old = _conversation(alice, "Old one", minutes_ago=60)
    _conversation(alice, "New one")
    response = alice_client.post(f"/c/{old.pk}/pin/", headers={"HX-Request": "true"})
    html = response.content.decode()
    assert "<html" not in html
    assert html.index("Old one") < html.index("New one") and "Unpin<span" in html


def test_pinning_with_htmx_keeps_the_search(alice_client, alice, recipes):
    _conversation(alice, "Unrelated")
    response = alice_client.post(
        f"/c/{recipes.pk}/pin/", {"q": "lentils"}, headers={"HX-Request": "true"}
    )
    html = response.content.decode()
    assert "recipes" in html and "Unrelated" not in html


def test_pinning_from_the_sidebar_without_js_goes_back_to_the_conversation(alice_client, recipes):
    response = alice_client.post(f"/c/{recipes.pk}/pin/", {"current": recipes.pk})
    assert response.url == f"/c/{recipes.pk}/"


# Delete and undo


def test_deleting_asks_first(alice_client, recipes):
    html = alice_client.get(f"/c/{recipes.pk}/delete/").content.decode()
    assert "Delete “Weekend recipes”?" in html
    assert ">Delete</button>" in html and ">Cancel</a>" in html
    recipes.refresh_from_db()
    assert recipes.deleted_at is None


def test_deleting_hides_it_everywhere_and_offers_an_undo(alice_client, alice, recipes):
    other = _conversation(alice, "Still here")
    response = alice_client.post(f"/c/{recipes.pk}/delete/")
    assert response.status_code == 302 and response.url == f"/c/?deleted={recipes.pk}"
    recipes.refresh_from_db()
    assert recipes.deleted_at is not None
    assert alice_client.get(f"/c/{recipes.pk}/").status_code == 404
    html = alice_client.get(response.url).content.decode()
    assert "Deleted “<span hx-ignore>Weekend recipes</span>”" in html
    assert f'action="/c/{recipes.pk}/restore/"' in html and ">Undo</button>" in html
    assert "Weekend recipes" not in _rows(html)
    assert "Weekend recipes" not in alice_client.get(f"/c/{other.pk}/").content.decode()


def test_undo_brings_it_back(alice_client, deleted):
    response = alice_client.post(f"/c/{deleted.pk}/restore/", follow=True)
    assert "Restored “Tax questions”." in response.content.decode()
    deleted.refresh_from_db()
    assert deleted.deleted_at is None
    assert alice_client.get(f"/c/{deleted.pk}/").status_code == 200


def test_undo_is_refused_after_ten_minutes(alice_client, deleted):
    Conversation.objects.filter(pk=deleted.pk).update(
        deleted_at=timezone.now() - timedelta(minutes=11)
    )
    assert alice_client.post(f"/c/{deleted.pk}/restore/").status_code == 404
    assert "Undo" not in alice_client.get(f"/c/?deleted={deleted.pk}").content.decode()
    deleted.refresh_from_db()
    assert deleted.deleted_at is not None


def test_a_later_delete_purges_the_old_deleted_ones(alice_client, alice, bob, recipes, deleted):
    old = _conversation(alice, "Long gone", deleted_at=timezone.now() - timedelta(minutes=11))
    Message.objects.create(conversation=old, role="user", content="bye")
    bobs = _conversation(bob, "Bob's", deleted_at=timezone.now() - timedelta(hours=1))
    alice_client.post(f"/c/{recipes.pk}/delete/")
    assert not Conversation.objects.filter(pk=old.pk).exists()
    assert not Message.objects.filter(conversation_id=old.pk).exists()
    assert Conversation.objects.filter(pk=deleted.pk).exists()  # still within its undo window
    assert Conversation.objects.filter(pk=bobs.pk).exists()  # only Alice's own are purged


# Ownership and methods


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", "/c/{pk}/delete/"),
        ("post", "/c/{pk}/delete/"),
        ("post", "/c/{pk}/pin/"),
        ("post", "/c/{deleted}/restore/"),
        ("get", "/c/{deleted}/delete/"),
        ("post", "/c/{deleted}/pin/"),
    ],
)
@pytest.mark.parametrize("htmx", [False, True])
def test_another_users_conversation_answers_404_and_changes_nothing(
    client, bob, recipes, deleted, method, url, htmx
):
    client.force_login(bob)
    headers = {"HX-Request": "true"} if htmx else {}
    response = getattr(client, method)(
        url.format(pk=recipes.pk, deleted=deleted.pk), headers=headers
    )
    assert response.status_code == 404
    for conversation, deleted_at in ((recipes, None), (deleted, deleted.deleted_at)):
        before = conversation.pinned
        conversation.refresh_from_db()
        assert conversation.deleted_at == deleted_at and conversation.pinned == before


def test_others_never_appear_in_the_list_or_a_search(client, bob, recipes):
    client.force_login(bob)
    assert "Weekend recipes" not in client.get("/c/").content.decode()
    assert "Weekend recipes" not in client.get("/c/?q=lentils").content.decode()
    assert "Weekend recipes" not in client.get(f"/c/?deleted={recipes.pk}").content.decode()


def test_a_deleted_conversation_cannot_be_pinned_or_deleted_again(alice_client, deleted):
    assert alice_client.post(f"/c/{deleted.pk}/pin/").status_code == 404
    assert alice_client.get(f"/c/{deleted.pk}/delete/").status_code == 404


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("post", "/c/"),
        ("get", "/c/{pk}/pin/"),
        ("get", "/c/{pk}/restore/"),
        ("put", "/c/{pk}/delete/"),
    ],
)
def test_wrong_methods_are_refused(alice_client, recipes, method, url):
    assert getattr(alice_client, method)(url.format(pk=recipes.pk)).status_code == 405


@pytest.mark.parametrize("url", ["/c/", "/c/1/pin/", "/c/1/delete/", "/c/1/restore/"])
def test_signed_out_visitors_are_sent_to_log_in(client, url):
    response = client.post(url) if url != "/c/" else client.get(url)
    assert response.status_code == 302 and "/login/" in response.url
