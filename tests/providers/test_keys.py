"""People's own providers: the key stays encrypted and unseen, and only its owner uses it.

The providers point at the simulator on a real port (a loopback address, so these tests
allow private upstreams unless they test the guard).
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse

from chat.models import Conversation, Message, Provider
from chat.providers import secrets, upstreams, views
from tests.sockets import connect, form, frames_until, is_done, recorded, wait_generations

ROOT = Path(__file__).resolve().parents[2]
KEY = "sk-lab-Q7vN2xR9tK4mW8pZ3hJ6"
MASKED = "••••3hJ6"
OTHER_KEY = "sk-new-Yb5cD1eF7gH3iJ9kL2mN"


def leaks(text: str, key: str = KEY) -> list[str]:
    """Every 5-character piece of the key found in `text` (the masked last four is not one)."""
    return sorted({key[i : i + 5] for i in range(len(key) - 4) if key[i : i + 5] in text})


@pytest.fixture
def private_upstreams(settings):
    """The simulator listens on 127.0.0.1: allowed, as for a local model server."""
    settings.PLAYGROUND_ALLOW_PRIVATE_UPSTREAMS = True
    return settings


@pytest.fixture
def lab(alice, simulator_url, private_upstreams):
    """Alice's own provider, with a key: the simulator under another name."""
    return Provider.objects.create(
        owner=alice,
        name="Alice's lab",
        base_url=simulator_url,
        api_key_encrypted=secrets.encrypt(KEY),
        api_key_last4=secrets.last4(KEY),
        model_ids=["lab-model-a", "kimi-k2-thinking"],
    )


def _add(client, **fields):
    data = {"name": "Lab", "base_url": "", "api_key": "", "models": "", **fields}
    return client.post(reverse("chat-providers"), data)


# --- at rest -------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_database_holds_the_key_only_encrypted(alice_client, simulator_url, private_upstreams):
    response = _add(alice_client, base_url=simulator_url, api_key=KEY, models="m-1\nm-2\nm-1")
    assert response.status_code == 302
    row = Provider.objects.get()
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM chat_provider WHERE id = %s", [row.pk])
        raw = " ".join(str(value) for value in cursor.fetchone())
    assert leaks(raw) == []
    assert row.api_key_last4 == "3hJ6"
    assert secrets.decrypt(row.api_key_encrypted) == KEY
    assert row.model_ids == ["m-1", "m-2"]
    assert upstreams.personal(row).api_key == KEY
    assert KEY not in repr(upstreams.personal(row))


def test_a_short_key_is_masked_without_its_last_four():
    assert secrets.last4("abc123") == ""
    assert secrets.last4(KEY) == "3hJ6"
    assert secrets.masked(secrets.last4(KEY)) == MASKED


@pytest.mark.django_db
def test_rotation_re_encrypts_with_the_newest_key_and_the_key_still_decrypts(settings, lab):
    old_key = settings.PLAYGROUND_FERNET_KEYS[0]
    new_key = Fernet.generate_key().decode()
    before = lab.api_key_encrypted
    settings.PLAYGROUND_FERNET_KEYS = [new_key, old_key]
    call_command("rotate_provider_keys", stdout=open(os.devnull, "w"))  # noqa: SIM115
    lab.refresh_from_db()
    assert lab.api_key_encrypted != before
    assert Fernet(new_key.encode()).decrypt(lab.api_key_encrypted.encode()).decode() == KEY
    settings.PLAYGROUND_FERNET_KEYS = [new_key]  # the old key can go now
    assert upstreams.personal(lab).api_key == KEY


@pytest.mark.django_db
def test_rotation_leaves_a_key_it_cannot_decrypt_and_says_so(settings, lab):
    before = lab.api_key_encrypted
    settings.PLAYGROUND_FERNET_KEYS = [Fernet.generate_key().decode()]  # the old key is lost
    with pytest.raises(CommandError, match="could not be decrypted"):
        call_command("rotate_provider_keys", stdout=open(os.devnull, "w"))  # noqa: SIM115
    lab.refresh_from_db()
    assert lab.api_key_encrypted == before
    provider = upstreams.personal(lab)
    assert provider.api_key is None and "enter it again" in provider.refusal


