"""The documents of the open conversation: a chip each (type, title, size, an × to remove it; its menu
also offers the compression meter) in a row that scrolls sideways when it is full (a Qt layout: a
layout written in Python is asked for sizes on every relayout, and each ask takes the GIL that the
model's thread holds), a chip with a progress bar for each file being read, a progress
bar while files are read or pre-filled (with a cancel button), and beside the buttons a pill for the
mode the model reads them in (whole, or passages with the share seen) and a gauge of how much of the
model's context window the conversation uses."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QMenu,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from desktop.window.controllers.chat_controller import ContextUse
from desktop.window.document_chip import DocumentChip, size_text
from desktop.window.icons import themed
from desktop.window.stored_conversations import AttachedDocument

MEASURE_WORDS = "How well does the model read this?…"
REMOVE_WORDS = "Remove from this conversation"


def share_text(share: float) -> str:
    return f"{share:.1%}" if 0 < share < 0.1 else f"{share:.0%}"


def seen_share(use: ContextUse) -> float | None:
    """The share of the documents' text the model saw in passage mode, weighted by their tokens."""
    seen = use.seen_fraction
    if not seen:
        return None
    weights = {d: use.document_tokens.get(d, 0) for d in seen}
    total = sum(weights.values())
    if total <= 0:
        return sum(seen.values()) / len(seen)
    return sum(seen[d] * weights[d] for d in seen) / total


def mode_text(use: ContextUse | None) -> str:
    """The pill: 'Whole document in context', or 'Passages: 12% seen'."""
    if use is None or use.mode is None:
        return ""
    if use.mode == "full":
        return "Whole documents in context" if len(use.document_tokens) > 1 else "Whole document in context"
    share = seen_share(use)
    return "Passages" if share is None else f"Passages: {share_text(share)} seen"


