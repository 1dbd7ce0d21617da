"""Images for the tests of attachments: real files made by Pillow, a few bytes each."""

from __future__ import annotations

import io

import pytest
from PIL import Image


def image_bytes(
    kind: str = "PNG", size: tuple[int, int] = (3, 2), color: str = "red", noise: bool = False
) -> bytes:
    """A small real image file in Pillow's format `kind` (PNG, JPEG, WEBP, GIF); with
    `noise`, random pixels (which compress badly: a bigger file)."""
    buffer = io.BytesIO()
    image = Image.effect_noise(size, 100).convert("RGB") if noise else Image.new("RGB", size, color)
    image.save(buffer, format=kind)
    return buffer.getvalue()


PNG = image_bytes("PNG")
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


@pytest.fixture
def media_root(settings, tmp_path):
    """A fresh MEDIA_ROOT: what a test stores is its own, and it can look inside."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"
