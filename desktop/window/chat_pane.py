"""The open conversation: its messages, its documents and the composer, kept in step with what the
chat and document controllers report. It holds which conversation is open; the controllers do the
work off the GUI thread."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QSplitter, QVBoxLayout, QWidget

from desktop.reply_stats import speed_parts
from desktop.window.composer import Composer
from desktop.window.controllers.chat_controller import ChatController, ContextUse, ReplyDone
from desktop.window.controllers.document_controller import AddedDocuments, DocumentController
from desktop.window.conversation_view import ConversationView, ShownMessage
from desktop.window.document_panel import DocumentPanel
from desktop.window.document_viewer import citation_sources
from desktop.window.voice_panel import VoicePanel
from storage import ConversationStore, DocumentStore, Message


def meta_line(message: Message) -> str:
    parts = ["stopped before the end"] if message.cut else []
    stats = message.stats
    parts += speed_parts(stats.completion_tokens, stats.ttft_s, stats.tokens_per_s)
    if message.model:
        parts.append(message.model)
    return " · ".join(parts)


class ChatPane(QWidget):
    notice = Signal(str, str)  # message, kind ("error", "warning", "info")
    conversations_changed = Signal()

    def __init__(self, store: ConversationStore, chat: ChatController, documents: DocumentController,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store, self.chat, self.documents = store, chat, documents
        self.document_store = DocumentStore(store.db)
        self.conversation_id: int | None = None
        self.view = ConversationView(self)
        self.document_panel = DocumentPanel(self)
        self.voice_panel = VoicePanel(self)  # shown while a voice call runs
        self.composer = Composer(self)
        splitter = QSplitter(Qt.Orientation.Vertical, self)
        splitter.addWidget(self.view)
        splitter.addWidget(self.document_panel)
        splitter.setStretchFactor(0, 1)
        self.splitter = splitter
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.voice_panel)
        layout.addWidget(self.composer)
        self.composer.send.connect(self.send)
        self.composer.edit.connect(self.edit_last)
        self.composer.stop.connect(self.stop)
        self.composer.regenerate.connect(self.regenerate)
        self.composer.edit_last_requested.connect(self.bring_back_last)
        self.document_panel.cancel_requested.connect(self.stop)
        self.document_panel.remove_requested.connect(self.remove_document)
        chat.reply_started.connect(self._reply_started)
        chat.piece.connect(self._piece)
        chat.reply_done.connect(self._reply_done)
        chat.reply_failed.connect(self._reply_failed)
        chat.prefill_started.connect(self._prefill_started)
        chat.prefilled.connect(self._prefilled)
        chat.prefill_failed.connect(self._prefill_failed)
        documents.progress.connect(self._reading)
        documents.file_progress.connect(self._reading_file)
        documents.finished.connect(self._documents_added)
        documents.failed.connect(lambda _cid, message: self._reading_failed(message))

    # Which conversation ------------------------------------------------------------------------

    def open_conversation(self, conversation_id: int | None) -> None:
        self.conversation_id = conversation_id
        self.composer.editing = False
        self.document_panel.show_context(None)
        if conversation_id is None:
            self.view.show_messages([])
            self.document_panel.show_documents([])
            return
        messages = [m for m in self.store.messages(conversation_id) if m.role in ("user", "assistant")]
        sources = citation_sources(self.document_store,
                                   [m.id for m in messages if m.role == "assistant"])
        self.view.show_messages([
            ShownMessage(m.role, m.content, m.id, meta_line(m), tuple(sources.get(m.id, ())))
            for m in messages
        ])
        self.document_panel.show_documents(self.document_store.pinned(conversation_id))

    def ensure_conversation(self) -> int:
        if self.conversation_id is None:
            model = self.chat.card.name if self.chat.card else None
            self.conversation_id = self.store.create(model=model)
            self.conversations_changed.emit()
        return self.conversation_id

    # Asking ------------------------------------------------------------------------------------

    def send(self, text: str) -> None:
        conversation_id = self.ensure_conversation()
        self.view.add_message(ShownMessage("user", text))
        self.composer.set_answering(True)
        self.chat.ask(conversation_id, text)

    def edit_last(self, text: str) -> None:
        if self.conversation_id is None:
            self.send(text)
            return
        self.composer.set_answering(True)
        self.chat.edit_last(self.conversation_id, text)

    def regenerate(self) -> None:
        if self.conversation_id is None or self.composer.answering:
            return
        self.composer.set_answering(True)
        self.chat.regenerate(self.conversation_id)

    def bring_back_last(self) -> None:
        if self.conversation_id is None or self.composer.answering:
            return
        last = next((m for m in reversed(self.store.messages(self.conversation_id))
                     if m.role == "user"), None)
        if last is not None:
            self.composer.bring_back(last.content)

    def stop(self) -> None:
        self.chat.stop()
        self.documents.cancel()

    def _reply_started(self, conversation_id: int) -> None:
        if conversation_id == self.conversation_id:
            self.open_conversation(conversation_id)  # shows the saved question (an edit replaced one)
            self.view.begin_answer()

    def _piece(self, conversation_id: int, text: str) -> None:
        if conversation_id == self.conversation_id:
            self.view.add_piece(text)

    def _reply_done(self, done: ReplyDone) -> None:
        self.composer.set_answering(self.chat.busy)
        self.conversations_changed.emit()
        if done.conversation_id != self.conversation_id:
            return
        meta = " · ".join(p for p in ("stopped" if done.cut else "", done.stats) if p)
        sources = tuple((c.number, c.label) for c in done.citations)
        self.view.end_answer(ShownMessage("assistant", done.text, done.message_id, meta, sources))
        for notice in done.notices:
            self.notice.emit(notice, "info")
        if done.context is not None and done.context.mode is not None:
            self.document_panel.show_context(done.context)
            self.document_panel.show_documents(self.document_store.pinned(done.conversation_id))

    def _reply_failed(self, conversation_id: int, message: str) -> None:
        self.composer.set_answering(self.chat.busy)
        self.notice.emit(f"The answer failed: {message}", "error")
        if conversation_id == self.conversation_id:
            self.open_conversation(conversation_id)

    # Documents ---------------------------------------------------------------------------------

    def add_documents(self, paths: list[Path]) -> None:
        if self.documents.busy:
            self.notice.emit("Documents are still being read; drop more when they are done, or "
                             "cancel the reading.", "warning")
            return
        self.documents.add(self.ensure_conversation(), paths)
        self.document_panel.show_busy("Reading…", 0.0)

    def remove_document(self, document_id: int) -> None:
        if self.conversation_id is not None:
            self.document_store.unpin(self.conversation_id, document_id)
            self.document_panel.show_documents(self.document_store.pinned(self.conversation_id))
            self.chat.prefill(self.conversation_id)

    def _reading(self, conversation_id: int, share: float, message: str) -> None:
        if conversation_id == self.conversation_id:
            self.document_panel.show_busy(message, share)

    def _reading_file(self, conversation_id: int, name: str, share: float) -> None:
        if conversation_id == self.conversation_id:
            self.document_panel.show_file_progress(name, share)

    def _documents_added(self, added: AddedDocuments) -> None:
        self.document_panel.show_busy(None)
        if added.conversation_id == self.conversation_id:
            self.document_panel.show_documents(self.document_store.pinned(added.conversation_id))
        problems = list(added.failed)
        if added.left_out:
            problems.append(f"{added.left_out:,} more files were left out: at most "
                            f"{len(added.added) + len(added.failed)} are read per drop; drop the "
                            "rest in smaller folders.")
        if added.cancelled:
            problems.append("Reading was cancelled; the files read before it are kept.")
        if problems:
            self.notice.emit(" ".join(problems), "warning" if added.added else "error")
        if added.added:
            self.chat.prefill(added.conversation_id)

    def _reading_failed(self, message: str) -> None:
        self.document_panel.show_busy(None)
        self.notice.emit(f"The documents could not be read: {message}", "error")

    def _prefill_started(self, conversation_id: int) -> None:
        if conversation_id == self.conversation_id:
            self.document_panel.show_busy("The model is reading the documents…")

    def _prefilled(self, conversation_id: int, use: ContextUse) -> None:
        self.document_panel.show_busy(None)
        if conversation_id == self.conversation_id:
            self.document_panel.show_context(use)
            self.document_panel.show_documents(self.document_store.pinned(conversation_id))

    def _prefill_failed(self, conversation_id: int, message: str) -> None:
        self.document_panel.show_busy(None)
        if message != "Stopped.":
            self.notice.emit(f"The documents could not be pre-filled: {message}", "warning")
