"""The files of deploy/ agree with the app: every variable it reads is in the env
example, and the Daphne unit starts processes the way `make run` does."""

from __future__ import annotations

import re

from chat.conversations.frames import SERVER_MAX_FRAME_BYTES
from tests.deploy.test_processes import unit_flags
from tests.servers import ROOT


def _variables_read() -> set[str]:
    found = set()
    for path in [ROOT / "playground" / "settings.py", *(ROOT / "chat").rglob("*.py")]:
        found |= set(
            re.findall(r'env_(?:str|bool|int|float|list)\(\s*"([A-Z_]+)"', path.read_text())
        )
    return found


def test_the_env_example_names_every_variable_the_app_reads():
    example = (ROOT / "deploy" / "playground.env.example").read_text()
    named = set(re.findall(r"^#?([A-Z_]+)=", example, re.M))
    assert _variables_read() - named == set()
    assert named - _variables_read() == set()  # and nothing the app ignores


def test_the_unit_takes_frames_as_large_as_make_run_and_pings_idle_sockets():
    flags = unit_flags()

    def value(option: str) -> str:
        return flags[flags.index(option) + 1]

    assert int(value("--websocket-max-message-size")) == SERVER_MAX_FRAME_BYTES
    assert int(value("--websocket-max-frame-size")) == SERVER_MAX_FRAME_BYTES
    assert float(value("--ping-interval")) < float(value("--ping-timeout"))
    assert "--proxy-headers" in flags  # the client's address, not nginx's


def test_the_clean_timer_runs_the_clean_service_which_runs_the_command():
    from django.core.management import get_commands

    timer = (ROOT / "deploy" / "playground-clean.timer").read_text()
    service = (ROOT / "deploy" / "playground-clean.service").read_text()
    assert "Unit=playground-clean.service" in timer
    assert "manage.py clean_attachments" in service
    assert get_commands()["clean_attachments"] == "chat"
