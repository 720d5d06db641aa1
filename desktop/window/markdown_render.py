"""Messages as the conversation view shows them: Markdown (code blocks, lists, tables) to the HTML
subset Qt's text browser draws, with citation marks turned into links, each message a card with a
quiet line of actions under it.

markdown-it-py renders CommonMark plus tables; raw HTML in a message is shown as text, never run.
A citation mark "[2]" (or "[1, 3]") outside code becomes a link `cite:<message id>:<number>` that
the window opens at the cited passage; what recall brought into an answer is listed under it, each
a link `recalled:<message id>:<number>` that the window follows to the earlier conversation's
message or the document's passage. Code blocks are coloured (desktop/window/code_highlight.py)
and numbered in the order `code_texts` returns them, which is what their "Copy" links copy.
The class names used here are styled by desktop/window/conversation_style.py.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.token import Token

from desktop.window.code_highlight import code_block_html, parse_numbered_link
from engine.citations import MARKER

CITE_SCHEME = "cite"
MESSAGE_SCHEME = "message"  # message:<action>:<message id>, one of ACTIONS under a message
ACTIONS = {"copy": "Copy", "read": "Read aloud", "regenerate": "Regenerate", "edit": "Edit"}
CODE_TYPES = ("fence", "code_block")
_markdown = MarkdownIt("commonmark", {"html": False, "breaks": True}).enable("table")
# Code is left alone: a "[1]" inside a code block is code.
_CODE = re.compile(r"(<pre\b[^>]*>.*?</pre>|<code\b[^>]*>.*?</code>)", re.DOTALL)
_NUMBER = re.compile(r"\d{1,3}")


def _render_code(_renderer: object, tokens: list[Token], index: int, _options: object,
                 env: dict) -> str:
    """A fenced or indented code block, numbered in document order (as `code_texts` counts)."""
    token = tokens[index]
    number = env["blocks"] = env.get("blocks", -1) + 1
    return code_block_html(token.content, token.info if token.type == "fence" else "",
                           env.get("message_id"), number, env.get("dark", False))


def _render_table(renderer: Any, tokens: list[Token], index: int, options: object, env: dict) -> str:
    """A Markdown table, marked as one: the cards around it are tables too, styled apart."""
    tokens[index].attrSet("class", "md")
    return renderer.renderToken(tokens, index, options, env)


for _kind in CODE_TYPES:
    _markdown.add_render_rule(_kind, _render_code)
_markdown.add_render_rule("table_open", _render_table)

ROLE_NAMES = {"user": "You", "assistant": "Longwit", "system": "System"}


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


def markdown_html(text: str, message_id: int | None = None, dark: bool = False) -> str:
    """The message's HTML; code blocks get "Copy" links only once the message has an id."""
    env = {"message_id": message_id, "dark": dark}
    return link_citations(_markdown.render(text, env), message_id)


def code_texts(text: str) -> list[str]:
    """The code of each block in a message, in the order its "Copy" links number them: the
    Markdown's own text, so a copy is exact."""
    return [t.content for t in _markdown.parse(text) if t.type in CODE_TYPES]


def parse_citation_link(url: str) -> tuple[int, int] | None:
    """(message id, citation number) from a `cite:` link, or None for any other link."""
    return parse_numbered_link(url, CITE_SCHEME)


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


RECALLED_SCHEME = "recalled"  # recalled:<message id>:<number>, a text recall brought into the answer
MESSAGE_ANCHOR = "msg-"  # msg-<message id>, on each saved message's role line: the view scrolls to it


def recalled_html(message_id: int | None, recalled: Sequence[tuple[int, str]]) -> str:
    """"Recalled: conversation 12 'Trip' (…), message 41; document 3 'report.pdf', p. 4", each a
    link to where it came from."""
    if message_id is None or not recalled:
        return ""
    links = "; ".join(
        f'<a class="recalled" href="{RECALLED_SCHEME}:{message_id}:{number}">{html.escape(label)}</a>'
        for number, label in recalled
    )
    return f'<p class="meta">Recalled: {links}</p>'


def parse_recalled_link(url: str) -> tuple[int, int] | None:
    """(message id, number) from a `recalled:` link, or None for any other link."""
    return parse_numbered_link(url, RECALLED_SCHEME)


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