def test_production_refuses_to_start_without_fernet_keys():
    env = {k: v for k, v in os.environ.items() if k != "PLAYGROUND_FERNET_KEYS"}
    env.update(DEBUG="0", SECRET_KEY="x" * 50, ALLOWED_HOSTS="playground.example")
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "PLAYGROUND_FERNET_KEYS must be set" in result.stderr


# --- never shown -----------------------------------------------------------------------


@pytest.fixture
def lab_conversation(alice, lab):
    """A conversation on Alice's provider, with an answer that failed (as a 401 would)."""
    conversation = Conversation.objects.create(
        owner=alice, title="On my lab", provider=lab, started_at="2025-01-01T00:00:00Z"
    )
    prompt = Message.objects.create(conversation=conversation, role="user", content="Hello")
    answer = Message.objects.create(
        conversation=conversation,
        parent=prompt,
        role="assistant",
        content="Hi",
        model="lab-model-a",
        request_params={"model": "lab-model-a", "stream": True},
        status="error",
        upstream=lab.name,
        error="Authentication failed (401): Invalid API key. Check the API key.",
    )
    conversation.current_leaf = answer
    conversation.save()
    return conversation


@pytest.mark.django_db
def test_no_page_fragment_or_export_holds_any_part_of_the_key(
    alice_client, lab, lab_conversation, upstream_is_simulator
):
    pk = lab_conversation.pk
    answer = lab_conversation.current_leaf
    alice_client.post(reverse("chat-share", args=[pk]), {"include_reasoning": "on"})
    token = lab_conversation.share_links.get().token
    panel = {"prompt": "Hi", "model": "lab-model-a", "provider": str(lab.pk)}
    responses = {
        "providers": alice_client.get(reverse("chat-providers")),
        "edit": alice_client.get(reverse("chat-provider", args=[lab.pk])),
        "delete": alice_client.get(reverse("chat-provider-delete", args=[lab.pk])),
        "conversation": alice_client.get(reverse("chat-conversation", args=[pk])),
        "list": alice_client.get(reverse("chat-list")),
        "share": alice_client.get(reverse("chat-share", args=[pk])),
        "shares": alice_client.get(reverse("chat-shares")),
        "shared": alice_client.get(reverse("chat-shared", args=[token])),
        "json": alice_client.get(reverse("chat-export-json", args=[pk])),
        "markdown": alice_client.get(reverse("chat-export-md", args=[pk])),
        "check": alice_client.post(reverse("chat-check-params"), panel),
        "models": alice_client.post(reverse("chat-provider-models"), panel),
        "code": alice_client.post(reverse("chat-code", args=[pk]), panel),
        "answer code": alice_client.get(reverse("chat-message-code", args=[pk, answer.pk])),
        # A key typed into a form that fails is not put back into the page.
        "bad edit": alice_client.post(
            reverse("chat-provider", args=[lab.pk]),
            {"name": "", "base_url": lab.base_url, "api_key": KEY, "models": ""},
        ),
        "bad add": _add(alice_client, name="", base_url="ftp://x", api_key=KEY),
        "fetch": alice_client.post(
            reverse("chat-provider", args=[lab.pk]),
            {"name": "Lab", "base_url": lab.base_url, "api_key": KEY, "action": "fetch"},
            headers={"HX-Request": "true"},
        ),
    }
    for name, response in responses.items():
        assert response.status_code == 200, name
        assert leaks(response.content.decode()) == [], name
    assert MASKED in responses["providers"].content.decode()
    assert MASKED in responses["edit"].content.decode()
    edit = responses["edit"].content.decode()
    assert 'value="Alice&#x27;s lab"' in _input(edit, "name")
    assert f'value="{lab.base_url}"' in _input(edit, "base_url")
    assert "value=" not in _input(edit, "api_key")
    assert "value=" not in _input(responses["bad edit"].content.decode(), "api_key")


