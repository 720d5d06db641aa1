"""`longwit chat` and `longwit ask`: streaming answers on the terminal, Ctrl-C stops an answer and
keeps what was written (saved as cut)."""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path

import click

from desktop.cli.support import (
    EXIT_INTERRUPTED,
    ModelChoice,
    describe,
    engine_options,
    fail,
    model_options,
    open_store,
    reports_errors,
    start_model,
)
from desktop.reply_stats import one_line, speed_parts
from engine.chat_session import DEFAULT_SYSTEM_PROMPT, ChatSession
from engine.deliberation import DEFAULT_SAMPLES, Deliberation, TimeLeft
from engine.document_context import document_context
from engine.generation import GenerationOptions
from engine.model_host import ModelCard, Note
from engine.reply import Reply
from engine.sampling_defaults import generation_options_for
from engine.state_cache import StateCache
from media.ingest import file_sha256, ingest_file
from storage import ConversationStore, DocumentStore, database_path, longwit_home, states_path
from storage.memory_store import PROPOSED, Saved

PREFIX_WORDS = {
    "warm": "already in memory",
    "restored": "restored from the saved state",
    "prefilled": "read and their state saved",
}
UNSAVED_WORDS = "read (their state is larger than the state cache holds, so it was not saved)"
HOW_CITED = {"matched": " (matched by wording; the model cited nothing)", "closest": ""}
CHAT_HELP = (
    "Type a message and press Enter. /new starts a new conversation; /exit or Ctrl-D leaves."
)


def pinned_context(store: ConversationStore, conversation_id: int, docs: tuple[str, ...],
                   card: ModelCard, states: StateCache):
    """Add and pin the --doc documents, then build the context of everything pinned (with the
    command's state cache, whose connection the model's thread closes as the command ends)."""
    documents = pin_documents(store, conversation_id, docs)
    pinned = [d.id for d in documents.pinned(conversation_id)]
    return document_context(documents, pinned, longwit_home(), database_path(), str(card.path),
                            states)


def pin_documents(store: ConversationStore, conversation_id: int, docs: tuple[str, ...]) -> DocumentStore:
    """Add (when new) and pin the --doc documents, given as file paths or stored ids."""
    documents = DocumentStore(store.db)
    for reference in docs:
        documents.pin(conversation_id, stored_document_id(documents, reference))
    return documents


def stored_document_id(documents: DocumentStore, reference: str) -> int:
    path = Path(reference).expanduser()
    if not path.exists() and reference.isdigit():
        return documents.get(int(reference)).id
    if not path.is_file():
        fail(f"No document file at {reference!r}; give a file path or an id from `longwit docs list`.")
    known = documents.find_by_sha256(file_sha256(path)[0]) if path.stat().st_size else None
    if known is not None:
        return known.id
    click.echo(f"Reading {path.name}…", err=True)
    result = ingest_file(path, documents)
    assert result.document is not None
    return result.document.id


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


def print_sources(reply: Reply) -> None:
    """Citations that resolved to a passage, then how much of the documents the model saw."""
    if reply.citations:
        click.echo("Closest passage:" if reply.not_found else "Sources:")
        for citation in reply.citations:
            how = HOW_CITED.get(citation.how, "")
            click.echo(f"  [{citation.number}] {citation.label}{how}: “{citation.quote[:100]}…”")
    laid_out = reply.laid_out
    if laid_out is not None:
        line = laid_out.describe()
        if reply.prefix is not None and reply.prefix.how != "skipped":
            words = PREFIX_WORDS[reply.prefix.how] if reply.prefix.saved else UNSAVED_WORDS
            line += f"; documents {words} in {reply.prefix.seconds:.2f} s"
        if reply.read_again and reply.context is not None:
            count = len(reply.context.sources)
            line += (f"; the answer is from another reading, of the "
                     f"{'best passage' if count == 1 else f'{count} best passages'} alone")
        click.echo(f"[{line}]", err=True)


def print_memory_proposals(reply: Reply) -> None:
    """One line per memory the question asked to keep: proposed (waiting for a yes), or saved at
    once when the person turned auto-save on."""
    print_saved_memories(reply.proposals)


