"""Dictation and reading aloud, wired to the window: the composer's Dictate button and the menu's
shortcuts start and stop them, what they hear and do is shown in the composer and the status bar,
and what goes wrong is a line in the banner. Neither runs during a voice call (the call is listening
and speaking); starting one stops the other, and starting a call stops both (`SharedAudio.take`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject

from desktop.window.controllers.dictation_controller import IDLE, DictationController
from desktop.window.controllers.read_aloud_controller import NOTHING_TO_READ, ReadAloudController
from desktop.window.controllers.shared_audio import CALL, DICTATION, READING
from desktop.window.reading_indicator import ReadingIndicator

if TYPE_CHECKING:
    from desktop.window.main_window import MainWindow

DICTATE, READ_LAST = "Dictate", "Read the last answer aloud"
DURING_CALL = ("{} is off during a voice call, which is listening and speaking already; hang up "
               "(Ctrl+Shift+V) first.")


class DictationAndReading(QObject):
    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        audio = window.audio
        self.dictation = DictationController(audio, lambda: window.settings, self)
        self.reading = ReadAloudController(audio, lambda: window.settings, self)
        self.indicator = ReadingIndicator(window)
        window.statusBar().addWidget(self.indicator)
        voice = window.voice
        audio.join(CALL, lambda: voice.active, voice.hang_up, voice.call_ended)
        audio.join(DICTATION, lambda: self.dictation.active, self.dictation.stop, self.dictation.stopped)
        audio.join(READING, lambda: self.reading.active, self.reading.stop, self.reading.stopped)
        composer = window.pane.composer
        composer.dictate_requested.connect(self.toggle_dictation)
        for asked in (composer.send, composer.edit):  # the words went with the message
            asked.connect(lambda _text: self.dictation.cancel())
        self.dictation.state_changed.connect(self._dictation_state)
        self.dictation.level_changed.connect(composer.show_level)
        self.dictation.heard.connect(composer.show_dictated)
        self.dictation.failed.connect(lambda message: self._say(message, "error"))
        self.reading.started.connect(lambda _message_id: self._show_reading())
        self.reading.stopped.connect(lambda _message_id: self._show_reading())
        self.reading.failed.connect(lambda message: self._say(
            message, "warning" if message == NOTHING_TO_READ else "error"))
        self.indicator.stop.clicked.connect(self.reading.stop)

    # Dictation -------------------------------------------------------------------------------------

    def toggle_dictation(self) -> None:
        """Start dictating into the message box at its cursor, or stop (the words stay)."""
        if self.dictation.active:
            self.dictation.stop()
        elif self.window.voice.active:
            self._say(DURING_CALL.format("Dictation"), "warning")
        else:
            self.window.pane.composer.box.setFocus()
            self.window.audio.take(DICTATION, self.dictation.start)
        self._check(DICTATE, self.dictation.active)

    def _dictation_state(self, state: str) -> None:
        self.window.pane.composer.show_dictation_state(state)
        self._check(DICTATE, state != IDLE)

    # Reading aloud ---------------------------------------------------------------------------------

    def read_aloud(self, message_id: int) -> None:
        """Read the shown message `message_id` aloud, or stop if it is the one being read."""
        if self.reading.message_id == message_id:
            self.reading.stop()
            return
        view = self.window.pane.view
        text = next((m.text for m in view.messages if m.message_id == message_id), None)
        if text is None:
            self._say("That answer is not shown any more; open its conversation to hear it.", "warning")
        elif self.window.voice.active:
            self._say(DURING_CALL.format("Reading aloud"), "warning")
        else:
            self.reading.read(message_id, text)
        self._show_reading()

    def read_last_answer(self) -> None:
        """Read the last answer shown aloud, or stop the reading under way."""
        if self.reading.message_id is not None:
            self.reading.stop()
            self._show_reading()
            return
        answers = [m for m in self.window.pane.view.messages
                   if m.role == "assistant" and m.message_id is not None]
        if answers:
            self.read_aloud(answers[-1].message_id)
        else:
            self._say("There is no answer to read aloud yet.", "info")
            self._show_reading()

    def _show_reading(self) -> None:
        reading = self.reading.message_id is not None
        self.indicator.show_reading(self.reading.spoken if reading else None)
        self._check(READ_LAST, reading)

    # Both ------------------------------------------------------------------------------------------

    def stop(self) -> bool:
        """Esc: stop dictating and reading; False when neither was under way."""
        under_way = self.dictation.active or self.reading.active
        self.dictation.stop()
        self.reading.stop()
        self._show_reading()
        return under_way

    def close(self) -> bool:
        """Cancel both and wait for their threads (the window is closing); True if they ended."""
        self.window.audio.forget_waiting()
        dictation_ended = self.dictation.close()
        reading_ended = self.reading.close()
        return dictation_ended and reading_ended

    def _say(self, message: str, kind: str) -> None:
        self.window.banner.show_message(message, kind)

    def _check(self, name: str, on: bool) -> None:
        action = self.window.actions_by_name.get(name)
        if action is not None:
            action.setChecked(on)
