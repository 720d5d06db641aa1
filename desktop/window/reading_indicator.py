"""What the status bar shows while an answer is read aloud: which one (its first words), and a Stop
button (Esc and the menu's shortcut stop it too)."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget

OPENING_WORDS = 8


class ReadingIndicator(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("readingIndicator")
        self.label = QLabel(self)
        self.stop = QPushButton("Stop reading", self)
        self.stop.setToolTip("Stop reading aloud (Esc or Ctrl+Shift+R)")
        self.stop.setAccessibleName("Stop reading aloud")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 0, 4, 0)
        layout.addWidget(self.label)
        layout.addWidget(self.stop)
        self.hide()

    def show_reading(self, spoken: str | None) -> None:
        """Show that `spoken` is being read (None: nothing is)."""
        if spoken is None:
            self.hide()
            return
        words = spoken.split()
        opening = " ".join(words[:OPENING_WORDS]) + ("…" if len(words) > OPENING_WORDS else "")
        self.label.setText(f"Reading aloud: “{opening}”")
        self.show()