def thinking_html(message_id: int | None, thinking: str, open_: bool, dark: bool = False) -> str:
    """A reasoning model's thinking, folded to one line until opened."""
    if not thinking:
        return ""
    words = len(thinking.split())
    line = aside_link(message_id, "thinking", f"{'▾' if open_ else '▸'} Thinking ({words} words)")
    body = f'<div class="aside">{markdown_html(thinking, dark=dark)}</div>' if open_ else ""
    return f'<p class="meta">{line}</p>{body}'


def others_html(message_id: int | None, agreement: str, others: Sequence[str], open_: bool,
                dark: bool = False) -> str:
    """Deliberate mode: how many answers agreed, and the ones that did not, folded until opened."""
    if not agreement:
        return ""
    if not others:
        return f'<p class="meta">{html.escape(agreement)}</p>'
    count = len(others)
    label = f"{'▾ hide' if open_ else '▸ show'} the {count} other answer{'s' if count != 1 else ''}"
    body = "".join(f'<div class="aside">{markdown_html(o, dark=dark)}</div>' for o in others) \
        if open_ else ""
    return f'<p class="meta">{html.escape(agreement)} · {aside_link(message_id, "others", label)}</p>{body}'


def parse_message_link(url: str) -> tuple[str, int] | None:
    """(action, message id) from a `message:` link, or None for any other link."""
    scheme, _, rest = url.partition(":")
    action, _, message = rest.partition(":")
    if scheme != MESSAGE_SCHEME or action not in ACTIONS or not message.isdigit():
        return None
    return action, int(message)


def actions_html(message_id: int | None, actions: Sequence[str], align: str = "left") -> str:
    """The quiet line of links under a finished message ("Copy · Read aloud · Regenerate")."""
    if message_id is None or not actions:
        return ""
    links = " &nbsp;·&nbsp; ".join(
        f'<a class="quiet" href="{MESSAGE_SCHEME}:{action}:{message_id}">{ACTIONS[action]}</a>'
        for action in actions)
    return f'<p class="actions" align="{align}">{links}</p>'


def message_html(role: str, text: str, message_id: int | None = None, meta: str = "",
                 sources: Sequence[tuple[int, str]] = (), thinking: str = "", agreement: str = "",
                 others: Sequence[str] = (), opened: frozenset[str] = frozenset(),
                 actions: Sequence[str] = (), dark: bool = False, mark: str = "",
                 recalled: Sequence[tuple[int, str]] = ()) -> str:
    """One message as a card: the person's on a tint at the right, fitted to its text; an answer
    plain across the measure, with a reasoning model's thinking (folded), its sources, what recall
    brought into it, deliberate mode's agreement with the other answers (folded) and a grey line of
    details. Under either, the `actions` it offers (none while it is written). `mark` names the
    role line as an anchor, for the view to find where the message begins; a saved message's role
    line is an anchor by its id too, for the view to scroll to."""
    name = f'<a name="{mark}">{ROLE_NAMES.get(role, role)}</a>' if mark else ROLE_NAMES.get(role, role)
    if message_id is not None:  # Qt gives the next character both names
        name = f'<a name="{MESSAGE_ANCHOR}{message_id}"></a>{name}'
    body = markdown_html(text, message_id, dark) if text else "<p>…</p>"
    footer = f'<p class="meta">{html.escape(meta)}</p>' if meta else ""
    if role == "user":
        # Inside a full-width card: a right-aligned table drawn first in the document would float
        # past the margins (Qt).
        return (f'<table class="card" width="100%" cellspacing="0" cellpadding="0"><tr><td>'
                f'<table class="you" align="right" cellspacing="0" cellpadding="0">'
                f'<tr><td class="bubble"><p class="role">{name}</p>{body}</td></tr></table>'
                f'{actions_html(message_id, actions, "right")}</td></tr></table>')
    # Plain blocks, no card table: a table per answer adds half to what Qt takes to lay out a
    # long conversation.
    return (f'<p class="role">{name}</p>'
            f'{thinking_html(message_id, thinking, "thinking" in opened, dark)}'
            f'{body}{sources_html(message_id, sources)}{recalled_html(message_id, recalled)}'
            f'{others_html(message_id, agreement, others, "others" in opened, dark)}{footer}'
            f'{actions_html(message_id, actions)}')