def print_saved_memories(saved_memories: list[Saved]) -> None:
    for saved in saved_memories:
        memory = saved.memory
        if memory.status == PROPOSED:
            click.echo(f"Proposed memory #{memory.id}: {memory.text} "
                       f"(longwit memory accept {memory.id})", err=True)
        elif saved.new:
            replaced = "".join(f"; it replaces #{old.id}" for old in saved.replaced)
            click.echo(f"Remembered #{memory.id}: {memory.text}{replaced} "
                       f"(longwit memory forget {memory.id})", err=True)


def print_recalled(reply: Reply) -> None:
    """One dim line per text recalled into the prompt, saying where it came from."""
    for item in reply.recalled:
        click.secho(f"recalled: {item.label}", err=True, dim=True)


def apply_recall_choice(store: ConversationStore, conversation_id: int, recall: bool | None) -> None:
    """--recall/--no-recall: kept with the conversation, for later turns and later commands."""
    if recall is None:
        return
    store.set_recall(conversation_id, recall)
    if not recall:
        click.echo(f"[recall is off for conversation {conversation_id}; --recall turns it back on]",
                   err=True)


def stats_line(reply: Reply) -> str:
    result = reply.result
    if result is None:
        return ""
    parts = speed_parts(result.completion_tokens, result.ttft_s, result.tokens_per_s)
    parts.append(f"{result.prompt_tokens:,} in context ({result.cached_tokens:,} cached)")
    card = reply.session.host.card
    if card is not None and card.engine is not None:
        parts.append(f"engine {card.engine}")
    return "(" + " · ".join(parts) + ")"


class DeliberationProgress:
    """"answer 2 of 5 written, about 6 s left" on stderr, from the model's thread."""

    def __init__(self, samples: int) -> None:
        self.clock = TimeLeft()
        click.echo(f"[deliberating: {samples} answers, the one most of them agree with is shown; "
                   "each after the first costs about its own writing time; Ctrl-C stops]", err=True)

    def __call__(self, done: int, total: int) -> None:
        click.echo(f"\r[{self.clock.describe(done, total)}]   ", err=True, nl=done == total)


def reading_note(note: Note) -> None:
    """"[Reading the passages again (2 of 3)…]" on a terminal's stderr while a document question
    is read again (nothing of the answer shows until all readings are done); the answer's first
    piece clears it."""
    if sys.stderr.isatty():
        click.echo(f"\r\x1b[K[{note.line}]", err=True, nl=False)


def deliberation_for(samples: int | None) -> Deliberation | None:
    if samples is None:
        return None
    return Deliberation(samples, on_progress=DeliberationProgress(samples))


def print_deliberation(reply: Reply) -> None:
    """The answers that disagreed with the one shown, one per group."""
    deliberation = reply.deliberation
    if deliberation is None:
        return
    for other in deliberation.others():
        click.secho(f"  other answer: {one_line(other)}", err=True, dim=True)



def stream_reply(reply: Reply, show_stats: bool = False) -> bool:
    """Print the answer as it arrives (a reasoning model's thinking dimmed, on stderr); returns
    False if Ctrl-C stopped it (it is saved as cut)."""
    reply.on_thinking = lambda thought: click.secho(thought, err=True, dim=True, nl=False)
    reply.on_note = reading_note
    try:
        for number, piece in enumerate(reply):
            if number == 0 and reply.reading is not None and sys.stderr.isatty():
                click.echo("\r\x1b[K", err=True, nl=False)  # the reading note, done
            click.echo(piece, nl=False)
            sys.stdout.flush()
    except KeyboardInterrupt:
        reply.cancel()
        reply.finish()
        click.echo("")
        click.echo(f"[stopped; the partial answer was saved as message {reply.message_id}]",
                   err=True)
        print_memory_proposals(reply)
        print_recalled(reply)
        return False
    click.echo("")
    print_sources(reply)
    for notice in reply.notices:
        click.echo(f"[{notice}]", err=True)
    print_deliberation(reply)
    print_memory_proposals(reply)
    print_recalled(reply)
    if show_stats:
        click.secho(stats_line(reply), err=True, dim=True)
    return True


doc_option = click.option("--doc", "docs", multiple=True, metavar="PATH|ID",
                          help="A document to ask about (a file, added if new, or a stored id); "
                               "repeat for several. It stays with the conversation.")


recall_option = click.option(
    "--recall/--no-recall", default=None,
    help="Bring in earlier conversations' turns and other documents' passages when a question needs "
         "them (on by default); the choice is kept with the conversation.")


