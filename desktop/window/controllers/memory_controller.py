"""The Memory view's work, off the GUI thread: reading and writing the person's memories on the
window's DatabaseThread (every write one transaction, in MemoryStore), measuring them in the loaded
model's tokens on the model's thread (or with the chosen model's tokenizer alone, engine/vocabulary,
while none is loaded), and proposing what the person stated when they leave a conversation.

A listing comes in two steps: the memories as stored (`listed`, drawn at once), then what each
costs and which fit the budget (`measured`), which may wait behind an answer the model is writing.
The measure is the prompt's own: `fit_memories` with `model_counter`, the memories in the order the
prompt takes them, so the view shows what the next answer's prompt will hold.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlite_utils
from PySide6.QtCore import QObject, Signal

from desktop.diagnostics.error_report import error_message
from desktop.window.background import BackgroundTask, Progress, TaskRunner
from desktop.window.database_thread import DatabaseThread
from engine.errors import EngineError
from engine.memory_context import MemoryBlock, fit_memories, memory_line, model_counter
from engine.memory_extraction import propose_from_conversation
from engine.memory_subjects import subject_of
from engine.model_host import ModelHost
from engine.vocabulary import Vocabulary
from storage import ConversationStore
from storage.memory_store import (
    ACCEPTED,
    PROPOSED,
    Memory,
    MemorySettings,
    MemoryStore,
    MemoryVersion,
    Saved,
)

NAMED = 3  # the banner names this many proposals at most


@dataclass(frozen=True)
class MemoryListing:
    """What the view shows of one conversation's memories (None: a new conversation)."""

    conversation_id: int | None
    memories: list[Memory]  # in the prompt: everywhere's and the conversation's, in prompt order
    proposals: list[Memory]  # waiting for a yes or no, oldest first
    settings: MemorySettings


@dataclass(frozen=True)
class MemoryMeasure:
    """The prompt's memory block for a listing, and what each proposal would cost."""

    block: MemoryBlock
    proposal_costs: dict[int, int] = field(default_factory=dict)
    tokenizer: str = ""  # whose tokens: the loaded model's name, or the tokenizer read alone


def read_listing(db: sqlite_utils.Database, conversation_id: int | None) -> MemoryListing:
    memories = MemoryStore(db)
    return MemoryListing(conversation_id, memories.in_effect(conversation_id), memories.proposals(),
                         memories.settings())


def measure_with(count: Callable[[str], int], tokenizer: str, listing: MemoryListing) -> MemoryMeasure:
    block = fit_memories(listing.memories, listing.settings.budget_tokens, count)
    proposals = {m.id: count(memory_line(m)) for m in listing.proposals}
    return MemoryMeasure(block, proposals, tokenizer)


def measure(listing: MemoryListing, host: ModelHost, model: str | None, models_dir: Path) -> MemoryMeasure:
    """In the loaded model's tokens on its thread (waiting for the call under way there), or with
    the chosen model's tokenizer alone while none is loaded. Never on the GUI thread."""
    if host.card is not None:
        try:
            return host.call(lambda loaded: measure_with(model_counter(loaded), loaded.name, listing))
        except EngineError:  # the model was released meanwhile
            pass
    vocabulary = Vocabulary.load(model, models_dir)
    try:
        return measure_with(vocabulary.count_tokens, vocabulary.name, listing)
    finally:
        vocabulary.close()


def history_of(db: sqlite_utils.Database, memory_id: int) -> tuple[Memory, list[MemoryVersion]]:
    store = MemoryStore(db)
    return store.get(memory_id), store.history(memory_id)


def proposed_in_call(db: sqlite_utils.Database, conversation_id: int,
                     questions: tuple[int, ...]) -> list[Saved]:
    """What a voice call that ended proposes: what the person asked aloud to remember (which a typed
    question shows with its answer) and still waits, or was kept with saving without asking on,
    then the facts they stated, as leaving a conversation proposes them."""
    stated = propose_from_conversation(ConversationStore(db), conversation_id)
    memories = MemoryStore(db)
    keep = (PROPOSED, ACCEPTED) if memories.settings().auto_save else (PROPOSED,)
    new = {saved.memory.id for saved in stated}
    asked = [Saved(memory, []) for memory in memories.everything()
             if memory.source_message_id in questions and memory.status in keep
             and memory.id not in new]
    return [*asked, *stated]


