"""Reading one answer aloud with the window's Piper voice: its prose only (media/speakable.py drops code
blocks and citation marks), a sentence at a time as Piper makes them. Two threads per reading: the
voice (`longwit-read-aloud-voice`) synthesizes sentence by sentence into a queue, the player
(`longwit-read-aloud`) opens the speaker, queues each sentence for it and waits for the last to play.

Stopping is at once: the GUI thread itself drops the queued audio, so the speaker is silent from its
next 20 ms frame, and the player closes the speaker within a few tens of milliseconds, without
waiting for the sentence Piper is making (a long one takes over a second here); the voice thread
drops that sentence and ends. A new reading waits for the old one's speaker to close.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from PySide6.QtCore import QObject, Signal

from desktop.diagnostics.error_report import report_error
from desktop.window.app_settings import AppSettings
from desktop.window.background import GuiRelay, join_threads
from desktop.window.controllers.shared_audio import READING, SharedAudio, start_error_message
from media.audio_backend import AudioBackend
from media.duplex_loop import LOST_AUDIO
from media.speakable import speakable

STALLED_S = 3.0  # a speaker that takes nothing for this long is treated as gone
JOIN_S = 10.0
NOTHING_TO_READ = "That answer has nothing to read aloud: it is all code."


@dataclass
class Reading:
    """One answer being read; `lock` orders the thread's `play` against a stop from the GUI thread."""

    message_id: int
    spoken: str  # what is handed to Piper
    settings: AppSettings
    cancel: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    audio: AudioBackend | None = None
    # The voice thread's sentences, then None at their end (or the error that ended them).
    sentences: queue.SimpleQueue[np.ndarray | BaseException | None] = field(
        default_factory=queue.SimpleQueue)


class ReadAloudController(QObject):
    """Reads answers aloud, one at a time; every signal arrives on the GUI thread."""

    started = Signal(int)  # message id: reading it has begun
    stopped = Signal(int)  # message id: its reading ended (read through, stopped or failed), speaker closed
    failed = Signal(str)  # a message for a person

    def __init__(self, audio: SharedAudio, settings: Callable[[], AppSettings],
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.audio, self._settings = audio, settings
        self.spoken = ""
        """The text of the latest reading as it was handed to Piper."""
        self._reading: Reading | None = None
        self._next: Reading | None = None  # asked for while another was still ending
        self._threads: list[threading.Thread] = []
        self._relay = GuiRelay(self)

    @property
    def active(self) -> bool:
        """A reading is under way (or its speaker is still closing)."""
        return self._reading is not None

    @property
    def message_id(self) -> int | None:
        """The answer being read, unless it is being stopped."""
        reading = self._reading
        return reading.message_id if reading is not None and not reading.cancel.is_set() else None

    def read(self, message_id: int, text: str) -> None:
        """Read `text` (the answer `message_id`) aloud, stopping any reading under way first."""
        spoken = speakable(text, code="")
        if not any(character.isalnum() for character in spoken):
            self.failed.emit(NOTHING_TO_READ)
            return
        self._stop_reading()
        self._next = Reading(message_id, spoken, self._settings())
        if self._reading is None:
            self.audio.take(READING, self._begin)

    def stop(self) -> None:
        """Stop at once: the speaker goes silent now, `stopped` follows when it is closed."""
        self._next = None
        self._stop_reading()

    def _stop_reading(self) -> None:
        reading = self._reading
        if reading is None:
            return
        with reading.lock:
            reading.cancel.set()
            if reading.audio is not None:
                reading.audio.stop_playback()

    def _begin(self) -> None:
        reading, self._next = self._next, None
        if reading is None or self._reading is not None:
            return
        self._reading = reading
        self.spoken = reading.spoken
        threads = [threading.Thread(target=lambda: self._synthesize(reading), daemon=True,
                                    name="longwit-read-aloud-voice"),
                   threading.Thread(target=lambda: self._play(reading), daemon=True,
                                    name="longwit-read-aloud")]
        self._threads = [t for t in self._threads if t.is_alive()] + threads
        for thread in threads:
            thread.start()
        self.started.emit(reading.message_id)

    # Its threads -----------------------------------------------------------------------------------

    def _synthesize(self, reading: Reading) -> None:
        """The voice thread: each sentence into the queue as soon as Piper has made it."""
        try:
            _speech, voice = self.audio.speech_models(reading.settings)
            for sentence in voice.stream(reading.spoken):
                if reading.cancel.is_set():
                    return
                reading.sentences.put(sentence)
        except Exception as error:  # the player reports it
            reading.sentences.put(error)
        finally:
            reading.sentences.put(None)

    def _play(self, reading: Reading) -> None:
        """The player thread: open the speaker, play the sentences as they come, wait for the last."""
        try:
            backend = self.audio.open(READING)
        except Exception as error:  # no speaker: the window says what to do
            reading.cancel.set()
            self._relay.post(self._failed, start_error_message(
                error, "Reading aloud", "starting to read an answer aloud"))
            self._relay.post(self._ended, reading)
            return
        try:
            with reading.lock:
                reading.audio = backend
            backend.start(lambda _frame: None)
            while not reading.cancel.is_set():
                try:
                    sentence = reading.sentences.get(timeout=0.02)
                except queue.Empty:
                    continue
                if sentence is None:
                    break
                if isinstance(sentence, BaseException):
                    raise sentence
                with reading.lock:
                    if not reading.cancel.is_set():
                        backend.play(sentence)
            self._wait_played(reading, backend)
        except Exception as error:
            reading.cancel.set()
            self._relay.post(self._failed, f"Reading aloud stopped: {report_error(error, 'reading aloud')}")
        finally:
            backend.close()
            self._relay.post(self._ended, reading)

    def _wait_played(self, reading: Reading, backend: AudioBackend) -> None:
        """Until the last sentence has played, the reading is stopped, or the speaker goes away."""
        position, moved = backend.playback_position(), time.monotonic()
        while backend.is_playing() and not reading.cancel.wait(0.02):
            lost = backend.lost.is_set()
            if backend.playback_position() != position:
                position, moved = backend.playback_position(), time.monotonic()
            elif time.monotonic() - moved > STALLED_S:
                lost = True
            if lost:
                reason = LOST_AUDIO.format(backend.lost_reason or "it stopped taking sound")
                self._relay.post(self._failed, f"Reading aloud stopped. {reason}")
                return

    # The GUI thread --------------------------------------------------------------------------------

    def _failed(self, message: str) -> None:
        self.failed.emit(message)

    def _ended(self, reading: Reading) -> None:
        if reading is not self._reading:
            return
        self._reading = None
        self.stopped.emit(reading.message_id)
        if self._next is not None:
            self.audio.take(READING, self._begin)

    def close(self, timeout: float = JOIN_S) -> bool:
        """Stop and wait for the thread (the window is closing); True if it ended."""
        reading = self._reading
        self.stop()
        left = join_threads(self._threads, timeout, "reading aloud")
        if reading is not None:
            self._ended(reading)
        return not left
