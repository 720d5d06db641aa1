"""Messages as the conversation view shows them: Markdown (code blocks, lists, tables) to the HTML
subset Qt's text browser draws, with citation marks turned into links.

markdown-it-py renders CommonMark plus tables; raw HTML in a message is shown as text, never run.
A citation mark "[2]" (or "[1, 3]") outside code becomes a link `cite:<message id>:<number>` that
the window opens at the cited passage.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence

from markdown_it import MarkdownIt

from engine.citations import MARKER

CITE_SCHEME = "cite"
_markdown = MarkdownIt("commonmark", {"html": False, "breaks": True}).enable("table")
# Code is left alone: a "[1]" inside a code block is code.
_CODE = re.compile(r"(<pre>.*?</pre>|<code>.*?</code>)", re.DOTALL)
_NUMBER = re.compile(r"\d{1,3}")

ROLE_NAMES = {"user": "You", "assistant": "Longwit", "system": "System"}
STYLE = """
  p, li { margin-top: 2px; margin-bottom: 4px; }
  pre { background-color: rgba(127, 127, 127, 0.15); padding: 6px; font-family: monospace; }
  code { font-family: monospace; background-color: rgba(127, 127, 127, 0.15); }
  table { border-collapse: collapse; }
  th, td { border: 1px solid rgba(127, 127, 127, 0.5); padding: 3px 6px; }
  a.cite { text-decoration: none; font-weight: bold; }
  .role { font-weight: bold; }
  .meta { color: gray; font-size: small; }
  .aside { color: gray; margin-left: 12px; }
"""  # the text browser's default style sheet


def link_citations(rendered: str, message_id: int | None) -> str:
    """Citation marks outside code become links to the cited passage."""
    if message_id is None:
        return rendered

    def numbers_to_links(mark: re.Match[str]) -> str:
        inner = _NUMBER.sub(
            lambda n: f'<a class="cite" href="{CITE_SCHEME}:{message_id}:{n.group()}">{n.group()}</a>',
            mark.group(1),
        )
        return f"[{inner}]"

    parts = _CODE.split(rendered)
    return "".join(
        part if index % 2 else MARKER.sub(numbers_to_links, part) for index, part in enumerate(parts)
    )


def markdown_html(text: str, message_id: int | None = None) -> str:
    return link_citations(_markdown.render(text), message_id)


def parse_citation_link(url: str) -> tuple[int, int] | None:
    """(message id, citation number) from a `cite:` link, or None for any other link."""
    scheme, _, rest = url.partition(":")
    message, _, number = rest.partition(":")
    if scheme != CITE_SCHEME or not message.isdigit() or not number.isdigit():
        return None
    return int(message), int(number)


def sources_html(message_id: int | None, sources: Sequence[tuple[int, str]]) -> str:
    """"Sources: [1] Title, p. 3; [2] …", each number a link: a passage matched by wording (the model
    cited nothing) can be opened too."""
    if message_id is None or not sources:
        return ""
    links = "; ".join(
        f'<a class="cite" href="{CITE_SCHEME}:{message_id}:{number}">[{number}]</a> {html.escape(label)}'
        for number, label in sources
    )
    return f'<p class="meta">Sources: {links}</p>'


ASIDE_SCHEME = "aside"  # aside:<message id>:thinking|others, a folded part opened or closed


def aside_link(message_id: int | None, part: str, label: str) -> str:
    if message_id is None:
        return html.escape(label)
    return f'<a href="{ASIDE_SCHEME}:{message_id}:{part}">{html.escape(label)}</a>'


def parse_aside_link(url: str) -> tuple[int, str] | None:
    """(message id, "thinking" or "others") from an `aside:` link, or None for any other link."""
    scheme, _, rest = url.partition(":")
    message, _, part = rest.partition(":")
    if scheme != ASIDE_SCHEME or not message.isdigit() or part not in ("thinking", "others"):
        return None
    return int(message), part


def thinking_html(message_id: int | None, thinking: str, open_: bool) -> str:
    """A reasoning model's thinking, folded to one line until opened."""
    if not thinking:
        return ""
    words = len(thinking.split())
    line = aside_link(message_id, "thinking", f"{'▾' if open_ else '▸'} Thinking ({words} words)")
    body = f'<div class="aside">{markdown_html(thinking)}</div>' if open_ else ""
    return f'<p class="meta">{line}</p>{body}'


def others_html(message_id: int | None, agreement: str, others: Sequence[str], open_: bool) -> str:
    """Deliberate mode: how many answers agreed, and the ones that did not, folded until opened."""
    if not agreement:
        return ""
    if not others:
        return f'<p class="meta">{html.escape(agreement)}</p>'
    count = len(others)
    label = f"{'▾ hide' if open_ else '▸ show'} the {count} other answer{'s' if count != 1 else ''}"
    body = "".join(f'<div class="aside">{markdown_html(o)}</div>' for o in others) if open_ else ""
    return f'<p class="meta">{html.escape(agreement)} · {aside_link(message_id, "others", label)}</p>{body}'


def message_html(role: str, text: str, message_id: int | None = None, meta: str = "",
                 sources: Sequence[tuple[int, str]] = (), thinking: str = "", agreement: str = "",
                 others: Sequence[str] = (), opened: frozenset[str] = frozenset()) -> str:
    """One message: who said it, a reasoning model's thinking (folded), its rendered text, its
    sources, deliberate mode's agreement with the other answers (folded) and a grey line of details."""
    name = ROLE_NAMES.get(role, role)
    body = markdown_html(text, message_id) if text else "<p>…</p>"
    footer = f'<p class="meta">{html.escape(meta)}</p>' if meta else ""
    return (f'<p class="role">{name}</p>{thinking_html(message_id, thinking, "thinking" in opened)}'
            f'{body}{sources_html(message_id, sources)}'
            f'{others_html(message_id, agreement, others, "others" in opened)}{footer}<hr/>')

