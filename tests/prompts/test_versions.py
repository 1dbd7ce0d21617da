"""A prompt's page: its versions and latest setup; restoring a version."""

from __future__ import annotations

import re

import pytest

from tests.prompts.builders import SYSTEM, add_version

pytestmark = pytest.mark.django_db


def test_the_prompt_page_shows_name_tags_versions_and_the_latest_setup(alice_client, prompt):
    add_version(prompt, note="Second")
    html = alice_client.get(f"/prompts/{prompt.pk}/").content.decode()
    assert "Tutor" in html and "?tag=teaching" in html and "?tag=science" in html
    assert "First try" in html and "Second" in html
    assert re.search(r"<td>2</td>\s*<td[^>]*>Second</td>\s*<td><time", html)
    assert "Version 2 <span" in html
    assert "You are a {{ tone }} tutor." in html and "Explain {{topic}}." in html
    assert "Temperature" in html and "0.4" in html and "lookup" in html  # parameters
    for name in ("tone", "topic", "audience"):
        assert f'<code class="variable" hx-ignore>{name}</code>' in html
    assert "literal" not in re.findall(r'class="variable"[^>]*>([^<]*)<', html)


def test_restore_adds_a_version_copying_the_chosen_one(alice_client, prompt):
    add_version(prompt, system_prompt="Changed.", settings={"temperature": 1.5}, note="Worse")
    response = alice_client.post(f"/prompts/{prompt.pk}/restore/", {"version": "1"})
    assert response.status_code == 302 and response.url == f"/prompts/{prompt.pk}/"
    first, second, restored = prompt.versions.order_by("number")
    assert restored.number == 3 and restored.note == "Restored from version 1"
    assert restored.system_prompt == first.system_prompt == SYSTEM
    assert restored.messages == first.messages and restored.settings == first.settings
    assert second.system_prompt == "Changed."  # kept
    html = alice_client.get(f"/prompts/{prompt.pk}/").content.decode()
    assert "Restored from version 1" in html


@pytest.mark.parametrize("version", ["", "0", "9", "x", "-1"])
def test_restoring_a_version_that_does_not_exist_is_404(alice_client, prompt, version):
    response = alice_client.post(f"/prompts/{prompt.pk}/restore/", {"version": version})
    assert response.status_code == (302 if version == "" else 404)
    assert prompt.versions.count() == (2 if version == "" else 1)