def quoted(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return f"“{text if len(text) <= limit else text[: limit - 1] + '…'}”"


def proposals_line(found: list[Saved]) -> str | None:
    """The banner's words for memories Longwit proposed (or, with auto-save, kept)."""
    waiting = [saved.memory for saved in found if saved.memory.status != ACCEPTED]
    kept = [saved.memory for saved in found if saved.memory.status == ACCEPTED]
    parts = []
    if waiting:
        parts.append(f"Longwit proposes to remember {facts(waiting)}.")
    if kept:
        parts.append(f"Longwit remembered {facts(kept)} (saving without asking is on).")
    return " ".join(parts) or None


def facts(memories: list[Memory]) -> str:
    """“A”; 2 things: “A” and “B”; up to three named, more counted."""
    if len(memories) == 1:
        return quoted(memories[0].text)
    if len(memories) > NAMED:
        return f"{len(memories)} things"
    named = [quoted(m.text, 40) for m in memories]
    return f"{len(memories)} things: {', '.join(named[:-1])} and {named[-1]}"


def waiting_line(count: int) -> str:
    return f"Longwit proposes to remember {count} thing{'s' * (count != 1)}."


class MemoryController(QObject):
    listed = Signal(object)  # MemoryListing
    measured = Signal(object)  # MemoryMeasure, for the listing last sent
    measure_failed = Signal(str)
    history_read = Signal(object, object)  # Memory, list[MemoryVersion]
    notice = Signal(str, str)  # message, kind ("info", "warning", "error")
    proposed = Signal(object)  # list[Saved]: new proposals from a conversation the person left

    def __init__(self, db_thread: DatabaseThread, host: ModelHost, runner: TaskRunner,
                 models_dir: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.db_thread, self.host, self.runner, self.models_dir = db_thread, host, runner, models_dir
        self.model: str | None = None  # the chosen model, whose tokenizer counts while none is loaded
        self.conversation_id: int | None = None  # the open conversation: its own memories show too
        self.watching = False  # the Memory view is open: keep its listing current
        self.listing: MemoryListing | None = None
        self._measuring: BackgroundTask | None = None
        self._measure_again = False

    # Reading -----------------------------------------------------------------------------------

    def follow(self, conversation_id: int | None) -> None:
        """The window opened another conversation: its own memories are the ones listed."""
        changed = conversation_id != self.conversation_id
        self.conversation_id = conversation_id
        if changed:
            self.refresh_if_watching()

    def refresh_if_watching(self) -> None:
        """List again if the view is open (memories changed elsewhere, or another model counts)."""
        if self.watching:
            self.refresh()

    def refresh(self) -> None:
        """Read the memories of the open conversation, then measure them."""
        conversation_id = self.conversation_id
        self.db_thread.run("reading the memories", lambda db: read_listing(db, conversation_id),
                           self._listed, lambda message: self.notice.emit(message, "error"))

    def _listed(self, listing: MemoryListing) -> None:
        if listing.conversation_id != self.conversation_id:
            return  # another conversation was opened meanwhile: its own listing follows
        self.listing = listing
        self.listed.emit(listing)
        self._measure()

    def _measure(self) -> None:
        """One measurement at a time; a listing that arrives meanwhile is measured after it."""
        if self._measuring is not None and self._measuring.running:
            self._measure_again = True
            return
        self._measure_again = False
        listing, model = self.listing, self.model
        if listing is None:
            return

        def work(_progress: Progress, _cancel: threading.Event) -> MemoryMeasure:
            return measure(listing, self.host, model, self.models_dir)

        def done(measured: MemoryMeasure) -> None:
            self._measuring = None
            if self._measure_again:
                self._measure()
            elif listing is self.listing:
                self.measured.emit(measured)

        def failed(error: BaseException) -> None:
            self._measuring = None
            self.measure_failed.emit(error_message(error))
            if self._measure_again:
                self._measure()

        self._measuring = self.runner.run("memory-tokens", work, on_done=done, on_failed=failed)

    def history(self, memory_id: int) -> None:
        self.db_thread.run("reading a memory's history", lambda db: history_of(db, memory_id),
                           lambda read: self.history_read.emit(*read),
                           lambda message: self.notice.emit(message, "error"))

    def count_waiting(self, then: Callable[[int], None]) -> None:
        """How many proposals wait for an answer (the window says so when it starts)."""
        self.db_thread.run("counting the memory proposals",
                           lambda db: len(MemoryStore(db).proposals()), then)

    # Writing -----------------------------------------------------------------------------------

    def _write(self, what: str, work: Callable[[MemoryStore], Any],
               said: Callable[[Any], str | None]) -> None:
        """One write on the database thread; then say what happened and list again."""
        def done(result: Any) -> None:
            line = said(result)
            if line:
                self.notice.emit(line, "info")
            self.refresh()

        self.db_thread.run(what, lambda db: work(MemoryStore(db)), done,
                           lambda message: self.notice.emit(message, "error"))

    def add(self, text: str, this_conversation: bool = False, pinned: bool = False) -> None:
        """Remember `text` everywhere or in the open conversation; a newer fact about the same
        subject replaces the older one, whose text goes into its history."""
        conversation_id = self.conversation_id if this_conversation else None
        self._write("adding a memory", lambda store: store.add(
            text, conversation_id=conversation_id, pinned=pinned, subject=subject_of(text)),
            saved_line)

    def edit(self, memory_id: int, text: str) -> None:
        self._write("editing a memory", lambda store: store.edit(memory_id, text, subject_of(text)),
                    lambda memory: f"Memory now reads {quoted(memory.text)}; the earlier text is "
                                   "in its history.")

    def pin(self, memory_id: int, pinned: bool) -> None:
        self._write("pinning a memory", lambda store: store.pin(memory_id, pinned),
                    lambda memory: f"{'Pinned' if pinned else 'Unpinned'} {quoted(memory.text)}.")

    def forget(self, memory_id: int) -> None:
        self._write("forgetting a memory", lambda store: store.forget(memory_id),
                    lambda memory: f"Forgot {quoted(memory.text)}.")

    def accept(self, memory_id: int) -> None:
        self._write("accepting a proposed memory", lambda store: store.accept(memory_id), saved_line)

    def reject(self, memory_id: int) -> None:
        self._write("rejecting a proposed memory", lambda store: store.reject(memory_id),
                    lambda memory: f"Rejected {quoted(memory.text)}: it stays out of the prompt "
                                   "and is not proposed again.")

    def change_settings(self, auto_save: bool | None = None, budget_tokens: int | None = None) -> None:
        self._write("changing the memory settings", lambda store: store.change_settings(
            auto_save=auto_save, budget_tokens=budget_tokens), lambda _chosen: None)

    # Leaving a conversation ----------------------------------------------------------------------

    def conversation_ended(self, conversation_id: int) -> None:
        """The person left a conversation: propose what they stated about themselves in it (the
        same as ChatSession.end, on the database thread); `proposed` says what is new."""
        self._propose(f"proposing memories from conversation {conversation_id}",
                      lambda db: propose_from_conversation(ConversationStore(db), conversation_id))

    def call_ended(self, conversation_id: int, questions: tuple[int, ...]) -> None:
        """A voice call ended: propose what the person said in it (`proposed_in_call`)."""
        self._propose(f"proposing memories from the call in conversation {conversation_id}",
                      lambda db: proposed_in_call(db, conversation_id, questions))

    def _propose(self, what: str, work: Callable[[sqlite_utils.Database], list[Saved]]) -> None:
        def found(saved: list[Saved]) -> None:
            if saved:
                self.proposed.emit(saved)
                self.refresh_if_watching()

        self.db_thread.run(what, work, found)


def saved_line(saved: Saved) -> str:
    """What an add or an accept did, with the older facts it replaced."""
    if not saved.new:
        return f"Already remembered: {quoted(saved.memory.text)}."
    line = f"Remembered {quoted(saved.memory.text)}."
    if saved.replaced:
        olds = ", ".join(quoted(old.text) for old in saved.replaced)
        line += f" It replaces {olds}, kept in its history."
    return line
