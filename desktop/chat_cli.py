"""`longwit chat` and `longwit ask`: streaming answers on the terminal, Ctrl-C stops an answer and
keeps what was written (saved as cut)."""

from __future__ import annotations

import contextlib
import sys

import click

from desktop.cli_support import (
    EXIT_INTERRUPTED,
    ModelChoice,
    describe,
    fail,
    model_options,
    open_store,
    reports_errors,
    start_model,
)
from engine.chat_session import DEFAULT_SYSTEM_PROMPT, ChatSession, Reply
from engine.generation import GenerationOptions
from storage import ConversationStore

CHAT_HELP = (
    "Type a message and press Enter. /new starts a new conversation; /exit or Ctrl-D leaves."
)


def pick_conversation(store: ConversationStore, resume: bool, conversation_id: int | None,
                      title_model: str) -> int:
    if conversation_id is not None:
        store.get(conversation_id)
        return conversation_id
    if resume:
        latest = store.latest_id()
        if latest is not None:
            return latest
    return store.create(model=title_model)


def stats_line(reply: Reply) -> str:
    result = reply.result
    if result is None:
        return ""
    parts = [f"{result.completion_tokens} tokens"]
    if result.ttft_s is not None:
        parts.append(f"{result.ttft_s:.2f} s to first token")
    if result.tokens_per_s:
        parts.append(f"{result.tokens_per_s:.0f} tok/s")
    parts.append(f"{result.prompt_tokens:,} in context ({result.cached_tokens:,} cached)")
    return "(" + " · ".join(parts) + ")"


def stream_reply(reply: Reply, show_stats: bool = False) -> bool:
    """Print the answer as it arrives; returns False if Ctrl-C stopped it (it is saved as cut)."""
    try:
        for piece in reply:
            click.echo(piece, nl=False)
            sys.stdout.flush()
    except KeyboardInterrupt:
        reply.cancel()
        reply.finish()
        click.echo("")
        click.echo(f"[stopped; the partial answer was saved as message {reply.message_id}]",
                   err=True)
        return False
    click.echo("")
    for notice in reply.notices:
        click.echo(f"[{notice}]", err=True)
    if show_stats:
        click.secho(stats_line(reply), err=True, dim=True)
    return True


def conversation_options(command):
    command = click.option("--system", default=DEFAULT_SYSTEM_PROMPT, show_default=False,
                           help="System prompt.")(command)
    command = click.option("--max-tokens", type=click.IntRange(min=1), default=512,
                           show_default=True, help="Longest answer, in tokens.")(command)
    command = click.option("--id", "conversation_id", type=int, default=None,
                           help="Continue the conversation with this id.")(command)
    command = click.option("--continue", "-c", "resume", is_flag=True,
                           help="Continue the most recent conversation.")(command)
    return command


@click.command()
@click.argument("question", nargs=-1, required=True)
@conversation_options
@model_options
@reports_errors
def ask(question, resume, conversation_id, max_tokens, system, **model):
    """Answer one question, streamed to the terminal."""
    text = " ".join(question).strip()
    if not text:
        fail("The question is empty.")
    store = open_store()
    host, card = start_model(ModelChoice.from_options(**model), store)
    try:
        chosen = pick_conversation(store, resume, conversation_id, card.name)
        session = ChatSession(host, store, chosen, system, GenerationOptions(max_tokens=max_tokens))
        if not stream_reply(session.ask(text)):
            sys.exit(EXIT_INTERRUPTED)
    finally:
        host.close()


@click.command()
@conversation_options
@model_options
@reports_errors
def chat(resume, conversation_id, max_tokens, system, **model):
    """An interactive, streaming chat."""
    with contextlib.suppress(ImportError):
        import readline  # noqa: F401  (line editing and history for input())
    store = open_store()
    host, card = start_model(ModelChoice.from_options(**model), store)
    try:
        chosen = pick_conversation(store, resume, conversation_id, card.name)
        options = GenerationOptions(max_tokens=max_tokens)
        session = ChatSession(host, store, chosen, system, options)
        click.echo(describe(card), err=True)
        click.echo(f"Conversation {chosen}. {CHAT_HELP}", err=True)
        for message in store.messages(chosen)[-4:]:
            click.echo(f"{message.role}> {message.content}", err=True)
        chat_loop(session, store, card.name, system, options)
    finally:
        host.close()


def chat_loop(session: ChatSession, store: ConversationStore, model_name: str, system: str,
              options: GenerationOptions) -> None:
    while True:
        try:
            line = input("you> ")
        except (EOFError, KeyboardInterrupt):
            click.echo("")
            return
        text = line.strip()
        if text in ("/exit", "/quit", "exit", "quit"):
            return
        if text == "/new":
            session = ChatSession(session.host, store, store.create(model=model_name), system,
                                  options)
            click.echo(f"[conversation {session.conversation_id}]", err=True)
            continue
        if text == "/help":
            click.echo(CHAT_HELP, err=True)
            continue
        if not text:
            continue
        stream_reply(session.ask(text), show_stats=True)
