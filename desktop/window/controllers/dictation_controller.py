"""Dictation into the message box: the microphone, the voice call's turn detector (Silero) cutting the
speech into stretches at its pauses, and faster-whisper writing each stretch as it is spoken: a
guess at a short pause between words once GUESS_EVERY_S more of it has been said (or after
GUESS_AT_LATEST_S without such a pause), replaced by the stretch's own transcription once a longer
pause ends it. Nothing is sent; the words go into the box to be edited.

A stretch ends after DICTATION_VAD's longer silence than a call's turn: Whisper hears a stretch of
a few words better than a word or two alone (JFK's "ask not", cut off by its own 0.6 s pause, came
out as "Not!"), and the guesses already show the words meanwhile. A guess is taken where the
speaker paused, not mid-word: a word cut in half is misheard, sometimes rudely.

Two threads, as in the voice loop: the listener (`longwit-dictation`) opens the microphone and runs
the detector on every frame the audio callback queues, never waiting for Whisper; the writer
(`longwit-dictation-words`) transcribes the stretches and guesses the listener hands it, a guess
only while it has nothing else to do. What they heard reaches the GUI thread through GuiRelay, and
the level meter is read by a timer, as a call's is. Stopping keeps what was said up to the press:
from then on the callback queues nothing, the listener closes the microphone at once, runs the
frames still queued through the detector and hands over the last stretch, and the writer
transcribes what it was given before both end. Cancelling (the text was sent, the window closes)
drops what is pending.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal

from desktop.diagnostics.error_report import report_error
from desktop.window.app_settings import AppSettings
from desktop.window.background import GuiRelay, join_threads
from desktop.window.controllers.shared_audio import DICTATION, SharedAudio, start_error_message
from media.audio_backend import SAMPLE_RATE
from media.duplex_loop import LOST_AUDIO
from media.metered_backend import MeteredBackend
from media.speech_to_text import SpeechToText
from media.vad import ShortPause, TurnDetector, TurnEnded, VadOptions

IDLE, STARTING, LISTENING, FINISHING = "idle", "starting", "listening", "finishing"
DICTATION_VAD = VadOptions(end_silence_s=1.2)
GUESS_EVERY_S = 0.6  # a new guess at a pause once this much more of the stretch has been said
GUESS_AT_LATEST_S = 1.5  # or this much, pause or not
METER_MS = 50
JOIN_S = 10.0

GUESS, SETTLE = "guess", "settle"
Job = tuple[str, np.ndarray]  # (GUESS or SETTLE, the audio) for the writer; None ends it


@dataclass
class Dictation:
    """One dictation, from the press that starts it to the closing of its microphone."""

    settings: AppSettings
    finish: threading.Event = field(default_factory=threading.Event)  # stop, keeping what was said
    cancel: threading.Event = field(default_factory=threading.Event)  # stop, dropping what is pending
    audio: MeteredBackend | None = None
    jobs: queue.SimpleQueue[Job | None] = field(default_factory=queue.SimpleQueue)
    writer_idle: threading.Event = field(default_factory=threading.Event)
    settled: list[str] = field(default_factory=list)  # the stretches transcribed (the writer's)


class DictationController(QObject):
    """Starts and stops dictation; every signal arrives on the GUI thread."""

    state_changed = Signal(str)  # IDLE, STARTING, LISTENING or FINISHING
    level_changed = Signal(float)  # the microphone's level, 0..1, about 20 times a second
    heard = Signal(str, str)  # all the stretches transcribed so far, and the guess at the one being said
    failed = Signal(str)  # a message for a person: dictation could not start, or its microphone went away
    stopped = Signal()  # the microphone is closed and the last words have been written

    def __init__(self, audio: SharedAudio, settings: Callable[[], AppSettings],
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.audio, self._settings = audio, settings
        self.state = IDLE
        self._dictation: Dictation | None = None
        self._threads: list[threading.Thread] = []
        self._relay = GuiRelay(self)
        self._timer = QTimer(self, interval=METER_MS)
        self._timer.timeout.connect(self._tick)

    @property
    def active(self) -> bool:
        """Dictation is starting, listening or writing its last words."""
        return self._dictation is not None

    def start(self) -> None:
        """Start listening (nothing happens while a dictation is already under way)."""
        if self._dictation is not None:
            return
        dictation = self._dictation = Dictation(self._settings())
        self._set_state(STARTING)
        thread = threading.Thread(target=lambda: self._run(dictation), name="longwit-dictation",
                                  daemon=True)
        self._threads = [t for t in self._threads if t.is_alive()] + [thread]
        thread.start()

    def stop(self) -> None:
        """Stop listening; what was said up to now is still written (`heard`), then `stopped`."""
        dictation = self._dictation
        if dictation is not None and not dictation.finish.is_set():
            dictation.finish.set()
            self._timer.stop()
            self.level_changed.emit(0.0)
            self._set_state(FINISHING)

    def cancel(self) -> None:
        """Stop listening and write nothing more."""
        dictation = self._dictation
        if dictation is not None:
            dictation.cancel.set()
            self.stop()

    # Its threads -----------------------------------------------------------------------------------

    def _run(self, dictation: Dictation) -> None:
        """The listener: open the microphone, load Whisper, start the writer, listen until stopped."""
        try:
            backend = self.audio.open(DICTATION)
        except Exception as error:  # no microphone: the window says what to do
            self._relay.post(self._failed, dictation,
                             start_error_message(error, "Dictation", "starting dictation"))
            self._relay.post(self._ended, dictation)
            return
        writer: threading.Thread | None = None
        try:
            stt, _voice = self.audio.speech_models(dictation.settings)
            _ = stt.model  # loaded before listening, so that nothing said waits on it
            detector = TurnDetector(DICTATION_VAD)
            writer = threading.Thread(target=lambda: self._write(dictation, stt), daemon=True,
                                      name="longwit-dictation-words")
            writer.start()
            frames: queue.SimpleQueue[np.ndarray] = queue.SimpleQueue()
            dictation.audio = audio = MeteredBackend(backend)
            audio.start(lambda frame: None if dictation.finish.is_set() else frames.put(frame))
            self._relay.post(self._listening, dictation)
            self._listen(dictation, audio, detector, frames)
        except Exception as error:
            dictation.cancel.set()
            message = report_error(error, "dictating")
            self._relay.post(self._failed, dictation, f"Dictation stopped: {message}")
        finally:
            backend.close()
            dictation.jobs.put(None)
            if writer is not None:
                writer.join()
            self._relay.post(self._ended, dictation)

    def _listen(self, dictation: Dictation, audio: MeteredBackend, detector: TurnDetector,
                frames: queue.SimpleQueue[np.ndarray]) -> None:
        every, latest = (round(seconds * SAMPLE_RATE) for seconds in (GUESS_EVERY_S, GUESS_AT_LATEST_S))
        since_guess = 0
        while not dictation.cancel.is_set():
            if dictation.finish.is_set():
                audio.close()  # no more frames; those already queued were said before the press
                while not frames.empty():
                    self._feed(dictation, detector, frames.get())
                for event in detector.finish():
                    dictation.jobs.put((SETTLE, event.audio))
                return
            try:
                frame = frames.get(timeout=0.05)
            except queue.Empty:
                if audio.lost.is_set():
                    reason = LOST_AUDIO.format(audio.lost_reason or "the stream stopped")
                    self._relay.post(self._failed, dictation, f"Dictation stopped. {reason}")
                    dictation.finish.set()  # what was heard so far is still written
                continue
            ended, paused = self._feed(dictation, detector, frame)
            if ended:
                since_guess = 0
            elif detector.speaking:
                since_guess += len(frame)
                due = since_guess >= latest or (paused and since_guess >= every)
                if due and dictation.writer_idle.is_set() and dictation.jobs.empty():
                    since_guess = 0
                    dictation.writer_idle.clear()
                    dictation.jobs.put((GUESS, detector.turn_so_far().audio))

    def _feed(self, dictation: Dictation, detector: TurnDetector, frame: np.ndarray) -> tuple[bool, bool]:
        """Run one frame through the detector: whether it ended a stretch (handed to the writer),
        and whether the speaker paused between words."""
        ended = paused = False
        for event in detector.feed(frame):
            if isinstance(event, TurnEnded):
                dictation.jobs.put((SETTLE, event.audio))
                ended = True
            paused = paused or isinstance(event, ShortPause)
        return ended, paused

    def _write(self, dictation: Dictation, stt: SpeechToText) -> None:
        """The writer: each stretch and guess to words, told to the GUI thread."""
        while True:
            dictation.writer_idle.set()
            job = dictation.jobs.get()
            if job is None:
                return
            kind, audio = job
            if dictation.cancel.is_set() or (kind == GUESS and not dictation.jobs.empty()):
                continue  # a guess overtaken by what came after it is not worth making
            try:
                text = stt.transcribe(audio).text.strip()
            except Exception as error:
                dictation.cancel.set()
                message = report_error(error, "transcribing dictation")
                self._relay.post(self._failed, dictation, f"Dictation stopped: {message}")
                return
            if kind == SETTLE and text:
                dictation.settled.append(text)
            self._relay.post(self._heard, dictation, " ".join(dictation.settled),
                             text if kind == GUESS else "")

    # The GUI thread --------------------------------------------------------------------------------

    def _listening(self, dictation: Dictation) -> None:
        if dictation is self._dictation and not dictation.finish.is_set():
            self._timer.start()
            self._set_state(LISTENING)

    def _heard(self, dictation: Dictation, settled: str, guess: str) -> None:
        if dictation is self._dictation and not dictation.cancel.is_set():
            self.heard.emit(settled, guess)

    def _failed(self, dictation: Dictation, message: str) -> None:
        if dictation is self._dictation:
            self.failed.emit(message)

    def _tick(self) -> None:
        dictation = self._dictation
        if dictation is not None and dictation.audio is not None:
            self.level_changed.emit(dictation.audio.take_level())

    def _ended(self, dictation: Dictation) -> None:
        if dictation is not self._dictation:
            return
        self._dictation = None
        self._timer.stop()
        self.level_changed.emit(0.0)
        self._set_state(IDLE)
        self.stopped.emit()

    def _set_state(self, state: str) -> None:
        if state != self.state:
            self.state = state
            self.state_changed.emit(state)

    def close(self, timeout: float = JOIN_S) -> bool:
        """Cancel and wait for the thread (the window is closing); True if it ended."""
        dictation = self._dictation
        self.cancel()
        left = join_threads(self._threads, timeout, "dictation")
        if dictation is not None:
            self._ended(dictation)
        return not left
