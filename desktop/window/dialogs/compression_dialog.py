"""How well the model reads a document, in a window of its own (not modal, so the conversation
stays usable): the meter's progress with a Cancel button, then its figures (bits per byte and per
token against the same words shuffled, what the word order saves, the compression ratio, tokens,
time), the surprisal map of every passage, and the most surprising passages with their place.
Choosing a passage opens the document there (`passage_chosen`, for the document viewer).
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QHideEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from desktop.window.controllers.compression_controller import CompressionController, MeasuredDocument
from desktop.window.document_viewer import CitedPassage
from desktop.window.surprisal_map import EASIER, GAP, HARDER, TILE, SurprisalMap, map_tiles
from engine.compression_meter import CompressionReport

SNIPPET_CHARS = 140
MAP_MOST_PX = 240  # past this the map scrolls (a long book), leaving room for the list below
STOPPED = "Stopped"
FIGURES = ("Bits per byte", "Bits per token", "Word order", "Compressed to", "Size", "Model", "Time")


def snippet(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= SNIPPET_CHARS else flat[: SNIPPET_CHARS - 1] + "…"


def against_shuffled(value: float, shuffled: float | None) -> str:
    return f"{value:.3f}" + ("" if shuffled is None else f"   (words shuffled: {shuffled:.3f})")


def figure_texts(report: CompressionReport, passages: int) -> dict[str, str]:
    """The figures as `longwit compress` prints them, one line each."""
    text, shuffled = report.text, report.shuffled
    measured = text.tokens * (2 if shuffled else 1)
    times = "once" if text.shifts == 1 else f"{text.shifts:,} times"
    shifts = f"; the window moved on {times}" if text.shifts else ""
    return {
        "Bits per byte": against_shuffled(text.bits_per_byte, shuffled and shuffled.bits_per_byte),
        "Bits per token": against_shuffled(text.bits_per_token, shuffled and shuffled.bits_per_token),
        "Word order": ("not measured (no shuffled copy)" if report.order_saves is None else
                       f"saves {report.order_saves:.0%} of the shuffled copy's bits"),
        "Compressed to": (f"{1 / report.compression_ratio:.1%} of its size "
                          f"(×{report.compression_ratio:.1f})" if report.compression_ratio else "–"),
        "Size": f"{text.tokens:,} tokens, {text.bytes:,} bytes, {passages:,} passages",
        "Model": f"{report.model}, {report.n_ctx:,}-token window{shifts}",
        "Time": f"{report.seconds:.1f} s ({measured / max(report.seconds, 1e-9):,.0f} tokens/s)",
    }


def legend_html() -> str:
    return (f"Each square is a passage, in reading order: <span style='color:{EASIER.name()}'>■</span> "
            f"easier than the document's average, <span style='color:{HARDER.name()}'>■</span> more "
            "surprising. Click one to open the document there.")


class CompressionDialog(QDialog):
    passage_chosen = Signal(object)  # CitedPassage

    def __init__(self, controller: CompressionController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.setObjectName("compression")
        self.setModal(False)
        self.resize(680, 640)
        self.measured: MeasuredDocument | None = None
        self.document: tuple[int, str] | None = None
        self.heading = QLabel(self)
        self.heading.setWordWrap(True)
        self.progress = QProgressBar(self)
        self.progress.setRange(0, 1000)
        self.progress.setAccessibleName("Measurement progress")
        self.status = QLabel(self)
        self.status.setAccessibleName("Measurement status")
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.setAccessibleName("Cancel the measurement")
        self.again_button = QPushButton("Measure again", self)
        self.again_button.setAccessibleName("Measure the document again")
        self.values = {name: self._figure(name) for name in FIGURES}
        self.map = SurprisalMap(self)
        self.map_area = QScrollArea(self)
        self.map_area.setWidget(self.map)
        self.map_area.setWidgetResizable(True)
        self.map_area.setMinimumHeight(TILE + 2 * GAP + 2 * self.map_area.frameWidth())
        self.map.height_changed.connect(self._fit_map)
        self.legend = QLabel(legend_html(), self)
        self.legend.setWordWrap(True)
        self.surprising_heading = QLabel(self)
        self.surprising = QListWidget(self)
        self.surprising.setObjectName("most-surprising")
        self.surprising.setAccessibleName("Most surprising passages")
        self.surprising.setWordWrap(True)
        self.surprising.setAlternatingRowColors(True)
        self._lay_out()
        self.cancel_button.clicked.connect(self.controller.cancel)
        self.again_button.clicked.connect(self._again)
        self.map.passage_chosen.connect(self.open_passage)
        self.surprising.itemActivated.connect(self._item_chosen)
        self.surprising.itemClicked.connect(self._item_chosen)
        controller.progress.connect(self._progress)
        controller.measured.connect(self._measured)
        controller.stopped.connect(self._stopped)
        controller.failed.connect(self._failed)

    def _figure(self, name: str) -> QLabel:
        value = QLabel(self)
        value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        value.setAccessibleName(name)
        value.setObjectName("figure-" + name.lower().replace(" ", "-"))
        return value

    def _lay_out(self) -> None:
        running = QHBoxLayout()
        running.addWidget(self.status, 1)
        running.addWidget(self.progress, 1)
        running.addWidget(self.cancel_button)
        running.addWidget(self.again_button)
        figures = QFormLayout()
        for name, value in self.values.items():
            figures.addRow(name, value)
        self.results = QWidget(self)
        inner = QVBoxLayout(self.results)
        inner.setContentsMargins(0, 0, 0, 0)
        inner.addLayout(figures)
        inner.addWidget(QLabel("<b>Surprisal map</b>", self.results))
        inner.addWidget(self.legend)
        inner.addWidget(self.map_area)
        inner.addWidget(self.surprising_heading)
        inner.addWidget(self.surprising, 1)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        close.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addLayout(running)
        layout.addWidget(self.results, 1)
        layout.addWidget(close)

    # Measuring ---------------------------------------------------------------------------------

    def measure(self, document_id: int, title: str) -> None:
        """Start measuring a stored document and show the window (raised if it was open)."""
        self.document = (document_id, title)
        self.measured = None
        self.setWindowTitle(f"How well the model reads “{title}”")
        self.heading.setText(f"<b>{title}</b>: bits per byte and per token under the loaded model, "
                             "against the same words shuffled.")
        self.results.hide()
        self.progress.setValue(0)
        self.progress.show()
        self.cancel_button.show()
        self.again_button.hide()
        self.status.setText("Starting…")
        self.controller.measure(document_id, title)
        self.show()
        self.raise_()

    def _fit_map(self, height: int) -> None:
        self.map_area.setMaximumHeight(min(MAP_MOST_PX, height + 2 * self.map_area.frameWidth()))

    def _again(self) -> None:
        if self.document is not None and not self.controller.busy:
            self.measure(*self.document)

    def _progress(self, fraction: float, what: str) -> None:
        self.progress.setValue(int(fraction * 1000))
        self.status.setText(what)

    def _ended(self, status: str) -> None:
        self.progress.hide()
        self.cancel_button.hide()
        self.again_button.show()
        self.status.setText(status)

    def _stopped(self, _document_id: int) -> None:
        self._ended(STOPPED)

    def _failed(self, message: str) -> None:
        self._ended(f"The measurement failed: {message}")

    def _measured(self, measured: MeasuredDocument) -> None:
        self.measured = measured
        report = measured.report
        self._ended(f"Measured {len(measured.passages):,} passages.")
        for name, text in figure_texts(report, len(measured.passages)).items():
            self.values[name].setText(text)
        self.map.show_tiles(map_tiles(report.passages, report.text.bits_per_byte))
        self.surprising_heading.setText("<b>Most surprising passages</b> (bits per byte; the "
                                        f"document's average {report.text.bits_per_byte:.2f})")
        self.surprising.clear()
        for passage in report.most_surprising:
            item = QListWidgetItem(f"{passage.bits_per_byte:.2f} · {passage.label}\n"
                                   f"{snippet(passage.text)}")
            item.setData(Qt.ItemDataRole.UserRole, passage.index)
            self.surprising.addItem(item)
        self.results.show()

    # Passages ----------------------------------------------------------------------------------

    def _item_chosen(self, item: QListWidgetItem) -> None:
        self.open_passage(int(item.data(Qt.ItemDataRole.UserRole)))

    def open_passage(self, index: int) -> None:
        """The document opened at passage `index`, the passage highlighted (the measured text,
        kept with the figures: nothing is read again)."""
        if self.measured is None:
            return
        passages = self.measured.passages
        self.passage_chosen.emit(CitedPassage(self.measured.title, [p.text for p in passages], index,
                                              passages[index].label))

    def hideEvent(self, event: QHideEvent) -> None:
        """Closing the window (Close, Esc) stops its measurement: nobody would see the figures.
        A hide from the window system (the window minimized) does not."""
        if not event.spontaneous():
            self.controller.cancel()
        super().hideEvent(event)
