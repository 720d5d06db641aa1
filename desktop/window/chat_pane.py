"""The open conversation: its messages, its documents and the composer, kept in step with what the
chat and document controllers report. It holds which conversation is open; the controllers do the
work off the GUI thread, and what it reads or writes in the database goes through the window's
DatabaseThread, its result drawn when it comes back (if that conversation is still open)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QSplitter, QVBoxLayout, QWidget

from desktop.window import stored_conversations as stored
from desktop.window.composer import Composer
from desktop.window.controllers.chat_controller import ChatController, ContextUse, ReplyDone
from desktop.window.controllers.document_controller import AddedDocuments, DocumentController
from desktop.window.conversation_view import ConversationView, ShownMessage
from desktop.window.database_thread import DatabaseThread
from desktop.window.document_panel import DocumentPanel
from desktop.window.stored_conversations import AttachedDocument, OpenedConversation
from desktop.window.voice_panel import VoicePanel
from engine.deliberation import DEFAULT_SAMPLES, TimeLeft


class ChatPane(QWidget):
    notice = Signal(str, str)  # message, kind ("error", "warning", "info")
    conversations_changed = Signal()
    switched = Signal(object, object)  # the conversation left and the one open now (None: a new one)
    recall_shown = Signal(bool)  # whether recall is on in the open conversation (read, or changed)

    def __init__(self, db_thread: DatabaseThread, chat: ChatController, documents: DocumentController,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db_thread, self.chat, self.documents = db_thread, chat, documents
        self.conversation_id: int | None = None
        self.answering_in: int | None = None  # the conversation whose answer is streaming
        self._creating: list[Callable[[int], None]] | None = None  # waiting for a new one's id
        self.recall = True  # recall into the open conversation (or the new one, once created)
        self._at_message: tuple[int, int] | None = None  # (conversation, message) to scroll to once read
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
        chat.deliberating.connect(self._deliberating)
        chat.reading_again.connect(self._reading_again)
        self._clock = TimeLeft()
        documents.progress.connect(self._reading)
        documents.file_progress.connect(self._reading_file)
        documents.finished.connect(self._documents_added)
        documents.failed.connect(lambda _cid, message: self._reading_failed(message))

    # Deliberate mode -----------------------------------------------------------------------------

    def set_deliberate(self, on: bool) -> None:
        """Answer in deliberate mode from the next question on (or stop), saying what it costs."""
        self.chat.deliberate = DEFAULT_SAMPLES if on else None
        if on:
            self.notice.emit(f"Deliberate answers: each question is answered {DEFAULT_SAMPLES} times and "
                             "the answer most of them agree with is shown, with the others; it takes "
                             f"about {DEFAULT_SAMPLES} times as long to write. Esc stops.", "info")

    def _deliberating(self, conversation_id: int, done: int, total: int) -> None:
        if done == 1:
            self._clock = TimeLeft()
        text = f"Deliberating: {self._clock.describe(done, total)}"
        if conversation_id == self.conversation_id:
            self.view.show_progress(text)

    def _reading_again(self, conversation_id: int, line: str) -> None:
        """A document question is read three ways before its answer shows (engine/rereading)."""
        if conversation_id == self.conversation_id:
            self.view.show_progress(line)

    # Which conversation ------------------------------------------------------------------------

    def open_conversation(self, conversation_id: int | None, at_message: int | None = None) -> None:
        """Show a conversation (None: a new, empty one); its messages are drawn once read, scrolled
        to `at_message` when given (else to the end)."""
        left, self.conversation_id = self.conversation_id, conversation_id
        if left != conversation_id:
            self.switched.emit(left, conversation_id)
        self.composer.editing = False
        self.document_panel.show_context(None)
        self._at_message = None if at_message is None or conversation_id is None else (
            conversation_id, at_message)
        if conversation_id is None:
            self.view.show_messages([], conversation_open=False)
            self.document_panel.show_documents([])
            self._show_recall(True)
            return
        self.db_thread.run(f"reading conversation {conversation_id}",
                           lambda db: stored.read_conversation(db, conversation_id), self._opened)

    def _opened(self, opened: OpenedConversation) -> None:
        if opened.conversation_id != self.conversation_id:
            return  # another one was opened meanwhile
        streaming = self.answering_in == opened.conversation_id
        messages = stored.without_unsaved_answer(opened.messages) if streaming else opened.messages
        self.view.show_messages(messages, keep_streaming=streaming)
        self.document_panel.show_documents(opened.documents)
        self._show_recall(opened.recall)
        target, self._at_message = self._at_message, None
        if target is not None and target[0] == opened.conversation_id:
            self.view.scroll_to_message(target[1])

    # Recall --------------------------------------------------------------------------------------

    def _show_recall(self, on: bool) -> None:
        self.recall = on
        self.recall_shown.emit(on)

    def set_recall(self, on: bool) -> None:
        """Turn recall into the open conversation on or off (kept with it; a new one gets it when it
        is created), saying what that means."""
        conversation_id = self.conversation_id
        said = ("Recall is on here: when a question needs them, earlier conversations and other "
                "documents come into the answer, each listed under it." if on else
                "Recall is off here: nothing from other conversations or documents comes into this "
                "conversation's answers (they may still be recalled elsewhere).")

        def done(_on: bool) -> None:
            if conversation_id == self.conversation_id:
                self._show_recall(on)
            self.notice.emit(said, "info")

        def failed(message: str) -> None:
            self._show_recall(self.recall)  # the toggle goes back to what is stored
            self.notice.emit(f"Recall could not be changed: {message}", "error")

        if conversation_id is None:
            done(on)
            return
        self.db_thread.run("changing recall", lambda db: stored.set_recall(db, conversation_id, on),
                           done, failed)

    def ensure_conversation(self, then: Callable[[int], None]) -> None:
        """Call `then` with the open conversation's id, first creating it when it is a new one (a
        question typed twice meanwhile goes to the same new conversation)."""
        if self.conversation_id is not None:
            then(self.conversation_id)
            return
        if self._creating is not None:
            self._creating.append(then)
            return
        self._creating = [then]
        model = self.chat.card.name if self.chat.card else None

        def created(conversation_id: int) -> None:
            waiting, self._creating = self._creating or [], None
            if self.conversation_id is None:  # still on the new conversation
                self.conversation_id = conversation_id
                self.view.set_conversation_open(True)
                self.switched.emit(None, conversation_id)
            self.conversations_changed.emit()
            for call in waiting:
                call(conversation_id)

        def failed(message: str) -> None:
            self._creating = None
            self.composer.set_answering(self.chat.busy)
            self.notice.emit(f"The conversation could not be saved: {message}", "error")

        recall = self.recall
        self.db_thread.run("creating a conversation", lambda db: stored.create(db, model, recall),
                           created, failed)

    def show_pinned(self, conversation_id: int) -> None:
        """Redraw the documents list of `conversation_id` if it is still open, once read."""
        def show(documents: list[AttachedDocument]) -> None:
            if conversation_id == self.conversation_id:
                self.document_panel.show_documents(documents)

        self.db_thread.run("reading the pinned documents",
                           lambda db: stored.pinned(db, conversation_id), show)

    def prefill_if_pinned(self) -> None:
        """Pre-fill the open conversation's documents, if it has any (a new model was loaded)."""
        conversation_id = self.conversation_id
        if conversation_id is not None:
            self.db_thread.run("reading the pinned documents",
                               lambda db: stored.pinned(db, conversation_id),
                               lambda documents: self.chat.prefill(conversation_id) if documents
                               else None)

    # Asking ------------------------------------------------------------------------------------

    def send(self, text: str) -> None:
        self.view.add_message(ShownMessage("user", text))
        self.composer.set_answering(True)
        self.ensure_conversation(lambda conversation_id: self.chat.ask(conversation_id, text))

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
        conversation_id = self.conversation_id
        if conversation_id is None or self.composer.answering:
            return

        def bring_back(question: str | None) -> None:
            if question is not None and conversation_id == self.conversation_id \
                    and not self.composer.answering:
                self.composer.bring_back(question)

        self.db_thread.run("reading the last question",
                           lambda db: stored.last_question(db, conversation_id), bring_back)

    def stop(self) -> None:
        self.chat.stop()
        self.documents.cancel()

    def _reply_started(self, conversation_id: int) -> None:
        self.answering_in = conversation_id
        if conversation_id == self.conversation_id:
            self.view.begin_answer()
            self.open_conversation(conversation_id)  # shows the saved question (an edit replaced one)

    def _piece(self, conversation_id: int, text: str) -> None:
        if conversation_id == self.conversation_id:
            self.view.add_piece(text)

    def _reply_done(self, done: ReplyDone) -> None:
        self.answering_in = None
        self.composer.set_answering(self.chat.busy)
        self.conversations_changed.emit()
        if done.conversation_id != self.conversation_id:
            return
        meta = " · ".join(p for p in ("stopped" if done.cut else "", done.stats) if p)
        sources = tuple((c.number, c.label) for c in done.citations)
        self.view.end_answer(ShownMessage("assistant", done.text, done.message_id, meta, sources,
                                          done.thinking, done.agreement, done.others,
                                          recalled=done.recalled))
        for notice in done.notices:
            self.notice.emit(notice, "info")
        if done.context is not None and done.context.mode is not None:
            self.document_panel.show_context(done.context)
            self.show_pinned(done.conversation_id)

    def _reply_failed(self, conversation_id: int, message: str) -> None:
        self.answering_in = None
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
        self.ensure_conversation(lambda conversation_id: self.documents.add(conversation_id, paths))
        self.document_panel.show_busy("Reading…", 0.0)

    def attach_document(self, document_id: int, then: Callable[[int], None] | None = None) -> None:
        """Pin a stored document (chosen in the library) to the open conversation, a new one when
        none is open, and have the model read it; `then(conversation_id)` once it is pinned."""
        def pin(conversation_id: int) -> None:
            def pinned(documents: list[AttachedDocument]) -> None:
                if conversation_id == self.conversation_id:
                    self.document_panel.show_documents(documents)
                self.chat.prefill(conversation_id)
                if then is not None:
                    then(conversation_id)

            self.db_thread.run("pinning a document",
                               lambda db: stored.pin(db, conversation_id, document_id), pinned)

        self.ensure_conversation(pin)

    def remove_document(self, document_id: int) -> None:
        conversation_id = self.conversation_id
        if conversation_id is None:
            return

        def unpinned(documents: list[AttachedDocument]) -> None:
            if conversation_id == self.conversation_id:
                self.document_panel.show_documents(documents)
            self.chat.prefill(conversation_id)  # after the unpin, which the pre-fill reads

        self.db_thread.run("unpinning a document",
                           lambda db: stored.unpin(db, conversation_id, document_id), unpinned)

    def _reading(self, conversation_id: int, share: float, message: str) -> None:
        if conversation_id == self.conversation_id:
            self.document_panel.show_busy(message, share)

    def _reading_file(self, conversation_id: int, name: str, share: float) -> None:
        if conversation_id == self.conversation_id:
            self.document_panel.show_file_progress(name, share)

    def _documents_added(self, added: AddedDocuments) -> None:
        self.document_panel.show_busy(None)
        if added.conversation_id == self.conversation_id:
            self.show_pinned(added.conversation_id)
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
            self.show_pinned(conversation_id)

    def _prefill_failed(self, conversation_id: int, message: str) -> None:
        self.document_panel.show_busy(None)
        if message != "Stopped.":
            self.notice.emit(f"The documents could not be pre-filled: {message}", "warning")
