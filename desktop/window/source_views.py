"""Where an answer's sources lead, in the window: a citation or a recalled passage opens the document
viewer at that passage, a recalled message opens its conversation at the message, and the
compression meter's window shows how well the model reads a pinned document (its surprising
passages open in the viewer too). Each reads what it needs through the window's DatabaseThread.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject

from desktop.window.controllers.compression_controller import compression_refusal
from desktop.window.dialogs.compression_dialog import CompressionDialog
from desktop.window.document_viewer import CitedPassage, DocumentViewer, find_cited_passage
from desktop.window.recall_links import GONE_MESSAGE, RecalledMessage, find_recalled
from storage import DocumentStore

if TYPE_CHECKING:
    from desktop.window.main_window import MainWindow


class SourceViews(QObject):
    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.viewer: DocumentViewer | None = None
        self.compression_view: CompressionDialog | None = None
        view, composer = window.pane.view, window.pane.composer
        view.citation_clicked.connect(self.open_citation)
        view.recalled_clicked.connect(self.open_recalled)
        window.pane.document_panel.measure_requested.connect(self.measure_compression)
        for asked in (composer.send, composer.edit, composer.regenerate):
            asked.connect(self._question_waits)

    def open_citation(self, message_id: int, number: int) -> None:
        def show(passage: CitedPassage | None) -> None:
            if passage is None:
                self.window.banner.show_message("That passage is no longer stored (its document "
                                                "was removed).", "warning")
            else:
                self.show_passage(passage)

        self.window.db_thread.run("reading a cited passage", lambda db: find_cited_passage(
            DocumentStore(db), message_id, number), show)

    def open_recalled(self, message_id: int, number: int) -> None:
        """Follow a recalled text's link: its conversation opened at the message, or its document
        at the passage, or the words kept with the answer where its source is not stored here."""
        window = self.window

        def follow(found: RecalledMessage | CitedPassage | None) -> None:
            if isinstance(found, CitedPassage):
                self.show_passage(found)
            elif found is None:  # the answer itself was deleted meanwhile
                window.banner.show_message("That answer is no longer stored.", "warning")
            elif found.conversation_id in window.conversations.hidden:
                window.banner.show_message(GONE_MESSAGE, "warning")
            else:
                window.open_conversation(found.conversation_id, found.message_id)
                window.refresh_sidebar()  # the list marks the conversation now open

        window.db_thread.run("reading a recalled text's source",
                             lambda db: find_recalled(db, message_id, number), follow)

    def show_passage(self, passage: CitedPassage) -> None:
        if self.viewer is None:
            self.viewer = DocumentViewer(self.window)
        self.viewer.show_passage(passage)

    def measure_compression(self, document_id: int | None = None) -> None:
        """The compression meter's window for a document pinned to the open conversation: the one
        given, else the one chosen in the documents list, else the only one."""
        window = self.window
        chat, compression = window.chat, window.compression
        chosen = window.pane.document_panel.chosen_document(document_id)
        ready = chat.card is not None and not chat.loading
        problem = compression_refusal(chosen is not None, ready, window.voice.active,
                                      compression.measuring, chat.card.engine if ready else None)
        if problem is not None or chosen is None:
            window.banner.show_message(problem or "", "warning")
            return
        if self.compression_view is None:
            self.compression_view = CompressionDialog(compression, window)
            self.compression_view.passage_chosen.connect(self.show_passage)
        self.compression_view.measure(*chosen)

    def _question_waits(self, *_asked: object) -> None:
        """The model's thread runs one call at a time: a question waits for the meter."""
        measuring = self.window.compression.measuring
        if measuring is not None:
            self.window.banner.show_message(
                f"The model is measuring “{measuring}”; your question is answered when it finishes "
                "(or cancel the measurement).", "info")
