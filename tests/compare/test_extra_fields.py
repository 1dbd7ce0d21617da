"""Extra request fields in the comparison builder: per column, and swept."""

from __future__ import annotations

from html import unescape

import pytest
from django.test import AsyncClient
from django.urls import reverse

from chat.compare import form as builder_form
from chat.compare import grid
from chat.models import Comparison, Message
from tests.compare.test_form import form
from tests.compare.test_runs import (
    answers_of,
    builder_data,
    run_comparison,
    wait_all_runs,
)
from tests.sockets import recorded

HIGH = '{"reasoning_effort": "high"}'


def test_a_column_keeps_its_extra_fields():
    builder = builder_form.read(form({"extra_body": HIGH}, {}))
    assert builder_form.check(builder) == {}
    assert builder.columns[0].settings["extra_body"] == {"reasoning_effort": "high"}
    assert builder.columns[1].settings["extra_body"] is None
    assert grid.differences(builder.settings)[1] == [("Extra request fields", "unset")]


def test_a_column_refuses_extra_fields_a_parameter_owns():
    builder = builder_form.read(form({"extra_body": '{"temperature": 2}'}))
    errors = builder_form.check(builder)
    assert errors["column-0-extra_body"] == (
        'Column 1: "temperature" is set by the Temperature field; use it instead.'
    )


def test_a_sweep_takes_json_objects_separated_by_commas():
    data = form(
        {"temperature": "0.7"},
        **{
            "sweep-1-param": "extra_body",
            "sweep-1-values": f'{{"reasoning_effort": "low", "x": [1, 2]}}, {HIGH},',
            "sweep-2-param": "temperature",
            "sweep-2-values": "0.2, 1",
        },
    )
    builder = builder_form.read(data)
    assert builder_form.apply_sweep(builder) == {}
    columns = [(c.settings["extra_body"], c.settings["temperature"]) for c in builder.columns]
    assert columns == [
        ({"reasoning_effort": "low", "x": [1, 2]}, 0.2),
        ({"reasoning_effort": "low", "x": [1, 2]}, 1),
        ({"reasoning_effort": "high"}, 0.2),
        ({"reasoning_effort": "high"}, 1),
    ]
    # Named in the panel's order: the extra fields come last.
    assert grid.column_labels(builder.settings)[2] == (
        'Temperature 0.2 · Extra request fields {"reasoning_effort": "high"}'
    )


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ('{"a": 1} {"a": 2}', "Extra request fields: give JSON objects separated by commas"),
        ('{"a": 1, ', "Extra request fields: give JSON objects separated by commas"),
        (
            '{"a": 1}, [2]',
            "Extra request fields: [2]: Extra request fields must be a JSON object",
        ),
        (
            '{"a": 1}, {"top_p": 0.5}',
            'Extra request fields: {"top_p": 0.5}: "top_p" is set by the Top P field',
        ),
    ],
)
def test_a_bad_extra_fields_sweep_says_why_and_changes_nothing(values, message):
    sweep = {"sweep-1-param": "extra_body", "sweep-1-values": values}
    builder = builder_form.read(form({"temperature": "0.4"}, **sweep))
    errors = builder_form.apply_sweep(builder)
    assert errors["sweep-1-values"].startswith(message)
    assert [c.settings["extra_body"] for c in builder.columns] == [None]


def test_the_same_object_twice_is_a_duplicate_whatever_its_key_order():
    sweep = {"sweep-1-param": "extra_body", "sweep-1-values": '{"a": 1, "b": 2}, {"b": 2, "a": 1}'}
    builder = builder_form.read(form({}, **sweep))
    assert "is listed twice" in builder_form.apply_sweep(builder)["sweep"]


# -- run against the simulator ---------------------------------------------------------


@pytest.fixture
async def alice_async(alice) -> AsyncClient:
    """Alice's browser, in this test's event loop: what her Run starts runs here."""
    client = AsyncClient()
    await client.aforce_login(alice)
    return client


def _against_the_simulator(test):
    test = pytest.mark.django_db(transaction=True)(test)
    return pytest.mark.usefixtures("upstream_is_simulator", "close_thread_connections")(test)


@_against_the_simulator
async def test_each_column_sends_its_own_extra_fields(alice_async, simulator_url):
    columns = [{"extra_body": '{"reasoning_effort": "low"}'}, {"extra_body": HIGH}, {}]
    comparison = await run_comparison(alice_async, builder_data("Why tides?", columns))
    await wait_all_runs()
    sent = sorted(
        (body.get("reasoning_effort") or "", body["model"]) for body in recorded(simulator_url)
    )
    assert sent == [(effort, "kimi-k2-thinking") for effort in ("", "high", "low")]
    answers = await answers_of(comparison)
    assert [a.request_params.get("reasoning_effort") for a in answers] == ["low", "high", None]
    assert [c["extra_body"] for c in comparison.columns] == [
        {"reasoning_effort": "low"},
        {"reasoning_effort": "high"},
        None,
    ]
    # The column's view code sends them too.
    response = await alice_async.get(reverse("chat-compare-code", args=[comparison.pk, 2]))
    assert response.status_code == 200
    assert '"reasoning_effort": "high"' in unescape(response.content.decode())


@_against_the_simulator
async def test_a_column_overriding_temperature_starts_nothing(alice_async, simulator_url):
    data = builder_data("Why tides?", [{}, {"extra_body": '{"temperature": 2}'}])
    response = await alice_async.post(reverse("chat-compare-new"), data)
    assert response.status_code == 400
    assert 'Column 2: "temperature" is set by the Temperature field; use it instead.' in unescape(
        response.content.decode()
    )
    assert await Comparison.objects.acount() == 0
    assert await Message.objects.acount() == 0
    assert recorded(simulator_url) == []
