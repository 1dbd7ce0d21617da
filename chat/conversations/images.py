"""Images attached to a prompt: what a file's bytes are, and how they are sent.

Pure: bytes in, values out; Pillow reads the bytes, nothing here knows Django.

The type is read from the bytes, never from the file's name: a PNG named `notes.txt` is
a PNG, and a text file named `photo.png` is refused. Only four raster types are taken
(PNG, JPEG, WebP, GIF): never SVG or anything else a browser could run as a page.
"""

from __future__ import annotations

import base64
import io
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from PIL import Image, UnidentifiedImageError

# Pillow's format name -> (content type, file extension).
TYPES = {
    "PNG": ("image/png", "png"),
    "JPEG": ("image/jpeg", "jpg"),
    "WEBP": ("image/webp", "webp"),
    "GIF": ("image/gif", "gif"),
}
CONTENT_TYPES = frozenset(content_type for content_type, _ in TYPES.values())
EXTENSIONS = {content_type: extension for content_type, extension in TYPES.values()}
ACCEPTED = "PNG, JPEG, WebP or GIF"
# A decompression bomb (a small file of a huge picture) is refused, not decoded.
MAX_PIXELS = 50_000_000
# "View code" shows a data URL longer than this shortened (see elided): a small icon
# stays whole (the code runs as shown), a photo's megabytes of base64 do not.
ELIDE_OVER = 16 * 1024


class ImageProblem(ValueError):
    """Why a file cannot be attached, in words for the person who chose it."""


@dataclass(frozen=True)
class Sniffed:
    content_type: str
    width: int
    height: int

    @property
    def extension(self) -> str:
        return EXTENSIONS[self.content_type]


def sniff(data: bytes, name: str, max_bytes: int) -> Sniffed:
    """What image the bytes hold, or ImageProblem naming the file and the rule.

    >>> sniff(b"hello", "photo.png", 1000)
    Traceback (most recent call last):
    ...
    chat.conversations.images.ImageProblem: "photo.png" is not an image: attach PNG, JPEG, WebP or GIF files.
    """  # noqa: E501
    label = describe_name(name)
    if len(data) > max_bytes:
        raise ImageProblem(
            f"{label} is too large ({size_text(len(data))}; at most {size_text(max_bytes)} each)."
        )
    if not data:
        raise ImageProblem(f"{label} is empty.")
    not_image = ImageProblem(f"{label} is not an image: attach {ACCEPTED} files.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=list(TYPES)) as image:
                kind, width, height = image.format, image.width, image.height
                if width * height > MAX_PIXELS:
                    raise ImageProblem(f"{label} has too many pixels ({width} x {height}).")
                image.verify()
            # verify() checks the structure; decoding the pixels catches a cut file.
            with Image.open(io.BytesIO(data), formats=list(TYPES)) as image:
                image.load()
    except ImageProblem:
        raise
    except UnidentifiedImageError:
        if _looks_like_an_image(data):
            raise ImageProblem(f"{label} is damaged: it could not be read as an image.") from None
        raise not_image from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageProblem(f"{label} has too many pixels to be read safely.") from None
    except (OSError, SyntaxError, ValueError, EOFError):
        raise ImageProblem(f"{label} is damaged: it could not be read as an image.") from None
    if kind not in TYPES:
        raise not_image
    return Sniffed(TYPES[kind][0], width, height)


def _looks_like_an_image(data: bytes) -> bool:
    """Whether the file starts as one of the four types do (then it is damaged)."""
    return data.startswith((b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a")) or (
        data[:4] == b"RIFF" and data[8:12] == b"WEBP"
    )


def describe_name(name: str) -> str:
    """The uploaded name, quoted and cut short, for a message (never stored)."""
    shown = " ".join(name.split())[:80] or "The file"
    return f'"{shown}"' if shown != "The file" else shown


def size_text(size: int) -> str:
    """1536 -> "1.5 KB", 10485760 -> "10 MB"."""
    for unit, scale in (("MB", 1024 * 1024), ("KB", 1024)):
        if size >= scale:
            value = f"{size / scale:.1f}".removesuffix(".0")
            return f"{value} {unit}"
    return f"{size} bytes"


def data_url(content_type: str, data: bytes) -> str:
    """The file as a data URL, as the API takes an image.

    >>> data_url("image/png", b"abc")
    'data:image/png;base64,YWJj'
    """
    return f"data:{content_type};base64,{base64.b64encode(data).decode('ascii')}"


def elided(body: Mapping[str, Any]) -> dict[str, Any]:
    """A request body for display: each long image data URL shortened to its type and
    size, so a page of code is not megabytes of base64.

    >>> url = "data:image/png;base64," + "A" * 20_000
    >>> part = {"type": "image_url", "image_url": {"url": url}}
    >>> elided({"messages": [{"role": "user", "content": [part]}]})["messages"][0]["content"]
    [{'type': 'image_url', 'image_url': {'url': 'data:image/png;base64,…(14.6 KB elided)…'}}]
    """
    messages = body.get("messages")
    if not isinstance(messages, list):
        return dict(body)
    return {**body, "messages": [_elided_message(m) for m in messages]}


def has_elided(body: Mapping[str, Any]) -> bool:
    """Whether elided(body) shortened anything."""
    return elided(body) != dict(body)


def _elided_message(message: Any) -> Any:
    content = message.get("content") if isinstance(message, Mapping) else None
    if not isinstance(content, list):
        return message
    return {**message, "content": [_elided_part(part) for part in content]}


def _elided_part(part: Any) -> Any:
    image = part.get("image_url") if isinstance(part, Mapping) else None
    if not isinstance(image, Mapping):
        return part
    url = image.get("url")
    if not isinstance(url, str) or not url.startswith("data:") or len(url) <= ELIDE_OVER:
        return part
    head, _, payload = url.partition(",")
    size = len(payload) * 3 // 4
    return {**part, "image_url": {**image, "url": f"{head},…({size_text(size)} elided)…"}}
