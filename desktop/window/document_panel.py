"""The documents of the open conversation: one row each (title, size in tokens, a remove button, and
the compression meter, from a button or the row's context menu), a progress bar while files are
read or pre-filled (with a cancel button), and a gauge of how much of the model's context window
the conversation uses, with the mode it is in (whole documents or passages)."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop.window.controllers.chat_controller import ContextUse
from storage import Document

FULL_WORDS = "Full context: the model reads every document whole"
TITLE_ROLE = Qt.ItemDataRole.UserRole + 1
MEASURE_WORDS = "How well does the model read this?…"
PASSAGE_WORDS = ("Passage mode: the documents are longer than this model reads reliably; the best passages "
                 "are used")


def mode_text(use: ContextUse | None) -> str:
    if use is None or use.mode is None:
        return ""
    return FULL_WORDS if use.mode == "full" else PASSAGE_WORDS


class DocumentPanel(QWidget):
    remove_requested = Signal(int)  # document id
    measure_requested = Signal()  # the chosen document's compression under the model
    add_requested = Signal()
    cancel_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("documents")
        self.rows = QListWidget(self)
        self.rows.setObjectName("document-rows")
        self.rows.setMaximumHeight(110)
        self.add_button = QPushButton("Add documents…", self)
        self.remove_button = QPushButton("Remove", self)
        self.measure_button = QPushButton("Compression…", self)
        self.measure_button.setAccessibleName("Measure how well the model reads the document")
        self.measure_button.setToolTip("How well the model reads the chosen document: bits per byte "
                                       "against its words shuffled, and where it is most surprised")
        self.row_menu = QMenu(self.rows)
        self.measure_action = self.row_menu.addAction(MEASURE_WORDS)
        self.rows.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.progress = QProgressBar(self)
        self.progress.setObjectName("document-progress")
        self.progress.setRange(0, 1000)
        self.progress_text = QLabel(self)
        self.cancel_button = QPushButton("Cancel", self)
        self.mode = QLabel(self)
        self.mode.setObjectName("context-mode")
        self.gauge = QProgressBar(self)
        self.gauge.setObjectName("context-gauge")
        self.gauge.setFormat("%v of %m tokens of context")
        self.gauge.setTextVisible(True)
        top = QHBoxLayout()
        top.addWidget(QLabel("Documents", self))
        top.addStretch(1)
        top.addWidget(self.add_button)
        top.addWidget(self.measure_button)
        top.addWidget(self.remove_button)
        reading = QHBoxLayout()
        reading.addWidget(self.progress, 1)
        reading.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.rows)
        layout.addLayout(reading)
        layout.addWidget(self.progress_text)
        layout.addWidget(self.mode)
        layout.addWidget(self.gauge)
        self.add_button.clicked.connect(self.add_requested)
        self.cancel_button.clicked.connect(self.cancel_requested)
        self.remove_button.clicked.connect(self._remove_current)
        self.measure_button.clicked.connect(self.measure_requested)
        self.measure_action.triggered.connect(self.measure_requested)
        self.rows.customContextMenuRequested.connect(self._row_menu)
        self.reading: dict[str, QProgressBar] = {}  # files being read, by name: a row each
        self.tokens: dict[int, int] = {}
        self.use: ContextUse | None = None
        self.show_busy(None)
        self.show_documents([])

    def show_file_progress(self, name: str, share: float) -> None:
        """A row for a file being read, with its own progress bar, until the documents are shown."""
        bar = self.reading.get(name)
        if bar is None:
            item = QListWidgetItem(self.rows)
            row = QWidget(self.rows)
            layout = QHBoxLayout(row)
            layout.setContentsMargins(4, 0, 4, 0)
            layout.addWidget(QLabel(name, row), 1)
            bar = QProgressBar(row)
            bar.setRange(0, 1000)
            bar.setMaximumWidth(220)
            layout.addWidget(bar)
            item.setSizeHint(row.sizeHint())
            self.rows.setItemWidget(item, row)
            self.reading[name] = bar
            self.rows.setVisible(True)
        bar.setValue(int(share * 1000))

    def show_documents(self, documents: list[Document]) -> None:
        self.reading.clear()
        self.rows.clear()
        for document in documents:
            tokens = self.tokens.get(document.id)
            size = f"{tokens:,} tokens" if tokens else f"{document.char_count:,} characters"
            item = QListWidgetItem(f"{document.title} — {size}")
            item.setData(Qt.ItemDataRole.UserRole, document.id)
            item.setData(TITLE_ROLE, document.title)
            item.setToolTip(document.path or document.title)
            self.rows.addItem(item)
        self.rows.setVisible(bool(documents))
        self.remove_button.setVisible(bool(documents))
        self.measure_button.setVisible(bool(documents))
        self.mode.setVisible(bool(documents) and bool(mode_text(self.use)))
        self.gauge.setVisible(bool(documents) and self.use is not None and self.use.n_ctx > 0)

    def show_context(self, use: ContextUse | None) -> None:
        """The mode and the share of the window used, after a pre-fill or an answer."""
        self.use = use
        if use is None:
            self.mode.hide()
            self.gauge.hide()
            return
        self.tokens.update(use.document_tokens)
        self.mode.setText(mode_text(use))
        self.mode.setToolTip(use.description)
        self.mode.setVisible(use.mode is not None)
        if use.n_ctx:
            self.gauge.setRange(0, use.n_ctx)
            self.gauge.setValue(min(use.used_tokens, use.n_ctx))
            self.gauge.setVisible(True)

    def show_busy(self, message: str | None, share: float | None = None) -> None:
        """A progress bar with a message while reading or pre-filling; None hides it. A share of
        None shows a busy bar (pre-fill reports no steps)."""
        busy = message is not None
        for widget in (self.progress, self.progress_text, self.cancel_button):
            widget.setVisible(busy)
        if not busy:
            return
        self.progress_text.setText(message or "")
        if share is None:
            self.progress.setRange(0, 0)
        else:
            self.progress.setRange(0, 1000)
            self.progress.setValue(int(share * 1000))

    def _remove_current(self) -> None:
        item = self.rows.currentItem()
        if item is not None:
            self.remove_requested.emit(int(item.data(Qt.ItemDataRole.UserRole)))

    def chosen_document(self, document_id: int | None = None) -> tuple[int, str] | None:
        """(id, title) of document `document_id` if it is listed, else of the row chosen in the
        list, else of the only document; None when there is no single one to take."""
        items = [self.rows.item(i) for i in range(self.rows.count())]
        documents = [(int(i.data(Qt.ItemDataRole.UserRole)), str(i.data(TITLE_ROLE))) for i in items
                     if i.data(Qt.ItemDataRole.UserRole) is not None]
        if document_id is not None:
            return next((d for d in documents if d[0] == document_id), None)
        current = self.rows.currentItem()
        if current is not None and current.data(Qt.ItemDataRole.UserRole) is not None:
            return int(current.data(Qt.ItemDataRole.UserRole)), str(current.data(TITLE_ROLE))
        return documents[0] if len(documents) == 1 else None

    def _row_menu(self, where: QPoint) -> None:
        item = self.rows.itemAt(where)
        if item is not None and item.data(Qt.ItemDataRole.UserRole) is not None:
            self.rows.setCurrentItem(item)
            self.row_menu.popup(self.rows.viewport().mapToGlobal(where))
