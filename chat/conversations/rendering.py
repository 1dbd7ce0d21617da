"""Model output (untrusted text) to safe HTML.

Markdown is rendered by markdown-it-py with raw HTML off, so any tag the model writes
shows as text. Two renderer rules are replaced: fenced code gets Pygments highlighting
inside a toolbar with a copy button, and images become plain links so that no remote
image is ever fetched just by showing a message. Everything then goes through nh3 with
an explicit allowlist, which is the real safety net: the renderer changes are about
what the user sees, the sanitiser is about what the browser may do.
"""

from __future__ import annotations

import functools
import html
from collections.abc import Sequence
from typing import Any

import nh3
from markdown_it import MarkdownIt
from markdown_it.common.utils import unescapeAll
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from markdown_it.utils import OptionsDict

# Pygments ships no type hints and its stubs (types-Pygments) are not installed; this is
# the one module that uses it, behind highlight_code() and pygments_css().
from pygments import highlight  # type: ignore[import-untyped]
from pygments.formatters import HtmlFormatter  # type: ignore[import-untyped]
from pygments.lexers import get_lexer_by_name  # type: ignore[import-untyped]
from pygments.util import ClassNotFound  # type: ignore[import-untyped]

ALLOWED_TAGS = frozenset(
    {
        "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6",
        "strong", "em", "del", "s", "code", "pre", "blockquote",
        "ul", "ol", "li", "table", "thead", "tbody", "tr", "th", "td",
        "a", "span", "div", "button",
    }
)  # fmt: skip
ALLOWED_ATTRIBUTES: dict[str, frozenset[str]] = {
    # An explicit empty "*" entry: without it nh3 keeps its generic defaults (title, lang).
    "*": frozenset(),
    "a": frozenset({"href", "class"}),
    "span": frozenset({"class"}),
    "div": frozenset({"class"}),
    "pre": frozenset({"class"}),
    "code": frozenset({"class"}),
    "button": frozenset({"class", "type", "data-copy-code"}),
    "th": frozenset({"align"}),
    "td": frozenset({"align"}),
    "ol": frozenset({"start"}),
}
ALLOWED_URL_SCHEMES = frozenset({"http", "https", "mailto"})
LINK_REL = "noopener noreferrer nofollow"
# A link in an answer opens in a new tab, so following it never replaces the playground;
# with LINK_REL the opened page gets neither window.opener nor a referrer.
LINK_TARGET = "_blank"
IMAGE_URL_PREFIXES = ("http://", "https://")
IMAGE_ICON = "\N{FRAME WITH PICTURE}"
# Pygments lexers are regex-driven and some have had pathological cases; past this size
# a code block is shown escaped but unhighlighted.
HIGHLIGHT_MAX_CHARS = 50_000

_CODE_FORMATTER = HtmlFormatter(nowrap=True)
_CLEANER = nh3.Cleaner(
    tags=set(ALLOWED_TAGS),
    attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
    link_rel=LINK_REL,
    # Set by the sanitiser, not allowed through: whatever target the input had is replaced.
    set_tag_attribute_values={"a": {"target": LINK_TARGET}},
    url_schemes=set(ALLOWED_URL_SCHEMES),
    # Relative links would point into the playground itself; model output has no
    # business linking there.
    url_relative="deny",
)


class _PlaygroundRenderer(RendererHTML):
    """markdown-it's HTML renderer with code blocks, images and table cells replaced."""

    def fence(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: Any) -> str:
        token = tokens[idx]
        info = unescapeAll(token.info).split(maxsplit=1)
        language = info[0] if info else ""
        code = highlight_code(token.content, language)
        return (
            '<div class="code-block"><div class="code-toolbar">'
            f'<span class="code-lang">{html.escape(language or "text")}</span>'
            '<button type="button" class="copy-button" data-copy-code>Copy</button>'
            f'</div><pre class="highlight"><code>{code}</code></pre></div>\n'
        )

    def image(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: Any) -> str:
        token = tokens[idx]
        alt = self.renderInlineAsText(token.children, options, env) or "image"
        src = str(token.attrGet("src") or "")
        if not src.lower().startswith(IMAGE_URL_PREFIXES):
            return html.escape(alt)
        return (
            f'<a href="{html.escape(src)}" class="image-link">{IMAGE_ICON} {html.escape(alt)}</a>'
        )

    def th_open(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: Any) -> str:
        return self._render_cell_open(tokens, idx, options, env)

    def td_open(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: Any) -> str:
        return self._render_cell_open(tokens, idx, options, env)

    def _render_cell_open(
        self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: Any
    ) -> str:
        # markdown-it writes column alignment as style="text-align:right"; style
        # attributes are never allowed through, so carry it as align= instead.
        token = tokens[idx]
        style = str(token.attrs.pop("style", ""))
        if style.startswith("text-align:"):
            token.attrSet("align", style.removeprefix("text-align:"))
        return self.renderToken(tokens, idx, options, env)


_MARKDOWN = MarkdownIt(
    "commonmark", {"html": False, "linkify": False}, renderer_cls=_PlaygroundRenderer
).enable(["table", "strikethrough"])


def highlight_code(code: str, language: str) -> str:
    """Highlighted HTML for code (Pygments escapes every character it writes), or the
    escaped code if the language is unknown or the code too long to highlight."""
    if not language or len(code) > HIGHLIGHT_MAX_CHARS:
        return html.escape(code)
    try:
        lexer = get_lexer_by_name(language)
    except ClassNotFound:
        return html.escape(code)
    return str(highlight(code, lexer, _CODE_FORMATTER))


def render_markdown(text: str) -> str:
    """Untrusted Markdown to sanitised HTML.

    For example `**hi** <b>there</b> ![cat](https://example.com/c.png)` renders as
    `<p><strong>hi</strong> &lt;b&gt;there&lt;/b&gt; <a href="https://example.com/c.png"
    class="image-link" target="_blank" rel="noopener noreferrer nofollow">🖼 cat</a></p>`.
    """
    if len(text) > CACHED_TEXT_CHARS:
        return _render(text)
    return _render_cached(text)


# A finished message never changes, and its page is drawn again and again (reloads, the
# socket's redraws, shares): Markdown was about a fifth of a long conversation's page
# (bench/pages.py). Bounded: at most CACHED_TEXTS texts of at most CACHED_TEXT_CHARS each.
CACHED_TEXTS = 2048
CACHED_TEXT_CHARS = 16_384


def _render(text: str) -> str:
    return _CLEANER.clean(_MARKDOWN.render(text))


_render_cached = functools.lru_cache(maxsize=CACHED_TEXTS)(_render)


def render_plain(text: str) -> str:
    """Escaped plain text for streamed deltas and titles; newlines are left as they are."""
    return html.escape(text, quote=True)


def pygments_css(style_light: str = "default", style_dark: str = "monokai") -> str:
    """CSS for the `.highlight` token classes, with the dark style under a media query.

    Only the background and token rules are emitted: Pygments' full style defs also
    carry unscoped `pre { ... }` and line-number rules that would leak into the page.
    """
    light = _style_rules(style_light)
    dark = "\n".join(f"  {line}" for line in _style_rules(style_dark).splitlines())
    return f"{light}\n\n@media (prefers-color-scheme: dark) {{\n{dark}\n}}\n"


def _style_rules(style: str) -> str:
    formatter = HtmlFormatter(style=style)
    rules = [
        *formatter.get_background_style_defs(".highlight"),
        *formatter.get_token_style_defs(".highlight"),
    ]
    return "\n".join(rules)
