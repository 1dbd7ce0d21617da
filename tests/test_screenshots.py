"""`make screenshots`: its script starts the app, makes what the pages show as a person
would, and writes each page light, dark and on a phone."""

from __future__ import annotations

import struct
import subprocess
import sys
from pathlib import Path

from tests.servers import ROOT

SCRIPT = [sys.executable, "scripts/screenshots.py"]
PNG = b"\x89PNG\r\n\x1a\n"


def _size(png: Path) -> tuple[int, int]:
    head = png.read_bytes()[:24]
    assert head[:8] == PNG, f"{png.name} is not a PNG"
    return struct.unpack(">II", head[16:24])


def test_it_writes_each_page_light_dark_and_on_a_phone(tmp_path: Path) -> None:
    done = subprocess.run(
        [*SCRIPT, "--out", str(tmp_path), "--only", "login", "playground"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "6 screenshots" in done.stdout
    sizes = {png.name: _size(png) for png in tmp_path.glob("*.png")}
    assert sizes == {
        "login-light.png": (1440, 900),
        "login-dark.png": (1440, 900),
        "login-phone.png": (780, 1688),  # 390 x 844 at two device pixels per CSS pixel
        "playground-light.png": (1440, 900),
        "playground-dark.png": (1440, 900),
        "playground-phone.png": (780, 1688),
    }


def test_it_refuses_a_page_it_does_not_know(tmp_path: Path) -> None:
    done = subprocess.run(
        [*SCRIPT, "--out", str(tmp_path), "--only", "nowhere"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2 and "invalid choice: 'nowhere'" in done.stderr
    assert not list(tmp_path.iterdir())
