"""What the window asks of the model, done off the GUI thread: load a model, answer, stop, edit the last
question, regenerate, and pre-fill a conversation's documents.

The model lives on the ModelHost's thread, and loads run there too (no thread waits for them: the
load's future reports back); the conversations are read and written on one more thread of our own
(`longwit-conversations`), which owns its SQLite connection and one ChatSession per conversation
(one connection per thread, DESIGN.md). The GUI thread only posts jobs and receives signals; nothing
here blocks it. `close` ends both threads and closes every connection they opened.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from desktop.diagnostics.error_report import report_error
from desktop.reply_stats import speed_parts
from desktop.window.background import GuiRelay, join_threads
from desktop.window.database_thread import DatabaseThread
from engine.chat_session import DEFAULT_SYSTEM_PROMPT, ChatSession
from engine.citations import Citation
from engine.context_packer import PackedContext
from engine.deliberation import Deliberation
from engine.document_context import document_context
from engine.generation import GenerationOptions
from engine.loader import LoadOptions
from engine.model_host import ModelCard, ModelHost
from engine.recall import kept_sources
from engine.remote.remote_model import RemoteEngine
from engine.reply import Reply
from engine.sampling_defaults import for_documents, generation_options_for
from engine.state_cache import StateCache
from storage import ConversationStore, DocumentStore, ModelUseLog, open_database
from storage.memory_store import PROPOSED, Saved

JOIN_S = 15.0  # closing waits this long for the answer being cancelled


@dataclass(frozen=True)
class ContextUse:
    """How a conversation fills the model's window: shown as the documents' gauge."""

    mode: str | None  # "full" / "passages", None without documents
    document_tokens: dict[int, int]
    used_tokens: int
    n_ctx: int
    description: str = ""
    seen_fraction: dict[int, float] = field(default_factory=dict)  # passage mode: share seen per document

    @classmethod
    def of(cls, context: PackedContext | None, used: int, n_ctx: int) -> ContextUse:
        if context is None:
            return cls(None, {}, used, n_ctx)
        return cls(context.mode, dict(context.document_tokens), used, n_ctx, context.describe(),
                   dict(context.seen_fraction))


@dataclass(frozen=True)
class ReplyDone:
    conversation_id: int
    message_id: int | None
    text: str
    cut: bool
    citations: list[Citation] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    stats: str = ""
    context: ContextUse | None = None
    thinking: str = ""
    agreement: str = ""  # deliberate mode
    others: tuple[str, ...] = ()
    memories: tuple[Saved, ...] = ()  # proposed from the question ("remember that …"), or kept
    recalled: tuple[tuple[int, str], ...] = ()  # (number, label) of each text recall brought in


def stats_line(reply: Reply) -> str:
    result = reply.result
    if result is None:
        return ""
    return " · ".join(speed_parts(result.completion_tokens, result.ttft_s, result.tokens_per_s))


class ChatController(QObject):
    """Signals arrive on the GUI thread. Conversation ids travel with every signal, so a view that
    switched conversations can ignore pieces of another one."""

    model_loading = Signal(str)  # what is being loaded
    model_loaded = Signal(object)  # ModelCard
    model_failed = Signal(str)
    reply_started = Signal(int)
    piece = Signal(int, str)  # conversation id, text
    reply_done = Signal(object)  # ReplyDone
    reply_failed = Signal(int, str)
    prefill_started = Signal(int)
    prefilled = Signal(int, object)  # conversation id, ContextUse
    prefill_failed = Signal(int, str)
    deliberating = Signal(int, int, int)  # conversation id, answers written, answers in all
    reading_again = Signal(int, str)  # conversation id, which reading of a document question

    def __init__(self, database: Path, home: Path, db_thread: DatabaseThread,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.database, self.home, self.db_thread = database, home, db_thread
        self.host = ModelHost(home / "models")
        # One cache for every session's documents: its connection lives on the model's thread.
        self._states = StateCache(home / "states", database)
        self.relay = GuiRelay(self)
        self.system_prompt = DEFAULT_SYSTEM_PROMPT
        self.options = GenerationOptions(max_tokens=1024)
        self.model_sampling = True  # the model's own sampling instead of `options`' numbers
        self.deliberate: int | None = None  # deliberate mode: this many answers, the agreed one shown
        self.card: ModelCard | None = None
        self._loads: list[Future[ModelCard]] = []  # asked for and not yet reported, oldest first
        self._jobs: queue.Queue[Callable[[], None] | None] = queue.Queue()
        self._sessions: dict[int, tuple[tuple, ChatSession]] = {}
        self._store: ConversationStore | None = None
        self._reply: Reply | None = None
        self._prefill_cancel = threading.Event()
        self.busy = False  # a reply or a pre-fill is running or queued
        self._thread = threading.Thread(target=self._serve, name="longwit-conversations", daemon=True)
        self._thread.start()

    # The conversation thread ---------------------------------------------------------------

    def _serve(self) -> None:
        try:
            while (job := self._jobs.get()) is not None:
                try:
                    job()
                except BaseException as error:  # a job reports its own errors; this is a last guard
                    self.relay.post(self.model_failed.emit, report_error(error, "a conversation job"))
        finally:
            if self._store is not None:
                self._store.db.conn.close()

    def _conversations(self) -> ConversationStore:
        if self._store is None:
            self._store = ConversationStore(open_database(self.database))
        return self._store

    def _session(self, conversation_id: int) -> ChatSession:
        """One session per conversation, made again when its documents, prompt or model change."""
        store = self._conversations()
        documents = DocumentStore(store.db)
        pinned = [d.id for d in documents.pinned(conversation_id)]
        card = self.host.card
        key = (tuple(pinned), self.system_prompt, self.options, self.model_sampling,
               str(card.path) if card else None, card.engine if card else None)
        known = self._sessions.get(conversation_id)
        if known is not None and known[0] == key:
            return known[1]
        context = document_context(documents, pinned, self.home, self.database,
                                   str(card.path) if card else None, self._states)
        options = self.options
        if self.model_sampling and card is not None:
            options = generation_options_for(self.host, False, self.options.max_tokens)
        options = for_documents(options) if pinned else options
        session = ChatSession(self.host, store, conversation_id, self.system_prompt, options,
                              documents=context, memory=True, recall=True)
        self._sessions[conversation_id] = (key, session)
        return session

    def _submit(self, job: Callable[[], None]) -> None:
        self.busy = True
        self._jobs.put(job)

    # Model ---------------------------------------------------------------------------------

    @property
    def loading(self) -> bool:
        return bool(self._loads)

    def load_model(self, name_or_path: str | None, options: LoadOptions) -> None:
        """Load in the background; the current model keeps answering until the new one is ready.
        A second load asked for meanwhile runs after the first, and only the last one is announced:
        the window shows the model the person chose last."""
        name = name_or_path or "the default model"
        self.model_loading.emit(name)
        self._follow(self.host.load_later(name_or_path, options), f"loading {name}")

    def connect_engine(self, engine: RemoteEngine) -> None:
        """Answer through a remote engine (engine/remote), connected on the model's thread like a
        load: the current model keeps answering unless the server is reached and its model found."""
        self.model_loading.emit(f"the model at {engine.url}")
        self._follow(self.host.connect_later(engine), f"connecting to the engine at {engine.url}")

    def _follow(self, load: Future[ModelCard], doing: str) -> None:
        """Announce a load or connect when it ends, if it is still the last one asked for; a local
        model's use is recorded (the recent files are files the picker can open again)."""
        self._loads.append(load)

        def finished(future: Future[ModelCard]) -> None:  # on the model's thread
            if future.cancelled():  # the window closed before it began
                return
            try:
                card = future.result()
            except Exception as error:
                self.relay.post(self._load_failed, future, report_error(error, doing))
                return
            if card.engine is None:
                self.db_thread.run(f"recording the use of {card.name}", lambda db: ModelUseLog(
                    db).record(str(card.path), card.name, card.n_ctx))
            self.relay.post(self._loaded, future, card)

        load.add_done_callback(finished)

    def _loaded(self, load: Future[ModelCard], card: ModelCard) -> None:
        self.card = card
        if self._settled(load):
            self.model_loaded.emit(card)

    def _load_failed(self, load: Future[ModelCard], message: str) -> None:
        if self._settled(load):
            self.model_failed.emit(message)

    def _settled(self, load: Future[ModelCard]) -> bool:
        """Forget a finished load; True if it was the last one asked for (the one to announce)."""
        last = self._loads[-1] is load
        self._loads.remove(load)
        return last

    # Answers ---------------------------------------------------------------------------------

    def ask(self, conversation_id: int, text: str) -> None:
        self._submit(lambda: self._answer(conversation_id, text))

    def regenerate(self, conversation_id: int) -> None:
        """Answer the last question again, in place of the last answer."""

        def job() -> None:
            messages = self._conversations().messages(conversation_id)
            last_user = next((m for m in reversed(messages) if m.role == "user"), None)
            if last_user is None:
                self.relay.post(self._failed, conversation_id, "There is no question to answer again.")
                return
            self._conversations().delete_from(last_user.id)
            self._answer(conversation_id, last_user.content)

        self._submit(job)

    def edit_last(self, conversation_id: int, text: str) -> None:
        """Replace the last question (and its answer) with `text`, and answer it."""

        def job() -> None:
            messages = self._conversations().messages(conversation_id)
            last_user = next((m for m in reversed(messages) if m.role == "user"), None)
            if last_user is not None:
                self._conversations().delete_from(last_user.id)
            self._answer(conversation_id, text)

        self._submit(job)

    def stop(self) -> None:
        """Stop the answer being written (it is saved as cut) and any pre-fill."""
        self._prefill_cancel.set()
        reply = self._reply
        if reply is not None:
            reply.cancel()

    def _answer(self, conversation_id: int, text: str) -> None:
        try:
            session = self._session(conversation_id)
            deliberation = None
            if self.deliberate:
                deliberation = Deliberation(self.deliberate, on_progress=lambda done, total: self.relay.post(
                    self.deliberating.emit, conversation_id, done, total))
            reply = self._reply = session.ask(text, deliberation=deliberation)
            reply.on_note = lambda note: self.relay.post(
                self.reading_again.emit, conversation_id, note.line)
            # After ask(): the question is saved, so a view that reloads the conversation shows it.
            self.relay.post(self.reply_started.emit, conversation_id)
            for piece in reply:
                self.relay.post(self.piece.emit, conversation_id, piece)
            result = reply.finish()
        except Exception as error:
            message = report_error(error, f"answering in conversation {conversation_id}")
            self.relay.post(self._failed, conversation_id, message)
            return
        finally:
            self._reply = None
        card = self.host.card
        # The gauge shows the window as the documents were laid out: the first reading's.
        first = reply.first_reading
        held = first.result if first is not None else result
        use = ContextUse.of(reply.laid_out, held.prompt_tokens + held.completion_tokens,
                            card.n_ctx if card else 0)
        stopped = result.finish_reason == "cancelled" and not reply.stopped_unsupported
        recalled = tuple((source.ordinal, source.label) for source in kept_sources(reply.recalled))
        memories = tuple(saved for saved in reply.proposals
                         if saved.new or saved.memory.status == PROPOSED)
        agreement, others = "", ()
        if reply.deliberation is not None and reply.deliberation.groups is not None:
            agreement, others = reply.deliberation.summary(), tuple(reply.deliberation.others())
        done = ReplyDone(conversation_id, reply.message_id, reply.text, stopped, list(reply.citations),
                         list(reply.notices), stats_line(reply), use, reply.thinking, agreement, others,
                         memories, recalled)
        self.relay.post(self._done, done)

    def _done(self, done: ReplyDone) -> None:
        self.busy = not self._jobs.empty()
        self.reply_done.emit(done)

    def _failed(self, conversation_id: int, message: str) -> None:
        self.busy = not self._jobs.empty()
        self.reply_failed.emit(conversation_id, message)

    # Documents -------------------------------------------------------------------------------

    def prefill(self, conversation_id: int) -> None:
        """Read the conversation's documents into the model now, so the first answer is quick."""
        self._prefill_cancel = cancel = threading.Event()

        def job() -> None:
            self.relay.post(self.prefill_started.emit, conversation_id)
            try:
                context = self._session(conversation_id).prefill(cancel)
            except Exception as error:
                message = "Stopped." if cancel.is_set() else report_error(
                    error, f"pre-filling the documents of conversation {conversation_id}")
                self.relay.post(self._prefill_failed, conversation_id, message)
                return
            card = self.host.card
            used = len(context.tokens) if context else 0
            use = ContextUse.of(context, used, card.n_ctx if card else 0)
            self.relay.post(self._prefilled, conversation_id, use)

        self._submit(job)

    def _prefilled(self, conversation_id: int, use: ContextUse) -> None:
        self.busy = not self._jobs.empty()
        self.prefilled.emit(conversation_id, use)

    def _prefill_failed(self, conversation_id: int, message: str) -> None:
        self.busy = not self._jobs.empty()
        self.prefill_failed.emit(conversation_id, message)

    def forget_documents(self) -> None:
        """A document was removed or read again: the sessions, which hold their documents' passages,
        are made again at their next use (after the job under way, on the conversations' thread)."""
        self._jobs.put(self._sessions.clear)

    # Shutting down ----------------------------------------------------------------------------

    def close(self, timeout: float = JOIN_S) -> bool:
        """Stop what is running, finish the queue, close the connections and release the model (a
        load under way ends first, or is left behind after `timeout`); True if all stopped."""
        self.stop()
        self._jobs.put(None)
        stopped = not join_threads([self._thread], timeout, "the conversations")
        # The state cache's connection lives on the model's thread: closed there, last.
        return self.host.close(timeout, last=self._states.close) and stopped
