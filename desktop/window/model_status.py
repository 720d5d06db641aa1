"""The status bar's model: which one answers, with what window and where, and a moving bar while
another loads (llama.cpp reports no steps)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QWidget

from engine.model_host import ModelCard


def describe_card(card: ModelCard) -> str:
    gpu = "GPU: all layers" if card.gpu_layers < 0 else (
        f"GPU: {card.gpu_layers} layers" if card.gpu_layers else "CPU")
    return f"{card.name} · {card.n_ctx:,}-token context · {gpu} · {card.n_threads} threads"


class ModelStatus(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.busy = QProgressBar(self)
        self.busy.setRange(0, 0)
        self.busy.setMaximumWidth(120)
        self.busy.hide()
        self.label = QLabel("No model loaded", self)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.busy)
        layout.addWidget(self.label)

    def loading(self, name: str) -> None:
        self.label.setText(f"Loading {Path(name).name}…")
        self.busy.show()

    def show_model(self, card: ModelCard | None) -> None:
        """The model answering now (after a load, or a failed one: the old model stays)."""
        self.busy.hide()
        self.label.setText(describe_card(card) if card else "No model loaded")
