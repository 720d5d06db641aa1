"""`longwit memory`: see, add, edit, pin and forget the facts Longwit keeps in every prompt, answer
its proposals, read a memory's history, and choose whether proposals are saved without asking.

Commands that change what the prompt holds end with its budget line ("21 of 256 tokens"), measured
with the chosen model's tokenizer alone (a vocab-only load, engine/vocabulary), and name any memory
left out for want of room, so the person chooses what to drop.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import click

from desktop.cli.support import open_store, reports_errors
from engine.memory_context import MemoryBlock, fit_memories, memory_line
from engine.memory_extraction import propose_from_conversation
from engine.memory_subjects import subject_of
from engine.vocabulary import Vocabulary
from storage import ConversationStore, longwit_home
from storage.memory_store import ACCEPTED, Memory, MemoryStore, Saved

ROOM_HINT = ("forget or shorten some (`longwit memory forget ID`, `longwit memory edit ID TEXT`), "
             "pin the ones that matter (`longwit memory pin ID`), or raise the budget "
             "(`longwit memory settings --budget N`).")
EMPTY = ('No memories yet; add one with `longwit memory add TEXT`, or say "remember that …" in a '
         "chat.")


def memory_store() -> MemoryStore:
    return MemoryStore(open_store().db)


def tokenizer_option(command: Callable) -> Callable:
    return click.option("--model", "-m", "model", default=None, metavar="NAME|PATH",
                        help="Count tokens with this model's tokenizer (default: the chat "
                             "model).")(command)


def conversation_option(command: Callable) -> Callable:
    return click.option("--conversation", "conversation_id", type=int, default=None,
                        help="A conversation's own memories (default: everywhere).")(command)


def measure(store: MemoryStore, conversation_id: int | None, model: str | None,
            extra: Sequence[Memory] = ()) -> tuple[MemoryBlock, dict[int, int], str]:
    """The prompt's memory block for a scope, each listed memory's tokens, and whose tokens."""
    vocabulary = Vocabulary.load(model, longwit_home() / "models")
    try:
        block = fit_memories(store.in_effect(conversation_id), store.settings().budget_tokens,
                             vocabulary.count_tokens)
        costs = {**{m.id: vocabulary.count_tokens(memory_line(m)) for m in extra}, **block.costs}
    finally:
        vocabulary.close()
    return block, costs, vocabulary.name


def budget_lines(block: MemoryBlock, tokenizer: str) -> None:
    click.echo(f"Memories in the prompt: {block.used} of {block.budget} tokens ({tokenizer} tokens).")
    if block.left_out:
        ids = ", ".join(f"#{m.id}" for m in block.left_out)
        click.echo(f"Left out, over the budget: {ids}; {ROOM_HINT}", err=True)


def show_budget(store: MemoryStore, memory: Memory, model: str | None) -> None:
    """The budget line of the scope a memory belongs to."""
    block, _, tokenizer = measure(store, memory.conversation_id, model)
    budget_lines(block, tokenizer)


def describe_saved(saved: Saved, verb: str = "Remembered") -> None:
    memory = saved.memory
    click.echo(f"{verb} #{memory.id} ({memory.scope}): {memory.text}")
    for old in saved.replaced:
        click.echo(f"It replaces #{old.id} (“{old.text}”), kept in its history "
                   f"(`longwit memory history {memory.id}`).")


def row(memory: Memory, cost: int | None, left_out: bool, status: bool) -> str:
    pinned = "pinned" if memory.pinned else ""
    tokens = "" if cost is None else f"{cost}" + (" left out" if left_out else "")
    state = f"{memory.status:<9} " if status else ""
    return f"{memory.id:>4}  {state}{memory.scope:<16} {pinned:<6} {tokens:>13}  {memory.text}"


@click.group()
def memory() -> None:
    """Facts about you that Longwit keeps in every prompt: list, add, edit, pin, forget."""


@memory.command("list")
@click.option("--all", "everything", is_flag=True,
              help="Every memory: proposed and rejected ones too, and every conversation's.")
@conversation_option
@tokenizer_option
@reports_errors
def list_memories(everything: bool, conversation_id: int | None, model: str | None) -> None:
    """The memories in the prompt: everywhere, or in one conversation (its own and everywhere's)."""
    store = memory_store()
    if conversation_id is not None:
        ConversationStore(store.db).get(conversation_id)
    shown = store.everything() if everything else store.in_effect(conversation_id)
    if not shown:
        click.echo(EMPTY)
        return
    block, costs, tokenizer = measure(store, conversation_id, model, shown)
    left_out = {m.id for m in block.left_out}
    click.echo(f"{'id':>4}  {'status    ' if everything else ''}{'scope':<16} {'':<6} "
               f"{'tokens':>13}  memory")
    for item in shown:
        click.echo(row(item, costs.get(item.id), item.id in left_out, everything))
    budget_lines(block, tokenizer)


@memory.command()
@click.argument("text", nargs=-1, required=True)
@conversation_option
@click.option("--pin", is_flag=True, help="Put it in the prompt before any other.")
@click.option("--replaces", "replaces", type=int, multiple=True, metavar="ID",
              help="A memory this one replaces (its text is kept in the new one's history).")
@tokenizer_option
@reports_errors
def add(text: tuple[str, ...], conversation_id: int | None, pin: bool, replaces: tuple[int, ...],
        model: str | None) -> None:
    """Remember TEXT, everywhere or in one conversation. A newer fact about the same subject
    ("My name is …") replaces the older one and keeps it in its history."""
    store = memory_store()
    fact = " ".join(text)
    saved = store.add(fact, conversation_id=conversation_id, pinned=pin, subject=subject_of(fact),
                      replaces=replaces)
    describe_saved(saved)
    show_budget(store, saved.memory, model)


@memory.command()
@click.argument("memory_id", type=int)
@click.argument("text", nargs=-1, required=True)
@tokenizer_option
@reports_errors
def edit(memory_id: int, text: tuple[str, ...], model: str | None) -> None:
    """Give memory ID new TEXT; the earlier text is kept in its history."""
    store = memory_store()
    fact = " ".join(text)
    edited = store.edit(memory_id, fact, subject_of(fact))
    click.echo(f"Memory #{edited.id} now reads: {edited.text}")
    show_budget(store, edited, model)


@memory.command()
@click.argument("memory_id", type=int)
@reports_errors
def forget(memory_id: int) -> None:
    """Delete memory ID and its history."""
    forgotten = memory_store().forget(memory_id)
    click.echo(f"Forgot #{forgotten.id}: {forgotten.text}")


@memory.command()
@click.argument("memory_id", type=int)
@tokenizer_option
@reports_errors
def pin(memory_id: int, model: str | None) -> None:
    """Put memory ID in the prompt before any other."""
    store = memory_store()
    pinned = store.pin(memory_id, True)
    click.echo(f"Pinned #{pinned.id}: {pinned.text}")
    show_budget(store, pinned, model)


@memory.command()
@click.argument("memory_id", type=int)
@tokenizer_option
@reports_errors
def unpin(memory_id: int, model: str | None) -> None:
    """Let memory ID take its place by age again."""
    store = memory_store()
    unpinned = store.pin(memory_id, False)
    click.echo(f"Unpinned #{unpinned.id}: {unpinned.text}")
    show_budget(store, unpinned, model)


@memory.command()
@reports_errors
def proposals() -> None:
    """What Longwit proposed to remember, waiting for your yes or no."""
    waiting = memory_store().proposals()
    if not waiting:
        click.echo("No proposals waiting.")
        return
    for item in waiting:
        click.echo(f"{item.id:>4}  {item.created[:16].replace('T', ' ')}  {item.text}")
    click.echo("Accept with `longwit memory accept ID`, reject with `longwit memory reject ID`.")


@memory.command()
@click.argument("conversation_id", type=int, required=False, metavar="[CONVERSATION]")
@reports_errors
def extract(conversation_id: int | None) -> None:
    """Propose what you said about yourself in a conversation (the latest by default), as is done
    when a conversation ends."""
    store = open_store()
    chosen = conversation_id if conversation_id is not None else store.latest_id()
    if chosen is None:
        click.echo("No conversations yet.")
        return
    store.get(chosen)  # a missing conversation is a clear error, not an empty result
    found = propose_from_conversation(store, chosen)
    if not found:
        click.echo(f"Nothing new to remember in conversation {chosen}.")
    for saved in found:
        describe_saved(saved, "Remembered" if saved.memory.status == ACCEPTED else "Proposed")
    if any(saved.memory.status != ACCEPTED for saved in found):
        click.echo("Accept with `longwit memory accept ID`, reject with `longwit memory reject ID`.")


@memory.command()
@click.argument("memory_id", type=int)
@tokenizer_option
@reports_errors
def accept(memory_id: int, model: str | None) -> None:
    """Keep proposal ID in every prompt from now on."""
    store = memory_store()
    saved = store.accept(memory_id)
    describe_saved(saved, "Remembered" if saved.new else "Already remembered")
    show_budget(store, saved.memory, model)


@memory.command()
@click.argument("memory_id", type=int)
@reports_errors
def reject(memory_id: int) -> None:
    """Say no to proposal ID: it stays out of the prompt (`forget` deletes it)."""
    rejected = memory_store().reject(memory_id)
    click.echo(f"Rejected #{rejected.id}: {rejected.text}")


@memory.command()
@click.argument("memory_id", type=int)
@reports_errors
def history(memory_id: int) -> None:
    """Memory ID's text now and its earlier texts, oldest first."""
    store = memory_store()
    current = store.get(memory_id)
    for version in store.history(memory_id):
        how = "edited" if version.how == "edited" else "replaced by a newer fact"
        click.echo(f"{version.written[:16].replace('T', ' ')} to "
                   f"{version.replaced[:16].replace('T', ' ')} ({how}): {version.text}")
    click.echo(f"{current.updated[:16].replace('T', ' ')} to now: {current.text}")


@memory.command()
@click.option("--auto-save/--ask", "auto_save", default=None,
              help="Save what Longwit proposes without asking, or ask first (the default).")
@click.option("--budget", "budget_tokens", type=click.IntRange(min=0), default=None, metavar="N",
              help="Tokens of the prompt the memories may take.")
@reports_errors
def settings(auto_save: bool | None, budget_tokens: int | None) -> None:
    """Show or change whether proposals are saved without asking, and the token budget."""
    chosen = memory_store().change_settings(auto_save=auto_save, budget_tokens=budget_tokens)
    click.echo(f"Save memories without asking: {'on' if chosen.auto_save else 'off'}")
    click.echo(f"Memory budget: {chosen.budget_tokens} tokens")
