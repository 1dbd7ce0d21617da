"""A wheel built from the checkout is the whole app: every package, template and static file,
and installed into a fresh virtual environment it serves pages."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import sysconfig
import time
import zipfile
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA = "reasoning_playground-0.1.0.data/data/share/reasoning-playground/"
START_TIMEOUT = 60
PIP = [sys.executable, "-m", "pip"]
ASGI_APPLICATION = "playground.asgi:application"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [*PIP, "wheel", "--quiet", "--no-deps", "--no-build-isolation", "-w", out, ROOT],
        check=True,
        cwd=out,
    )
    (built,) = out.glob("*.whl")
    return built


def _tracked(folder: str) -> set[str]:
    listed = subprocess.run(
        ["git", "ls-files", folder], cwd=ROOT, check=True, capture_output=True, text=True
    )
    return set(listed.stdout.split())


def test_the_wheel_holds_every_package(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    packages = {
        str(init.parent.relative_to(ROOT))
        for top in ("chat", "playground")
        for init in (ROOT / top).rglob("__init__.py")
    }
    assert "chat/templatetags" in packages
    missing = {package for package in packages if f"{package}/__init__.py" not in names}
    assert missing == set()


def test_the_wheel_holds_every_template_and_static_file(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    assets = _tracked("templates") | _tracked("static")
    assert "templates/base.html" in assets
    missing = {path for path in assets if DATA + path not in names}
    assert missing == set(), "add their folders to [tool.setuptools.data-files]"


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> Path:
    """A fresh virtual environment holding the wheel; the libraries it needs come from
    this one's site-packages (a .pth line), so nothing is downloaded."""
    venv = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    Path(site, "dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    subprocess.run(
        # --ignore-installed: without it pip first uninstalls the checkout's own install.
        [*PIP, "install", "--quiet", "--no-deps", "--ignore-installed", "--prefix", venv, wheel],
        check=True,
    )
    return python


def _environment(tmp: Path) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", ""),
        "DJANGO_SETTINGS_MODULE": "playground.settings",
        "DATABASE_URL": f"sqlite:///{tmp / 'db.sqlite3'}",
    }


def test_the_installed_app_passes_its_checks(installed, tmp_path):
    env = _environment(tmp_path)
    where = subprocess.run(
        [installed, "-c", "import chat; print(chat.__file__)"],
        cwd=tmp_path,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    assert where.stdout.startswith(str(installed.parent.parent))
    subprocess.run([installed, "-m", "django", "check"], cwd=tmp_path, env=env, check=True)


def test_the_installed_app_serves_its_pages(installed, tmp_path):
    env = _environment(tmp_path)
    migrate = [installed, "-m", "django", "migrate", "--noinput", "-v0"]
    subprocess.run(migrate, cwd=tmp_path, env=env, check=True)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [
            installed,
            "-m",
            "daphne",
            "-b",
            "127.0.0.1",
            "-p",
            str(port),
            "playground.asgi:application",
        ],
        cwd=tmp_path,
        env=env,
        stderr=subprocess.DEVNULL,
    )
    try:
        page = _first_answer(f"http://127.0.0.1:{port}/accounts/login/", server)
        assert page.status_code == 200
        assert "<h1>Log in</h1>" in page.text
        stylesheet = httpx.get(f"http://127.0.0.1:{port}/static/css/app.css")
        assert stylesheet.status_code == 200
        assert "text/css" in stylesheet.headers["content-type"]
    finally:
        server.terminate()
        server.wait(10)


def _first_answer(url: str, server: subprocess.Popen) -> httpx.Response:
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        try:
            return httpx.get(url)
        except httpx.ConnectError:
            if server.poll() is not None or time.monotonic() > deadline:
                raise
            time.sleep(0.2)
