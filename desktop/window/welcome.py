"""What the conversation view shows when there is nothing to read yet: on first start (or a new
conversation) what Longwit is for and the three ways in, each a link `welcome:<way>`; in an open
conversation with no messages, a hint of what to ask. Both say what the model is doing, because
nothing can be answered until one is loaded.
"""

from __future__ import annotations

import contextlib
import html
from dataclasses import dataclass
from pathlib import Path

from engine.model_host import ModelCard

WELCOME_SCHEME = "welcome"
WAYS = ("documents", "voice", "model")  # add documents, start a voice call, choose a model
TAGLINE = "Think with long documents and your own voice, privately, on this computer."
EMPTY_HINT = ("Ask a question: about the documents added below (answers cite the passages they "
              "used; click a number to read it), or about anything else. Drop more files anywhere "
              "on the window to add them.")


@dataclass(frozen=True)
class ModelState:
    """The model as the welcome describes it: being loaded, loaded, or none."""

    loading: str = ""  # the name or path being loaded
    name: str = ""  # the model answering now
    size_bytes: int | None = None
    n_ctx: int = 0
    engine: str = ""  # the remote engine's address, when the model answers from a server


def loaded_state(card: ModelCard | None) -> ModelState:
    """The state for a loaded model (or none); its size is the file's, read with one stat."""
    if card is None:
        return ModelState()
    if card.engine is not None:  # no file here to measure
        return ModelState(name=card.name, n_ctx=card.n_ctx, engine=card.engine)
    size = None
    with contextlib.suppress(OSError):
        size = Path(card.path).stat().st_size
    return ModelState(name=card.name, size_bytes=size, n_ctx=card.n_ctx)


def loading_state(name: str) -> ModelState:
    """While a model loads, or an engine (a URL) is connected to."""
    return ModelState(loading=name if "://" in name else Path(name).name)


def describe_size(size: int) -> str:
    return f"{size / 1e9:.1f} GB" if size >= 1e9 else f"{size / 1e6:.0f} MB"


def model_line(state: ModelState) -> str:
    """One sentence (HTML) on the model: what to wait for, what answers, or what to do."""
    if state.loading:
        doing = "Connecting to" if "://" in state.loading else "Loading"
        return f"{doing} <b>{html.escape(state.loading)}</b>… You can type meanwhile."
    if state.name:
        parts = [p for p in (describe_size(state.size_bytes) if state.size_bytes else "",
                             f"{state.n_ctx:,}-token context" if state.n_ctx else "") if p]
        details = f" ({', '.join(parts)})" if parts else ""
        if state.engine:
            return (f"<b>{html.escape(state.name)}</b>{details} answers from the engine at "
                    f"{html.escape(state.engine)}.")
        return f"<b>{html.escape(state.name)}</b>{details} is loaded and answers on this computer."
    return ("No model is loaded. Choose one (Ctrl+M), or drop a .gguf file on the window.")


def parse_welcome_link(url: str) -> str | None:
    """The way in ("documents", "voice", "model") of a `welcome:` link, or None for another link."""
    scheme, _, way = url.partition(":")
    return way if scheme == WELCOME_SCHEME and way in WAYS else None


def _way(way: str, title: str, text: str) -> str:
    return (f'<td class="way" width="33%"><p><a class="way" href="{WELCOME_SCHEME}:{way}">{title}</a>'
            f'</p><p class="meta">{text}</p></td>')


def welcome_html(state: ModelState, conversation_open: bool = False) -> str:
    """The welcome: a title and one line (a hint instead, in an empty open conversation), the
    three ways in side by side, and the model's state under them."""
    line = EMPTY_HINT if conversation_open else TAGLINE
    title = "A new conversation" if conversation_open else "Longwit"
    ways = (_way("documents", "Add documents",
                 "PDF, EPUB, Word, text or recordings: drop them on the window, or choose them "
                 "(Ctrl+O). Answers cite their passages.")
            + _way("voice", "Start a voice call",
                   "Talk, and hear the answer; speak over it to interrupt (Ctrl+Shift+V).")
            + _way("model", "Choose a model",
                   "The bundled small model, or your own GGUF file (Ctrl+M)."))
    return (f'<table class="card" width="100%" cellspacing="0" cellpadding="0" '
            f'style="margin-top: 56px;"><tr><td>'
            f'<p class="welcome-title" align="center">{title}</p>'
            f'<p class="welcome-line" align="center">{html.escape(line)}</p>'
            f'<table class="ways" width="100%" cellspacing="12" cellpadding="0"><tr>{ways}</tr></table>'
            f'<p class="meta" align="center">{model_line(state)}</p>'
            f'</td></tr></table>')
