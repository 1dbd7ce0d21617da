"""What an attached file is, read from its bytes (chat.conversations.images: pure)."""

from __future__ import annotations

import pytest

from chat.conversations import images
from tests.images import PNG, SVG, image_bytes

LIMIT = 1024 * 1024
# A JPEG big enough that cutting it leaves its header whole.
NOISY = image_bytes("JPEG", size=(64, 64), noise=True)


@pytest.mark.parametrize(
    ("kind", "content_type", "extension"),
    [
        ("PNG", "image/png", "png"),
        ("JPEG", "image/jpeg", "jpg"),
        ("WEBP", "image/webp", "webp"),
        ("GIF", "image/gif", "gif"),
    ],
)
def test_it_reads_the_four_image_types_from_their_bytes(kind, content_type, extension):
    sniffed = images.sniff(image_bytes(kind, size=(5, 4)), "upload.bin", LIMIT)
    assert (sniffed.content_type, sniffed.extension) == (content_type, extension)
    assert (sniffed.width, sniffed.height) == (5, 4)


def test_a_png_named_txt_is_a_png():
    assert images.sniff(PNG, "notes.txt", LIMIT).content_type == "image/png"


@pytest.mark.parametrize(
    ("data", "name", "says"),
    [
        (b"just some text\n", "photo.png", '"photo.png" is not an image: attach PNG, JPEG'),
        (SVG, "drawing.svg", '"drawing.svg" is not an image'),
        (image_bytes("BMP"), "old.bmp", '"old.bmp" is not an image'),
        (b"", "empty.png", '"empty.png" is empty.'),
        (PNG[: len(PNG) // 2], "cut.png", '"cut.png" is damaged'),
        (PNG[:8] + b"\x00" * 40, "garbled.png", '"garbled.png" is damaged'),
        (NOISY[: len(NOISY) * 2 // 3], "cut.jpg", '"cut.jpg" is damaged'),
    ],
)
def test_it_refuses_what_is_not_a_whole_image_of_the_four_types(data, name, says):
    with pytest.raises(images.ImageProblem, match="^" + _escaped(says)):
        images.sniff(data, name, LIMIT)


def test_it_refuses_a_file_over_the_limit_naming_both_sizes():
    big = image_bytes("PNG", size=(200, 200))
    with pytest.raises(images.ImageProblem) as refused:
        images.sniff(big, "big.png", 100)
    assert (
        str(refused.value)
        == f'"big.png" is too large ({images.size_text(len(big))}; at most 100 bytes each).'
    )


@pytest.mark.parametrize(
    ("size", "text"),
    [(999, "999 bytes"), (1536, "1.5 KB"), (10 * 1024 * 1024, "10 MB"), (1_258_291, "1.2 MB")],
)
def test_sizes_read_like_a_person_writes_them(size, text):
    assert images.size_text(size) == text


def test_view_code_shortens_long_data_urls_and_keeps_the_rest():
    url = "data:image/png;base64," + "A" * 20_000
    short = "data:image/gif;base64,R0lG"
    body = {
        "model": "m",
        "messages": [
            {"role": "system", "content": "Be brief."},
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "What is it?"},
                    {"type": "image_url", "image_url": {"url": url}},
                    {"type": "image_url", "image_url": {"url": short}},
                ],
            },
        ],
    }
    shown = images.elided(body)
    parts = shown["messages"][1]["content"]
    assert parts[0] == {"type": "text", "text": "What is it?"}
    assert parts[1]["image_url"]["url"] == "data:image/png;base64,…(14.6 KB elided)…"
    assert parts[2]["image_url"]["url"] == short
    assert shown["messages"][0] == body["messages"][0]
    assert images.has_elided(body) and not images.has_elided(shown)


def _escaped(text: str) -> str:
    import re

    return re.escape(text)