class DocumentPanel(QWidget):
    remove_requested = Signal(int)  # document id
    measure_requested = Signal()  # the chosen document's compression under the model
    add_requested = Signal()
    cancel_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("documents")
        self.add_button = themed(QPushButton("Add documents…", self), "add-documents")
        self.add_button.setToolTip("Attach documents to this conversation (Ctrl+O), or drop them here")
        self.measure_button = themed(QPushButton("Compression…", self), "compression")
        self.measure_button.setAccessibleName("Measure how well the model reads the document")
        self.measure_button.setToolTip("How well the model reads the chosen document: bits per byte "
                                       "against its words shuffled, and where it is most surprised")
        self.chip_menu = QMenu(self)
        self.measure_action = themed(self.chip_menu.addAction(MEASURE_WORDS), "compression")
        self.remove_action = themed(self.chip_menu.addAction(REMOVE_WORDS), "remove")
        self.chips_scroll = QScrollArea(self)
        self.chips_scroll.setObjectName("chip-row")
        self.chips_scroll.setWidgetResizable(True)
        self.chips_scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.chips_scroll.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.chips_area = QWidget(self.chips_scroll)
        self.chips_area.setObjectName("document-chips")
        self.chips_area.setAccessibleName("Attached documents")
        self.flow = QHBoxLayout(self.chips_area)
        self.flow.setContentsMargins(0, 0, 0, 0)
        self.flow.setSpacing(6)
        self.flow.addStretch(1)
        self.chips_scroll.setWidget(self.chips_area)
        self.chips: list[DocumentChip] = []
        self.chosen_id: int | None = None  # the chip last focused, clicked or opened a menu on
        self.progress = QProgressBar(self)
        self.progress.setObjectName("document-progress")
        self.progress.setRange(0, 1000)
        self.progress.setAccessibleName("Reading documents")
        self.progress_text = QLabel(self)
        self.cancel_button = themed(QPushButton("Cancel", self), "cancel")
        self.cancel_button.setToolTip("Stop reading (Esc)")
        self.mode = QLabel(self)
        self.mode.setObjectName("mode-pill")
        self.gauge = QProgressBar(self)
        self.gauge.setObjectName("context-gauge")
        self.gauge.setFormat("%v of %m tokens of context")
        self.gauge.setTextVisible(False)  # said beside it: text over the bar's fill is hard to read
        self.gauge.setAccessibleName("Context window used")
        self.gauge.setMaximumWidth(self.fontMetrics().horizontalAdvance("x") * 24)
        self.gauge.setMaximumHeight(max(6, self.fontMetrics().height() // 2))
        self.gauge_text = QLabel(self)
        self.gauge_text.setObjectName("gauge-text")
        self._lay_out()
        self.add_button.clicked.connect(self.add_requested)
        self.cancel_button.clicked.connect(self.cancel_requested)
        self.measure_button.clicked.connect(self.measure_requested)
        self.measure_action.triggered.connect(self.measure_requested)
        self.remove_action.triggered.connect(self._remove_chosen)
        self.reading: dict[str, QProgressBar] = {}  # files being read, by name: a chip each
        self.tokens: dict[int, int] = {}
        self._shown: list[tuple[int, str, str]] | None = None  # what the chips say now
        self.use: ContextUse | None = None
        self.show_busy(None)
        self.show_documents([])

    def _lay_out(self) -> None:
        top = QHBoxLayout()
        top.addWidget(self.add_button)
        top.addWidget(self.measure_button)
        top.addStretch(1)
        top.addWidget(self.mode)
        top.addWidget(self.gauge, 1)
        top.addWidget(self.gauge_text)
        reading = QHBoxLayout()
        reading.addWidget(self.progress, 1)
        reading.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 4)
        layout.setSpacing(6)
        layout.addLayout(top)
        layout.addWidget(self.chips_scroll)
        layout.addLayout(reading)
        layout.addWidget(self.progress_text)
        layout.addStretch(1)

    def _clear_chips(self) -> None:
        while self.flow.count() > 1:  # the last item is the stretch
            item = self.flow.takeAt(0)
            if item is not None and item.widget() is not None:
                item.widget().hide()
                item.widget().deleteLater()
        self.chips = []
        self.reading = {}

    def show_file_progress(self, name: str, share: float) -> None:
        """A chip for a file being read, with its own progress bar, until the documents are shown."""
        bar = self.reading.get(name)
        if bar is None:
            chip = QFrame(self.chips_area)
            chip.setObjectName("document-chip")
            layout = QHBoxLayout(chip)
            layout.setContentsMargins(8, 3, 8, 3)
            layout.addWidget(QLabel(name, chip))
            bar = QProgressBar(chip)
            bar.setRange(0, 1000)
            bar.setTextVisible(False)
            bar.setFixedWidth(self.fontMetrics().horizontalAdvance("x") * 14)
            bar.setMaximumHeight(self.fontMetrics().height() // 2)
            bar.setAccessibleName(f"Reading {name}")
            layout.addWidget(bar)
            self.flow.insertWidget(self.flow.count() - 1, chip)
            chip.show()  # now, not when the layout gets to it: the row's height counts shown chips only
            self.reading[name] = bar
            self._fit_row()
            self.chips_scroll.setVisible(True)
        bar.setValue(int(share * 1000))

    def show_documents(self, documents: list[AttachedDocument]) -> None:
        """A chip per document; the chips stay as they are when nothing on them changed (the list is
        read again after every answer)."""
        shown = [(a.document.id, a.document.title, size_text(a, self.tokens.get(a.document.id)))
                 for a in documents]
        if shown != self._shown or self.reading:
            self._make_chips(documents)
            self._fit_row()
            self._shown = shown
        self.chips_scroll.setVisible(bool(documents))
        self.measure_button.setVisible(bool(documents))
        self.mode.setVisible(bool(documents) and bool(mode_text(self.use)))
        self._show_gauge(bool(documents) and self.use is not None and self.use.n_ctx > 0)

    def _make_chips(self, documents: list[AttachedDocument]) -> None:
        self._clear_chips()
        for attached in documents:
            chip = DocumentChip(attached, self.tokens.get(attached.document.id), self.chips_area)
            chip.remove_requested.connect(self.remove_requested)
            chip.chosen.connect(self._choose)
            chip.menu_requested.connect(self._chip_menu)
            self.flow.insertWidget(self.flow.count() - 1, chip)
            chip.show()  # now, not when the layout gets to it: the row's height counts shown chips only
            self.chips.append(chip)
        previous = self.measure_button  # Tab reaches each chip and its × after the buttons
        for chip in self.chips:
            QWidget.setTabOrder(previous, chip)
            QWidget.setTabOrder(chip, chip.remove)
            previous = chip.remove
        if self.chosen_id not in {c.document_id for c in self.chips}:
            self.chosen_id = None

    def _fit_row(self) -> None:
        """The row as tall as its chips and its (thin) scroll bar, measured when the chips change and
        not on every resize: a resize handler in Python runs each time the voice panel comes or goes,
        and measuring there stalled the window for 56 ms in `longwit bench ui`."""
        bar = self.chips_scroll.horizontalScrollBar().sizeHint().height()
        self.chips_scroll.setFixedHeight(self.chips_area.sizeHint().height() + bar)

    def show_context(self, use: ContextUse | None) -> None:
        """The mode and the share of the window used, after a pre-fill or an answer."""
        self.use = use
        if use is None:
            self.mode.hide()
            self._show_gauge(False)
            return
        self.tokens.update(use.document_tokens)
        self.mode.setText(mode_text(use))
        self.mode.setToolTip(use.description)
        self.mode.setAccessibleName(f"Reading mode: {mode_text(use)}")
        self.mode.setProperty("mode", use.mode or "")
        self.mode.style().unpolish(self.mode)  # the style sheet picks the pill's colour by mode
        self.mode.style().polish(self.mode)
        self.mode.setVisible(use.mode is not None)
        if use.n_ctx:
            self.gauge.setRange(0, use.n_ctx)
            self.gauge.setValue(min(use.used_tokens, use.n_ctx))
            self.gauge_text.setText(f"{use.used_tokens:,} of {use.n_ctx:,} tokens")
            self.gauge.setToolTip(f"The conversation uses {use.used_tokens:,} of the model's "
                                  f"{use.n_ctx:,}-token context window")
            self._show_gauge(True)

    def _show_gauge(self, shown: bool) -> None:
        self.gauge.setVisible(shown)
        self.gauge_text.setVisible(shown)

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

    def choose(self, document_id: int) -> None:
        """Make a listed document the one the Compression button and the menu act on."""
        self._choose(document_id)

    def _choose(self, document_id: int) -> None:
        self.chosen_id = document_id

    def _remove_chosen(self) -> None:
        if self.chosen_id is not None:
            self.remove_requested.emit(self.chosen_id)

    def chosen_document(self, document_id: int | None = None) -> tuple[int, str] | None:
        """(id, title) of document `document_id` if it is listed, else of the chip chosen last,
        else of the only document; None when there is no single one to take."""
        documents = [(chip.document_id, chip.title) for chip in self.chips]
        wanted = document_id if document_id is not None else self.chosen_id
        if wanted is not None:
            found = next((d for d in documents if d[0] == wanted), None)
            if found is not None or document_id is not None:
                return found
        return documents[0] if len(documents) == 1 else None

    def _chip_menu(self, document_id: int, where: QPoint) -> None:
        self.chosen_id = document_id
        self.chip_menu.popup(where)

