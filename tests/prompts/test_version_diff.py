"""Two versions of a prompt compared on its page: the text word by word, the parameters."""

from __future__ import annotations

import re

import pytest

from tests.prompts.builders import SETTINGS, add_version

pytestmark = pytest.mark.django_db


def test_the_diff_marks_an_inserted_word_and_lists_a_changed_temperature(alice_client, prompt):
    messages = [*prompt.versions.get().messages]
    messages[0] = {"role": "user", "content": "Explain {{topic}} briefly."}
    add_version(prompt, messages=messages, settings={**SETTINGS, "temperature": 0.9})
    html = alice_client.get(f"/prompts/{prompt.pk}/").content.decode()
    assert "From version" in html and "To version" in html and ">Compare</button>" in html
    assert re.search(r"<ins>\s*briefly\s*</ins>", html)
    assert re.search(r"<th scope=\"row\">Temperature</th><td><del>0.4</del></td><td><ins>0.9", html)
    assert "Max tokens</th>" not in html  # the same in both: not listed


def test_any_two_versions_can_be_compared_with_get_parameters(alice_client, prompt):
    add_version(prompt, system_prompt="You are a {{ tone }} teacher.")
    add_version(prompt, system_prompt="You are a {{ tone }} teacher.", settings={"temperature": 2})
    same = alice_client.get(f"/prompts/{prompt.pk}/?from=2&to=3").content.decode()
    assert "The system prompt and messages are the same in both versions." in same
    assert "Temperature</th><td><del>0.4</del></td><td><ins>2" in same
    assert "Tools</th>" in same and "unset" in same  # tools dropped in version 3
    first = alice_client.get(f"/prompts/{prompt.pk}/?from=1&to=2").content.decode()
    assert re.search(r"<del>\s*tutor\s*</del>", first) and re.search(r"<ins>\s*teacher", first)
    assert "None: both versions use the same parameters." in first
    assert re.search(r'<option value="1" selected>1</option>', first)
    reverse = alice_client.get(f"/prompts/{prompt.pk}/?from=3&to=1").content.decode()
    assert "version 3 → version 1" in reverse
    # Nonsense falls back to the last two.
    default = alice_client.get(f"/prompts/{prompt.pk}/?from=x&to=99").content.decode()
    assert "version 2 → version 3" in default


def test_a_single_version_says_how_to_get_something_to_compare(alice_client, prompt):
    html = alice_client.get(f"/prompts/{prompt.pk}/").content.decode()
    assert "Only one version so far" in html and "From version" not in html
