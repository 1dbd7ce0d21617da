"""Images in a plain messages array: a prompt's image_url parts with data: URLs become its
images, checked as an upload is; web addresses and anything that is not an image are
refused in words (pure, no database)."""

from __future__ import annotations

import base64
import json

import pytest

from chat.conversations.imports import ImageLimits, ImportProblem, parse_import
from tests.images import PNG, SVG, image_bytes

GIF = image_bytes("GIF")


def _url(data: bytes, media_type: str = "image/png") -> str:
    return f"data:{media_type};base64,{base64.b64encode(data).decode()}"


def _image(url: object) -> dict:
    return {"type": "image_url", "image_url": {"url": url}}


def _prompt(*parts: dict, role: str = "user") -> bytes:
    return json.dumps([{"role": role, "content": list(parts)}]).encode()


def test_a_prompts_data_url_images_are_imported_in_order_with_its_text():
    data = _prompt(
        {"type": "text", "text": "Compare"},
        _image(_url(PNG)),
        {"type": "text", "text": "these"},
        {"type": "image_url", "image_url": {"url": _url(GIF, "image/gif"), "detail": "high"}},
    )
    [prompt] = parse_import(data).messages
    assert prompt["content"] == "Compare\nthese"
    assert prompt["images"] == [
        {"data": PNG, "content_type": "image/png"},
        {"data": GIF, "content_type": "image/gif"},
    ]


def test_an_image_alone_is_a_prompt_without_text():
    [prompt] = parse_import(_prompt(_image(_url(PNG)))).messages
    assert (prompt["content"], len(prompt["images"])) == ("", 1)


def test_the_type_comes_from_the_bytes_not_from_the_url():
    [prompt] = parse_import(_prompt(_image(_url(PNG, "image/jpeg")))).messages
    assert prompt["images"][0]["content_type"] == "image/png"


def test_a_text_prompt_has_no_images():
    [prompt] = parse_import(b'[{"role": "user", "content": "Hi"}]').messages
    assert "images" not in prompt


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            _prompt(_image("https://example.com/cat.png")),
            "Message 1: image 1 is a web address (example.com): the playground never "
            "fetches images. Put the image in the file as a data: URL, or attach it after "
            "importing.",
        ),
        (
            _prompt({"type": "text", "text": "x"}, _image(_url(PNG)), _image("HTTP://a.test/x")),
            "Message 1: image 2 is a web address (a.test)",
        ),
        (_prompt(_image("ftp://example.com/x.png")), "Message 1: image 1 is not a data: URL"),
        (_prompt(_image("cat.png")), "Message 1: image 1 is not a data: URL"),
        (_prompt(_image("")), "Message 1: image 1 has no URL."),
        (_prompt(_image(None)), "Message 1: image 1 has no URL."),
        (_prompt(_image("data:image/png,rawbytes")), "image 1 is a data: URL without base64"),
        (_prompt(_image("data:image/png;base64,@@@")), "Message 1: image 1 has no base64 data."),
        (
            _prompt(_image(_url(SVG, "image/svg+xml"))),
            'Message 1: "image 1" is not an image: attach PNG, JPEG, WebP or GIF files.',
        ),
        (
            _prompt(_image(_url(b"just some text"))),  # a text file named as a PNG
            '"image 1" is not an image',
        ),
        (_prompt(_image(_url(PNG[:20]))), '"image 1" is damaged'),
        (_prompt(_image(_url(b""))), '"image 1" is empty.'),
        (
            _prompt(_image(_url(PNG)), role="assistant"),
            "Message 1: only prompts (user messages) can carry images.",
        ),
        (
            _prompt(_image(_url(PNG)), role="system"),
            "Message 1: only prompts (user messages) can carry images.",
        ),
        (
            _prompt({"type": "input_audio", "input_audio": {}}),
            "Message 1: the content is not text and images",
        ),
    ],
)
def test_an_image_that_cannot_be_imported_gets_a_clear_message(data, message):
    with pytest.raises(ImportProblem) as problem:
        parse_import(data)
    assert message in str(problem.value)


def test_the_servers_limits_apply_to_each_image_and_to_their_count():
    two = _prompt(_image(_url(PNG)), _image(_url(GIF)))
    with pytest.raises(ImportProblem) as problem:
        parse_import(two, ImageLimits(max_bytes=10_000, per_message=1))
    assert str(problem.value) == "Message 1: 2 images; a message can carry at most 1."
    with pytest.raises(ImportProblem) as problem:
        parse_import(two, ImageLimits(max_bytes=len(PNG) - 1, per_message=8))
    assert str(problem.value).startswith('Message 1: "image 1" is too large (')
    assert len(parse_import(two, ImageLimits(max_bytes=len(PNG), per_message=2)).messages) == 1


def test_an_exports_images_are_held_to_the_same_limits():
    image = {"data": base64.b64encode(PNG).decode()}
    export = {
        "format": "reasoning-playground/1",
        "tree": [{"id": 1, "parent": None, "role": "user", "content": "x", "images": [image] * 2}],
    }
    with pytest.raises(ImportProblem) as problem:
        parse_import(json.dumps(export).encode(), ImageLimits(per_message=1))
    assert str(problem.value) == "Message 1: 2 images; a message can carry at most 1."