def _input(page: str, name: str) -> str:
    start = page.index(f'name="{name}"')
    return page[page.rindex("<input", 0, start) : page.index(">", start)]


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("upstream_is_simulator", "close_thread_connections")
async def test_socket_frames_hold_no_part_of_the_key(alice_cookie, conversation, lab):
    ws = await connect(alice_cookie, conversation.pk)
    await ws.send_json_to(form("Hello lab", provider=str(lab.pk)))
    frames = await frames_until(ws, is_done)
    await ws.disconnect()
    assert leaks("".join(frames)) == []
    answer = await Message.objects.aget(conversation=conversation, role="assistant")
    assert answer.status == "complete" and answer.upstream == "Alice's lab"
    await conversation.arefresh_from_db()
    assert conversation.provider_id == lab.pk


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("upstream_is_simulator", "close_thread_connections")
async def test_a_failing_generation_logs_neither_the_key_nor_an_authorization_header(
    alice_cookie, conversation, lab, caplog
):
    for name in ["", *logging.root.manager.loggerDict]:
        caplog.set_level(logging.DEBUG, logger=name or None)
    ws = await connect(alice_cookie, conversation.pk)
    await ws.send_json_to(form("Hi [[sim:fault=401]]", provider=str(lab.pk)))
    frames = await frames_until(ws, is_done)
    await ws.disconnect()
    await wait_generations()
    answer = await Message.objects.aget(conversation=conversation, role="assistant")
    assert answer.status == "error" and "401" in answer.error
    assert caplog.records, "the failure was logged"
    logged = caplog.text + " ".join(
        f"{record.getMessage()} {record.args!r} {record.__dict__!r}" for record in caplog.records
    )
    assert leaks(logged) == []
    assert "authorization" not in logged.lower()
    assert leaks("".join(frames) + answer.error) == []


# --- the owner only ------------------------------------------------------------------------


@pytest.mark.django_db
def test_another_person_can_neither_see_nor_change_a_provider(bob_client, lab):
    assert lab.name not in bob_client.get(reverse("chat-providers")).content.decode()
    edit = reverse("chat-provider", args=[lab.pk])
    delete = reverse("chat-provider-delete", args=[lab.pk])
    assert bob_client.get(edit).status_code == 404
    assert bob_client.post(edit, {"name": "Mine", "base_url": lab.base_url}).status_code == 404
    assert bob_client.post(edit, {"action": "fetch"}).status_code == 404
    assert bob_client.get(delete).status_code == 404
    assert bob_client.post(delete).status_code == 404
    models = bob_client.post(reverse("chat-provider-models"), {"provider": str(lab.pk)})
    assert models.status_code == 404
    lab.refresh_from_db()
    assert lab.name == "Alice's lab"


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("close_thread_connections")
async def test_another_persons_provider_is_refused_on_the_socket_and_nothing_is_sent(
    bob, bob_cookie, lab, upstream_is_simulator
):
    mine = await Conversation.objects.acreate(owner=bob)
    ws = await connect(bob_cookie, mine.pk)
    await ws.send_json_to(form("Use Alice's key", provider=str(lab.pk)))
    frames = await frames_until(ws, lambda f: f.startswith('{"event": "invalid"'))
    await ws.disconnect()
    assert (
        'hx-target="#error-provider" hx-swap="innerHTML">That provider is not one of yours'
        in (frames[0])
    )
    assert await Message.objects.filter(conversation=mine).acount() == 0
    await mine.arefresh_from_db()
    assert mine.provider_id is None
    assert recorded(upstream_is_simulator) == []


@pytest.mark.django_db
def test_another_persons_provider_is_refused_by_the_plain_form_too(
    bob, bob_client, lab, upstream_is_simulator
):
    mine = Conversation.objects.create(owner=bob)
    response = bob_client.post(
        reverse("chat-send", args=[mine.pk]),
        {"prompt": "Use Alice's key", "model": "kimi-k2-thinking", "provider": str(lab.pk)},
        follow=True,
    )
    assert "That provider is not one of yours" in response.content.decode()
    assert not mine.messages.exists()
    mine.refresh_from_db()
    assert mine.provider_id is None
    assert recorded(upstream_is_simulator) == []


# --- editing ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_new_base_url_needs_the_key_again(alice_client, lab, simulator_url):
    edit = reverse("chat-provider", args=[lab.pk])
    moved = simulator_url.replace("/v1", "/v2")
    refused = alice_client.post(edit, {"name": "Lab", "base_url": moved, "models": "a"})
    assert refused.status_code == 200
    assert "Enter the API key again" in refused.content.decode()
    lab.refresh_from_db()
    assert lab.base_url == simulator_url and secrets.decrypt(lab.api_key_encrypted) == KEY

    data = {"name": "Lab", "base_url": moved, "models": "a", "api_key": OTHER_KEY}
    assert alice_client.post(edit, data).status_code == 302
    lab.refresh_from_db()
    assert lab.base_url == moved and secrets.decrypt(lab.api_key_encrypted) == OTHER_KEY
    assert lab.api_key_last4 == OTHER_KEY[-4:]


