"""What the status bar shows while an answer is read aloud: that it is being read, and a Stop
button (Esc and the menu's shortcut stop it too)."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget


class ReadingIndicator(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("readingIndicator")
        self.label = QLabel("Reading the answer aloud…", self)
        self.stop = QPushButton("Stop reading", self)
        self.stop.setToolTip("Stop reading aloud (Esc or Ctrl+Shift+R)")
        self.stop.setAccessibleName("Stop reading aloud")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 0, 4, 0)
        layout.addWidget(self.label)
        layout.addWidget(self.stop)
        self.hide()