def conversation_options(command):
    command = doc_option(command)
    command = recall_option(command)
    command = click.option("--system", default=DEFAULT_SYSTEM_PROMPT, show_default=False,
                           help="System prompt.")(command)
    command = click.option("--max-tokens", type=click.IntRange(min=1), default=512,
                           show_default=True, help="Longest answer, in tokens.")(command)
    command = click.option("--temperature", type=click.FloatRange(min=0.0, max=2.0),
                           default=None,
                           help="Sampling temperature; 0 always picks the likeliest token "
                                "(default: the model's own; 0 for answers about documents)."
                           )(command)
    command = click.option("--deliberate", "samples", type=click.IntRange(min=2, max=20),
                           is_flag=False, flag_value=DEFAULT_SAMPLES, default=None, metavar="[K]",
                           help=f"Write K answers (default {DEFAULT_SAMPLES}) and show the one most "
                                "of them agree with, with how many agree; K times the writing time."
                           )(command)
    command = click.option("--id", "conversation_id", type=int, default=None,
                           help="Continue the conversation with this id.")(command)
    command = click.option("--continue", "-c", "resume", is_flag=True,
                           help="Continue the most recent conversation.")(command)
    return command


@click.command()
@click.argument("question", nargs=-1, required=True)
@conversation_options
@model_options
@engine_options
@reports_errors
def ask(question, resume, conversation_id, samples, max_tokens, temperature, system, recall, docs,
        **model):
    """Answer one question, streamed to the terminal."""
    text = " ".join(question).strip()
    if not text:
        fail("The question is empty.")
    store = open_store()
    host, card = start_model(ModelChoice.from_options(**model), store)
    states = StateCache(states_path(), database_path())
    try:
        chosen = pick_conversation(store, resume, conversation_id, card.name)
        apply_recall_choice(store, chosen, recall)
        context = pinned_context(store, chosen, docs, card, states)
        options = generation_options_for(host, context is not None, max_tokens, temperature)
        session = ChatSession(host, store, chosen, system, options, documents=context, memory=True,
                              recall=True)
        answered = stream_reply(session.ask(text, deliberation=deliberation_for(samples)))
        print_saved_memories(session.end())
        if not answered:
            sys.exit(EXIT_INTERRUPTED)
    finally:
        host.close(last=states.close)


@click.command()
@conversation_options
@model_options
@engine_options
@reports_errors
def chat(resume, conversation_id, samples, max_tokens, temperature, system, recall, docs, **model):
    """An interactive, streaming chat."""
    with contextlib.suppress(ImportError):
        import readline  # noqa: F401  (line editing and history for input())
    store = open_store()
    host, card = start_model(ModelChoice.from_options(**model), store)
    states = StateCache(states_path(), database_path())
    try:
        chosen = pick_conversation(store, resume, conversation_id, card.name)
        apply_recall_choice(store, chosen, recall)
        context = pinned_context(store, chosen, docs, card, states)
        options = generation_options_for(host, context is not None, max_tokens, temperature)
        session = ChatSession(host, store, chosen, system, options, documents=context, memory=True,
                              recall=True)
        click.echo(describe(card), err=True)
        click.echo(f"Conversation {chosen}. {CHAT_HELP}", err=True)
        for message in store.messages(chosen)[-4:]:
            click.echo(f"{message.role}> {message.content}", err=True)
        session = chat_loop(session, store, card.name, system, options, samples)
        print_saved_memories(session.end())
    finally:
        host.close(last=states.close)


def chat_loop(session: ChatSession, store: ConversationStore, model_name: str, system: str,
              options: GenerationOptions, samples: int | None = None) -> ChatSession:
    """Questions until the person leaves; returns the conversation they were in at the end."""
    while True:
        try:
            line = input("you> ")
        except (EOFError, KeyboardInterrupt):
            click.echo("")
            return session
        text = line.strip()
        if text in ("/exit", "/quit", "exit", "quit"):
            return session
        if text == "/new":
            print_saved_memories(session.end())
            session = ChatSession(session.host, store, store.create(model=model_name), system,
                                  options, memory=True, recall=True)
            click.echo(f"[conversation {session.conversation_id}]", err=True)
            continue
        if text == "/help":
            click.echo(CHAT_HELP, err=True)
            continue
        if not text:
            continue
        stream_reply(session.ask(text, deliberation=deliberation_for(samples)), show_stats=True)
