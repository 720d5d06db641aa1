"""Code blocks as the conversation view draws them: coloured by Pygments, under a header with the
language and a "Copy" link `copy:<message id>:<block index>` (the view copies the block's own text,
kept in the message's Markdown, never the HTML read back).

Qt's text browser draws inline styles only, so Pygments writes each token's colour into its span;
the style follows the palette (a light one on light, a dark one on dark), because no single set of
token colours reads well on both. The block's own background is a grey tint with alpha, which reads
on either.
"""

from __future__ import annotations

import html
from functools import lru_cache

from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexer import Lexer
from pygments.lexers import get_lexer_by_name
from pygments.util import ClassNotFound

COPY_SCHEME = "copy"
CODE_STYLES = {False: "default", True: "monokai"}  # Pygments style by "is the palette dark"
BLOCK_TINT = "rgba(127, 127, 127, 0.13)"
MAX_HIGHLIGHT_CHARS = 40_000  # past this a block is shown plain: highlighting it would stall a redraw


@lru_cache(maxsize=64)
def _formatter(dark: bool) -> HtmlFormatter:
    return HtmlFormatter(noclasses=True, nowrap=True, style=CODE_STYLES[dark])


@lru_cache(maxsize=64)
def _lexer(language: str) -> Lexer | None:
    try:
        return get_lexer_by_name(language, stripnl=False, ensurenl=False)
    except ClassNotFound:
        return None


@lru_cache(maxsize=256)
def highlighted(code: str, language: str, dark: bool) -> str:
    """The code as HTML spans with inline colours; escaped plain text when the language is unknown
    (or not given: guessing is slow and often wrong). Cached: a streamed answer is drawn again
    every few tens of milliseconds with the same blocks in it."""
    lexer = _lexer(language.lower()) if language else None
    if lexer is None or len(code) > MAX_HIGHLIGHT_CHARS:
        return html.escape(code)
    return highlight(code, lexer, _formatter(dark)).removesuffix("\n")  # the formatter ends each line


def language_of(info: str) -> str:
    """The language named in a fence's info string ("python title=x.py" → "python")."""
    return info.strip().split(maxsplit=1)[0] if info.strip() else ""


def copy_link(message_id: int, index: int) -> str:
    return f"{COPY_SCHEME}:{message_id}:{index}"


def parse_numbered_link(url: str, scheme: str) -> tuple[int, int] | None:
    """(message id, number) from a `<scheme>:<message id>:<number>` link, or None for any other
    link: the form of the copy, citation and recalled-text links the view draws."""
    found, _, rest = url.partition(":")
    message, _, number = rest.partition(":")
    if found != scheme or not message.isdigit() or not number.isdigit():
        return None
    return int(message), int(number)


def parse_copy_link(url: str) -> tuple[int, int] | None:
    """(message id, block index) from a `copy:` link, or None for any other link."""
    return parse_numbered_link(url, COPY_SCHEME)


def code_block_html(code: str, info: str, message_id: int | None, index: int, dark: bool) -> str:
    """One block: a header row (the language, and "Copy" once the message is saved) over the
    coloured code. The trailing newline Markdown keeps is dropped: it would draw an empty line."""
    language = language_of(info)
    label = html.escape(language) if language else "code"
    copy = (f'<a class="quiet" href="{copy_link(message_id, index)}">Copy</a>'
            if message_id is not None else "")
    body = highlighted(code.removesuffix("\n"), language, dark)
    return (f'<table class="code" width="100%" cellspacing="0" cellpadding="0" '
            f'style="background-color: {BLOCK_TINT};">'
            f'<tr><td class="code-head"><span class="lang">{label}</span></td>'
            f'<td class="code-head" align="right">{copy}</td></tr>'
            f'<tr><td class="code-body" colspan="2"><pre>{body}</pre></td></tr></table>')
