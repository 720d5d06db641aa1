"""Where a message is written: Enter sends, Shift+Enter starts a new line, Up in an empty box brings
back the last question to edit; one button sends or, while an answer is written, stops it; another
dictates into the box (the words appear as they are said, and are not sent)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QKeyEvent, QPalette
from PySide6.QtWidgets import (
    QHBoxLayout,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from desktop.window.controllers.dictation_controller import FINISHING, IDLE, LISTENING, STARTING
from desktop.window.dictated_text import DictatedText
from desktop.window.icons import themed

PLACEHOLDER = ("Ask anything, or drop documents here. Enter sends, Shift+Enter adds a line, "
               "Up edits your last message.")
DICTATE_TEXT = {IDLE: "Dictate", STARTING: "Starting…", LISTENING: "Listening…", FINISHING: "Writing…"}
DICTATE_TIP = "Speak into the message box (Ctrl+Shift+Space); press again or Esc to stop"


def recording_palette() -> QPalette:
    """A recording light's colours, the same in either theme."""
    palette = QPalette()
    for role, colour in ((QPalette.ColorRole.Button, "#b3261e"), (QPalette.ColorRole.ButtonText, "#ffffff")):
        palette.setColor(role, QColor(colour))
    return palette


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
    `regenerate()`; the window says when an answer is being written with `set_answering`. The
    Dictate button emits `dictate_requested`; the window's dictation reports back through
    `show_dictation_state`, `show_level` and `show_dictated`."""

    send = Signal(str)
    edit = Signal(str)
    stop = Signal()
    regenerate = Signal()
    edit_last_requested = Signal()
    dictate_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.box = MessageBox(self)
        self.box.setObjectName("composer")
        self.box.setPlaceholderText(PLACEHOLDER)
        self.box.setAccessibleName("Message")
        self.box.setTabChangesFocus(True)  # Tab goes on to the buttons, as in any form
        self.box.setMaximumHeight(self.box.fontMetrics().lineSpacing() * BOX_LINES + 20)
        self.action = QPushButton("Send", self)
        self.action.setObjectName("send")
        self.again = themed(QPushButton("Regenerate", self), "regenerate")
        self.again.setObjectName("regenerate")
        self.again.setToolTip("Answer the last question again (Ctrl+R)")
        self.again.setAccessibleName("Regenerate the last answer")
        self.dictate = QPushButton(DICTATE_TEXT[IDLE], self)
        self.dictate.setObjectName("dictate")
        self.dictate.setCheckable(True)
        self.dictate.setToolTip(DICTATE_TIP)
        self.dictate.setAccessibleName("Dictate")
        # As wide as its longest label, so that the box does not jump when the label changes.
        self.dictate.setMinimumWidth(max(self.dictate.fontMetrics().horizontalAdvance(text)
                                         for text in DICTATE_TEXT.values()) + 24)
        self.level = QProgressBar(self)
        self.level.setObjectName("dictationLevel")
        self.level.setRange(0, 100)
        self.level.setTextVisible(False)
        self.level.setFixedHeight(4)
        self.level.setAccessibleName("Microphone level")
        keep_place = QSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        keep_place.setRetainSizeWhenHidden(True)  # the buttons stay put when it shows
        self.level.setSizePolicy(keep_place)
        self.level.hide()
        self.dictated = DictatedText(self.box)
        buttons = QVBoxLayout()
        buttons.addWidget(self.action)
        buttons.addWidget(self.again)
        buttons.addWidget(self.dictate)
        buttons.addWidget(self.level)
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
        self.dictate.clicked.connect(self._dictate_clicked)
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
        self.dictated.end()
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
        self.dictated.end()  # what is still said goes nowhere: the window stops the dictation
        self.box.clear()
        if self.editing:
            self.editing = False
            self.edit.emit(text)
        else:
            self.send.emit(text)

    # Dictation -------------------------------------------------------------------------------------

    def _dictate_clicked(self) -> None:
        self.dictate.setChecked(self.dictated.writing)  # the window's dictation decides
        self.dictate_requested.emit()

    def show_dictation_state(self, state: str) -> None:
        """Begin writing at the cursor when dictation starts; the words stay when it ends."""
        on = state != IDLE
        if state == STARTING and not self.dictated.writing:
            self.dictated.begin()
        elif not on:
            self.dictated.end()
        self.dictate.setChecked(on)
        self.dictate.setPalette(recording_palette() if on else QPalette())  # red while the microphone is on
        self.dictate.setText(DICTATE_TEXT.get(state, state))
        self.dictate.setToolTip("Stop dictating (Ctrl+Shift+Space or Esc)" if on else DICTATE_TIP)
        self.level.setVisible(state == LISTENING)
        self.box.setPlaceholderText("Listening… speak, and your words appear here." if on else PLACEHOLDER)

    def show_level(self, level: float) -> None:
        self.level.setValue(round(level * 100))

    def show_dictated(self, settled: str, guess: str) -> None:
        """The words heard so far: the stretches transcribed, then the guess at the one being said."""
        self.dictated.show(" ".join(part for part in (settled, guess) if part))
