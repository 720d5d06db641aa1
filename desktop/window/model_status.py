"""The model's pill at the top of the window: which model answers, with what window and where (CPU,
GPU, or the server of a remote engine), a moving bar while another loads (llama.cpp reports no
steps), and a button that opens the model picker."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from PySide6.QtCore import QEvent, QSize, Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QProgressBar, QToolButton, QWidget

from desktop.window.icons import icon, themed
from engine.model_host import ModelCard

NO_MODEL = "No model loaded"


def describe_card(card: ModelCard) -> str:
    if card.engine is not None:
        return (f"{card.name} · {card.n_ctx:,}-token context ({card.ctx_source}) · engine "
                f"{card.engine}")
    gpu = "GPU: all layers" if card.gpu_layers < 0 else (
        f"GPU: {card.gpu_layers} layers" if card.gpu_layers else "CPU")
    return f"{card.name} · {card.n_ctx:,}-token context · {gpu} · {card.n_threads} threads"


def card_detail(card: ModelCard) -> str:
    """The pill's second part: the window and where the model runs (a remote engine: its host)."""
    if card.engine is not None:
        return f"{card.n_ctx:,} context · {urlsplit(card.engine).netloc}"
    where = "CPU" if card.gpu_layers == 0 else "GPU"
    return f"{card.n_ctx:,} context · {where}"


def card_chip(card: ModelCard) -> str:
    """The pill's icon: a server for a remote engine, else the CPU or the GPU."""
    return "engine" if card.engine is not None else "cpu" if card.gpu_layers == 0 else "gpu"


def loading_text(name: str) -> str:
    """What the pill says while a model loads, or while an engine (a URL) is connected to."""
    if "://" in name:
        return f"Connecting to {urlsplit(name).netloc}…"
    return f"Loading {Path(name).name}…"


class ModelStatus(QFrame):
    choose_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("model-pill")
        self.chip = QLabel(self)
        self.chip.setAccessibleName("Model")
        self.busy = QProgressBar(self)
        self.busy.setRange(0, 0)
        self.busy.setMaximumWidth(90)
        self.busy.setMaximumHeight(self.fontMetrics().height() // 2)
        self.busy.setTextVisible(False)
        self.busy.setAccessibleName("Loading the model")
        self.busy.hide()
        self.label = QLabel(NO_MODEL, self)
        self.label.setObjectName("model-name")
        self.detail = QLabel(self)
        self.detail.setObjectName("model-detail")
        self.choose = QToolButton(self)
        themed(self.choose, "mdi6.chevron-down")
        self.choose.setToolTip("Choose model… (Ctrl+M)")
        self.choose.setAccessibleName("Choose model")
        self.choose.setAutoRaise(True)
        self.choose.clicked.connect(self.choose_requested)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 2, 4, 2)
        layout.setSpacing(6)
        for widget in (self.chip, self.label, self.detail, self.busy, self.choose):
            layout.addWidget(widget)
        self.where = "model"
        self._show(NO_MODEL, "", "model")

    def _show(self, name: str, detail: str, where: str) -> None:
        self.where = where
        self._draw_chip()
        self.label.setText(name)
        self.detail.setText(detail)
        self.detail.setVisible(bool(detail))
        self.setAccessibleName(f"Model: {name}" + (f", {detail}" if detail else ""))

    def _draw_chip(self) -> None:
        side = self.fontMetrics().height()
        self.chip.setPixmap(icon(self.where).pixmap(QSize(side, side)))

    def changeEvent(self, event: QEvent) -> None:
        """A pixmap does not repaint itself: draw the chip again in the new theme's colours."""
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.StyleChange, QEvent.Type.FontChange):
            self._draw_chip()
        super().changeEvent(event)

    def loading(self, name: str) -> None:
        self._show(loading_text(name), "", "model")
        self.busy.show()

    def show_model(self, card: ModelCard | None) -> None:
        """The model answering now (after a load, or a failed one: the old model stays)."""
        self.busy.hide()
        if card is None:
            self._show(NO_MODEL, "", "model")
            self.setToolTip("")
            return
        self._show(card.name, card_detail(card), card_chip(card))
        self.setToolTip(describe_card(card))

    def mousePressEvent(self, event) -> None:
        """A click anywhere on the pill opens the picker, as in other local-model apps."""
        if event.button() == Qt.MouseButton.LeftButton:
            self.choose_requested.emit()
        super().mousePressEvent(event)