@pytest.mark.django_db
def test_an_empty_key_field_keeps_the_stored_key(alice_client, lab):
    edit = reverse("chat-provider", args=[lab.pk])
    data = {"name": "Renamed", "base_url": lab.base_url, "api_key": "", "models": "x\ny"}
    assert alice_client.post(edit, data).status_code == 302
    lab.refresh_from_db()
    assert lab.name == "Renamed" and lab.model_ids == ["x", "y"]
    assert secrets.decrypt(lab.api_key_encrypted) == KEY


@pytest.mark.django_db
def test_the_stored_key_can_be_removed_even_with_a_new_base_url(alice_client, lab):
    edit = reverse("chat-provider", args=[lab.pk])
    data = {"name": "Lab", "base_url": "http://127.0.0.1:9/v1", "forget_key": "on"}
    assert alice_client.post(edit, data).status_code == 302
    lab.refresh_from_db()
    assert lab.api_key_encrypted == "" and lab.api_key_last4 == ""
    assert upstreams.personal(lab).api_key is None


@pytest.mark.django_db
def test_fetch_models_fills_the_list_from_the_provider_without_saving(alice_client, lab):
    response = alice_client.post(
        reverse("chat-provider", args=[lab.pk]),
        {"name": "Lab", "base_url": lab.base_url, "models": "", "action": "fetch"},
        headers={"HX-Request": "true"},
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert page.lstrip().startswith('<div id="field-models"')
    assert "kimi-k2-thinking-turbo" in page and "Fetched 2 models" in page
    lab.refresh_from_db()
    assert lab.model_ids == ["lab-model-a", "kimi-k2-thinking"]


@pytest.mark.django_db
def test_adding_without_models_fetches_them(alice, alice_client, simulator_url, private_upstreams):
    response = _add(alice_client, name="Sim", base_url=simulator_url + "/")
    assert response.status_code == 302
    row = Provider.objects.get(owner=alice)
    assert row.base_url == simulator_url  # the trailing slash is dropped
    assert row.model_ids == ["kimi-k2-thinking", "kimi-k2-thinking-turbo"]
    assert row.api_key_encrypted == "" and row.api_key_last4 == ""


@pytest.mark.django_db
def test_delete_asks_first_and_the_conversation_falls_back_to_the_default(
    alice_client, lab, lab_conversation
):
    delete = reverse("chat-provider-delete", args=[lab.pk])
    assert "Delete the provider" in alice_client.get(delete).content.decode()
    assert Provider.objects.filter(pk=lab.pk).exists()
    assert alice_client.post(delete).status_code == 302
    assert not Provider.objects.filter(pk=lab.pk).exists()
    lab_conversation.refresh_from_db()
    assert lab_conversation.provider_id is None


# --- the network guard ------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/v1",
        "http://0x7f000001/v1",
        "http://[::ffff:127.0.0.1]/v1",
        "http://169.254.169.254/latest",
        "http://100.64.0.1/v1",
        "file:///etc/passwd",
    ],
)
def test_saving_a_private_base_url_is_refused_unless_the_operator_allows_it(
    settings, alice_client, url
):
    settings.PLAYGROUND_ALLOW_PRIVATE_UPSTREAMS = False
    response = _add(alice_client, name="Sneaky", base_url=url, models="m")
    assert response.status_code == 200
    assert 'id="id_base_url-error"' in response.content.decode()
    assert not Provider.objects.exists()


@pytest.mark.django_db
def test_a_public_base_url_is_saved_with_private_ones_refused(settings, alice_client):
    settings.PLAYGROUND_ALLOW_PRIVATE_UPSTREAMS = False
    response = _add(alice_client, name="Public", base_url="https://93.184.215.14/v1", models="m")
    assert response.status_code == 302
    assert Provider.objects.get().base_url == "https://93.184.215.14/v1"


@pytest.mark.django_db
def test_credentials_in_the_url_are_refused(alice_client, private_upstreams):
    response = _add(alice_client, base_url="https://user:sk-secret@api.example.com/v1")
    assert "not in the URL" in response.content.decode()
    assert not Provider.objects.exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("close_thread_connections")
