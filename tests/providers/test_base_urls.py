"""A base URL is a scheme, a host and a path: no "?", "#" or user:password@, since the
API paths are appended to it. Refused when saved and again before every request."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from chat.models import Message, Provider
from chat.providers import netguard
from tests.sockets import connect, form, frames_until, is_done, recorded

QUERY = "“?” or “#”"


@pytest.mark.parametrize(
    ("url", "said"),
    [
        ("http://127.0.0.1:8000/v1?x=", QUERY),
        ("http://127.0.0.1:8000/admin?", QUERY),
        ("http://127.0.0.1:8000/v1#", QUERY),
        ("http://127.0.0.1:8000/anything#/v1", QUERY),
        ("http://user@127.0.0.1:8000/v1", "user name or password"),
        ("http://user:pw@127.0.0.1:8000/v1", "user name or password"),
        ("http://@127.0.0.1:8000/v1", "user name or password"),
    ],
)
def test_a_query_a_fragment_or_user_info_is_refused_even_where_private_is_allowed(url, said):
    with pytest.raises(netguard.Refused) as refused:
        netguard.check_base_url(url, allow_private=True)
    assert said in str(refused.value)


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["https://93.184.215.14/v1?", "https://93.184.215.14/x#/v1"])
def test_saving_a_base_url_with_a_query_or_fragment_is_refused(alice, url):
    client = Client()
    client.force_login(alice)
    data = {"name": "Odd", "base_url": url, "api_key": "", "models": "m"}
    response = client.post(reverse("chat-providers"), data)
    assert response.status_code == 200
    assert "The base URL may not contain" in response.content.decode()
    assert not Provider.objects.exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("close_thread_connections")
async def test_a_stored_base_url_with_a_query_is_refused_before_the_request(
    settings, alice, alice_cookie, conversation, upstream_is_simulator
):
    settings.PLAYGROUND_ALLOW_PRIVATE_UPSTREAMS = True  # the guard on addresses is not it
    row = await Provider.objects.acreate(  # saved before base URLs were checked for it
        owner=alice, name="Old", base_url=upstream_is_simulator + "/models?"
    )
    ws = await connect(alice_cookie, conversation.pk)
    await ws.send_json_to(form("Hello", provider=str(row.pk)))
    await frames_until(ws, is_done)
    await ws.disconnect()
    answer = await Message.objects.aget(conversation=conversation, role="assistant")
    assert answer.status == "error"
    assert answer.error.startswith("Not sent to the provider Old: The base URL may not contain")
    assert recorded(upstream_is_simulator) == []
