"""Where a message is written: Enter sends, Shift+Enter starts a new line, Up in an empty box brings
back the last question to edit; one button sends or, while an answer is written, stops it."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent, QPalette
from PySide6.QtWidgets import QHBoxLayout, QPlainTextEdit, QPushButton, QVBoxLayout, QWidget

from desktop.window.icons import themed

BOX_LINES = 5  # the box grows to this many lines of the person's font, then scrolls


class MessageBox(QPlainTextEdit):
    send_requested = Signal()
    edit_last_requested = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key, modifiers = event.key(), event.modifiers()
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and not (
            modifiers & Qt.KeyboardModifier.ShiftModifier
        ):
            self.send_requested.emit()
            return
        if key == Qt.Key.Key_Up and not self.toPlainText():
            self.edit_last_requested.emit()
            return
        super().keyPressEvent(event)


class Composer(QWidget):
    """Emits `send(text)` (or `edit(text)` when the last question was brought back), `stop()` and
    `regenerate()`; the window says when an answer is being written with `set_answering`."""

    send = Signal(str)
    edit = Signal(str)
    stop = Signal()
    regenerate = Signal()
    edit_last_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.box = MessageBox(self)
        self.box.setObjectName("composer")
        self.box.setPlaceholderText(
            "Ask anything, or drop documents here. Enter sends, Shift+Enter adds a line, "
            "Up edits your last message."
        )
        self.box.setAccessibleName("Message")
        self.box.setTabChangesFocus(True)  # Tab goes on to the buttons, as in any form
        self.box.setMaximumHeight(self.box.fontMetrics().lineSpacing() * BOX_LINES + 20)
        self.action = QPushButton("Send", self)
        self.action.setObjectName("send")
        self.again = themed(QPushButton("Regenerate", self), "regenerate")
        self.again.setObjectName("regenerate")
        self.again.setToolTip("Answer the last question again (Ctrl+R)")
        self.again.setAccessibleName("Regenerate the last answer")
        buttons = QVBoxLayout()
        buttons.addWidget(self.action)
        buttons.addWidget(self.again)
        buttons.addStretch(1)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.box, 1)
        layout.addLayout(buttons)
        self.answering = False
        self.editing = False  # the box holds the last question, brought back to be changed
        self.box.send_requested.connect(self._send)
        self.box.edit_last_requested.connect(self.edit_last_requested)
        self.action.clicked.connect(self._send_or_stop)
        self.again.clicked.connect(self.regenerate)
        self.set_answering(False)

    def set_answering(self, answering: bool) -> None:
        self.answering = answering
        self.action.setText("Stop" if answering else "Send")
        # On the accent-coloured button the icon takes the colour of text on the accent.
        themed(self.action, "stop" if answering else "send", QPalette.ColorRole.HighlightedText)
        self.action.setToolTip("Stop the answer (Esc)" if answering else "Send (Enter)")
        self.action.setAccessibleName("Stop the answer" if answering else "Send the message")
        self.again.setEnabled(not answering)

    def bring_back(self, text: str) -> None:
        """Put the last question in the box to be edited; sending replaces it and its answer."""
        self.editing = True
        self.box.setPlainText(text)
        self.box.moveCursor(self.box.textCursor().MoveOperation.End)

    def _send_or_stop(self) -> None:
        if self.answering:
            self.stop.emit()
        else:
            self._send()

    def _send(self) -> None:
        """Enter while an answer is written does nothing: stopping takes the button or Esc."""
        if self.answering:
            return
        text = self.box.toPlainText().strip()
        if not text:
            return
        self.box.clear()
        if self.editing:
            self.editing = False
            self.edit.emit(text)
        else:
            self.send.emit(text)