async def test_at_request_time_a_private_address_is_refused_on_the_card_without_connecting(
    settings, alice_cookie, conversation, lab, upstream_is_simulator
):
    settings.PLAYGROUND_ALLOW_PRIVATE_UPSTREAMS = False  # saved while allowed; not any more
    ws = await connect(alice_cookie, conversation.pk)
    await ws.send_json_to(form("Hello", provider=str(lab.pk)))
    frames = await frames_until(ws, is_done)
    await ws.disconnect()
    answer = await Message.objects.aget(conversation=conversation, role="assistant")
    assert answer.status == "error"
    assert answer.error.startswith("Not sent to the provider Alice's lab: The host 127.0.0.1")
    assert "Not sent to the provider" in "".join(frames)
    assert recorded(upstream_is_simulator) == []


# --- the panel ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_panel_offers_the_default_the_simulator_and_ones_own_providers(
    alice_client, bob, lab, conversation, upstream_is_simulator
):
    Provider.objects.create(owner=bob, name="Bob's box", base_url="https://93.184.215.14/v1")
    page = alice_client.get(reverse("chat-conversation", args=[conversation.pk])).content.decode()
    select = page[page.index('<select id="param-provider"') : page.index("</select>")]
    assert '<option value="" selected>127.0.0.1</option>' in select
    assert '<option value="simulator" >Built-in simulator</option>' in select
    assert f'<option value="{lab.pk}" >Alice&#x27;s lab</option>' in select
    assert "Bob" not in select
    assert 'id="error-provider"' in page


@pytest.mark.django_db
def test_the_model_select_follows_the_chosen_provider(alice_client, lab, conversation):
    conversation.provider = lab
    conversation.save()
    page = alice_client.get(reverse("chat-conversation", args=[conversation.pk])).content.decode()
    assert f'<option value="{lab.pk}" selected>' in page
    assert '<option value="lab-model-a"' in page
    models = alice_client.post(
        reverse("chat-provider-models"), {"provider": str(lab.pk), "model": "kimi-k2-thinking"}
    ).content.decode()
    assert models.startswith('<select id="param-model" name="model"')
    assert '<option value="lab-model-a" >' in models
    assert '<option value="kimi-k2-thinking" selected>' in models


@pytest.mark.django_db
def test_choosing_a_provider_updates_the_banner_of_who_answers(alice_client, lab, conversation):
    page = alice_client.get(reverse("chat-conversation", args=[conversation.pk])).content.decode()
    assert 'id="upstream-banner"' in page
    own = alice_client.post(reverse("chat-provider-models"), {"provider": str(lab.pk)})
    banner = '<hx-partial hx-target="#upstream-banner" hx-swap="outerHTML">'
    shown = own.content.decode().partition(banner)[2]
    assert "Answering: Alice&#x27;s lab" in shown
    assert "built-in simulator" not in shown
    back = alice_client.post(reverse("chat-provider-models"), {"provider": "simulator"})
    assert "Answering: the built-in simulator" in back.content.decode().partition(banner)[2]


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("close_thread_connections")
async def test_choosing_the_simulator_or_the_default_is_kept_with_the_conversation(
    alice_cookie, conversation, lab, upstream_is_simulator
):
    conversation.provider = lab
    await conversation.asave()
    ws = await connect(alice_cookie, conversation.pk)
    await ws.send_json_to(form("One [[sim:words=3]]", provider="simulator"))
    await frames_until(ws, is_done)
    await conversation.arefresh_from_db()
    assert conversation.provider_id is None
    assert conversation.settings["provider"] == "simulator"
    assert upstreams.for_conversation(conversation, None).is_simulator
    assert upstreams.choice_of(conversation) == "simulator"

    await ws.send_json_to(form("Two [[sim:words=3]]", provider=""))
    await frames_until(ws, is_done)
    await ws.disconnect()
    await conversation.arefresh_from_db()
    assert "provider" not in conversation.settings
    assert upstreams.for_conversation(conversation, None).base_url == upstream_is_simulator


def test_the_form_labels_are_the_ones_the_page_promises():
    labels = [field.label for field in views.ProviderForm().visible_fields()]
    assert labels == ["Name", "Base URL", "API key", "Models"]
