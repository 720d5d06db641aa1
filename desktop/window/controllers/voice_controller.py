"""Voice mode in the window: the same hands-free loop as `longwit voice` (DuplexLoop, SpeechToText,
TextToSpeech and VoiceChat through VoiceConversation) on the open conversation and the window's
loaded model, reported to the GUI thread as Qt signals.

A call starts and stops off the GUI thread: starting opens the audio, loads whisper and Piper and runs
each once (a second or more); hanging up joins the loop's threads (up to a few seconds while a reply is
being cancelled). The loop's events arrive on its own threads and are relayed through GuiRelay. What
the window shows while a reply plays (the level meter and which clauses have been heard) is read
20 times a second by a timer on the GUI thread, so a loud microphone never floods the event loop.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

# The speech libraries, imported with the window rather than when a call starts: media/ imports
# them lazily so the command line stays quick, but an import on the call's starting thread holds
# the GIL for up to 0.1 s and stalls the window's event loop (measured by `longwit bench ui`).
import faster_whisper  # noqa: F401
import livekit.rtc  # noqa: F401
import piper  # noqa: F401
from PySide6.QtCore import QObject, QTimer, Signal

from desktop.diagnostics.error_report import details_hint
from desktop.window.app_settings import AppSettings
from desktop.window.background import GuiRelay, join_threads
from desktop.window.controllers.shared_audio import CALL, BackendFactory, SharedAudio, start_error_message
from engine.model_host import ModelHost
from engine.voice_conversation import VoiceConversation
from media.duplex_loop import DuplexLoop
from media.metered_backend import MeteredBackend
from media.spoken_reply import Spoken
from media.voice_events import AssistantTurn, BargeIn, LoopEvent, LoopFailed, UserTurn

STARTING, LISTENING, THINKING, SPEAKING, STOPPED = "starting", "listening", "thinking", "speaking", "stopped"
METER_MS = 50  # the meter and the spoken captions are read 20 times a second
VOICE_MAX_TOKENS = 120  # as `longwit voice`: a spoken answer of a few sentences
JOIN_S = 15.0  # hanging up waits this long for the call's threads at most


@dataclass
class Call:
    """One call: made on the GUI thread, filled in by the thread that starts it. `clauses` and
    `replying` are written by the loop's responder thread and read by the GUI's timer, under `lock`."""

    conversation_id: int
    hung_up: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    audio: MeteredBackend | None = None
    loop: DuplexLoop | None = None
    talk: VoiceConversation | None = None
    clauses: list[Spoken] = field(default_factory=list)
    replying: bool = False
    caption: str = ""  # the assistant caption last shown (GUI thread)
    starter: threading.Thread | None = None
    stopper: threading.Thread | None = None
    questions: list[int] = field(default_factory=list)  # the person's messages saved in this call

    def note_question(self, message_id: int | None) -> None:
        if message_id is not None:
            with self.lock:
                self.questions.append(message_id)

    def begin_reply(self) -> None:
        with self.lock:
            self.clauses, self.replying = [], True

    def end_reply(self) -> None:
        with self.lock:
            self.replying = False

    def add_clause(self, clause: Spoken) -> None:
        with self.lock:
            self.clauses.append(clause)

    def heard_clauses(self) -> list[str] | None:
        """The clauses of the reply being played that have begun to sound; None when none is playing."""
        audio = self.audio
        if audio is None or not audio.is_playing():
            return None
        position = audio.playback_position()
        with self.lock:
            if not self.replying:
                return None
            started = [clause.text for clause in self.clauses if clause.start < position]
        return started or None


class VoiceController(QObject):
    """Starts and ends voice calls; every signal arrives on the GUI thread."""

    state_changed = Signal(str)  # STARTING, LISTENING, THINKING, SPEAKING or STOPPED
    level_changed = Signal(float)  # the microphone's level, 0..1, about 20 times a second
    user_said = Signal(str)  # what the person said, as transcribed
    assistant_said = Signal(str)  # the reply as far as it has been heard, a clause at a time
    turn_saved = Signal(int)  # conversation id: a turn was written to it (reload to show it)
    interrupted = Signal(object)  # BargeIn: the person spoke over the reply and playback stopped
    answer_ended = Signal(object)  # AssistantTurn: the reply finished playing or was cut short
    failed = Signal(str)  # a message for a person: the call could not start, lost a turn, or ended
    call_started = Signal(int)  # conversation id, once the loop is listening
    # The call's conversation and the person's messages it saved (those of a reply begun on a guess
    # and taken back included: they are deleted), once its audio is closed.
    call_ended = Signal(int, object)
    muted_changed = Signal(bool)

    def __init__(self, host: ModelHost, database: Path, audio: SharedAudio | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.host, self.database = host, database
        self.audio = audio or SharedAudio(parent=self)
        self.state = STOPPED
        self.muted = False
        self._call: Call | None = None
        self._relay = GuiRelay(self)
        self._threads: list[threading.Thread] = []  # starting and stopping calls, joined by close()
        self._timer = QTimer(self, interval=METER_MS)
        self._timer.timeout.connect(self._tick)

    @property
    def backend_factory(self) -> BackendFactory | None:
        """The window's one way to open its sound (`SharedAudio.backend_factory`), which dictation and
        reading aloud use too; set it to a file backend to call through recordings."""
        return self.audio.backend_factory

    @backend_factory.setter
    def backend_factory(self, factory: BackendFactory | None) -> None:
        self.audio.backend_factory = factory

    @property
    def active(self) -> bool:
        """A call is starting, running or ending."""
        return self._call is not None

    @property
    def conversation_id(self) -> int | None:
        return self._call.conversation_id if self._call else None

    # Starting -----------------------------------------------------------------------------------

    def start(self, conversation_id: int, settings: AppSettings) -> None:
        """Start a call in `conversation_id` with the voice, speech model and sampling of `settings`."""
        if self._call is not None:
            return
        call = self._call = Call(conversation_id)
        self._set_state(STARTING)
        call.starter = self._start_thread("longwit-voice-start", lambda: self._open(call, settings))

    def _start_thread(self, name: str, target: Callable[[], None]) -> threading.Thread:
        """A thread of this controller's, kept until it ends so that `close` can join it."""
        thread = threading.Thread(target=target, name=name, daemon=True)
        self._threads = [t for t in self._threads if t.is_alive()] + [thread]
        thread.start()
        return thread

    def _open(self, call: Call, settings: AppSettings) -> None:
        """The starting thread: audio first (the likeliest to fail, and the quickest), then the models."""
        try:
            backend = self.audio.open(CALL)
        except Exception as error:  # the window shows it; the call never began
            self._relay.post(self._start_failed, call, start_error_message(error))
            return
        try:
            call.audio = audio = MeteredBackend(backend)
            if self.muted:
                audio.muted.set()
            stt, tts = self.audio.speech_models(settings)
            options = replace(settings.generation_options(),
                              max_tokens=min(settings.max_tokens, VOICE_MAX_TOKENS))
            call.talk = talk = VoiceConversation(self.host, call.conversation_id, options, self.database)
            loop = DuplexLoop(audio, stt, tts, self._respond(call, talk),
                              lambda event: self._heard(call, event), retract=talk.retract)
            loop.on_clause = call.add_clause
            loop.on_responder_end = talk.release_thread
            loop.warm_up()
            with call.lock:
                if call.hung_up.is_set():
                    backend.close()
                    return
                call.loop = loop
            loop.start()
        except Exception as error:
            if call.loop is not None:
                call.loop.stop()  # joins whatever started, and closes the audio
                call.loop = None
            else:
                backend.close()
            self._relay.post(self._start_failed, call, start_error_message(error))
            return
        self._relay.post(self._started, call)

    def _started(self, call: Call) -> None:
        if call is not self._call or call.hung_up.is_set():
            return
        self._timer.start()
        self._set_state(LISTENING)
        self.call_started.emit(call.conversation_id)

    def _start_failed(self, call: Call, message: str) -> None:
        if call is self._call:
            self.failed.emit(message)
            self._finish(call)

    # The loop's threads --------------------------------------------------------------------------

    def _respond(self, call: Call, talk: VoiceConversation) -> Callable[[UserTurn, threading.Event],
                                                                        Iterator[str]]:
        """The conversation's `respond`, telling the window once the question is saved. A reply begun
        on a guess is shown when the loop reports its turn (see `_heard`): until then it may be
        retracted."""

        def respond(turn: UserTurn, cancel: threading.Event) -> Iterator[str]:
            pieces = iter(talk.respond(turn, cancel))
            try:
                try:
                    first = next(pieces, None)  # the question is saved before the first piece comes
                    call.note_question(talk.last_question_id)
                finally:
                    if not turn.speculative:
                        self._relay.post(self._saved, call)
                if first is not None:
                    yield first
                    yield from pieces
            finally:
                close = getattr(pieces, "close", None)
                if close is not None:
                    close()  # the answer is saved (cut, when cancelled) before the loop goes on

        return respond

    def _heard(self, call: Call, event: LoopEvent) -> None:
        """A loop thread: keep the reply's clauses in step, save a cut answer, relay the event."""
        if isinstance(event, UserTurn):
            call.begin_reply()
            if event.speculative:  # reported once sure, after its question was saved
                self._relay.post(self._saved, call)
        elif isinstance(event, AssistantTurn):
            call.end_reply()
        if call.talk is not None:
            call.talk.on_event(event)
        self._relay.post(self._event, call, event)

    # The GUI thread ---------------------------------------------------------------------------------

    def _event(self, call: Call, event: LoopEvent) -> None:
        if call is not self._call:
            return
        if isinstance(event, UserTurn):
            self.user_said.emit(event.text)
            self._caption(call, "")
            self._set_state(THINKING)
        elif isinstance(event, BargeIn):
            self.interrupted.emit(event)
            self._set_state(LISTENING)
        elif isinstance(event, AssistantTurn):
            self._caption(call, event.heard)
            self.answer_ended.emit(event)
            self.turn_saved.emit(call.conversation_id)
            if not call.hung_up.is_set():
                self._set_state(LISTENING)
        elif isinstance(event, LoopFailed):
            # A lost turn is a bug, logged with its traceback by the loop; lost audio is not.
            self.failed.emit(event.message if event.ended else f"{event.message}{details_hint()}")
            if event.ended:
                self.hang_up()

    def _saved(self, call: Call) -> None:
        if call is self._call:
            self.turn_saved.emit(call.conversation_id)

    def _tick(self) -> None:
        call = self._call
        if call is None or call.audio is None or call.hung_up.is_set():
            return
        self.level_changed.emit(call.audio.take_level())
        heard = call.heard_clauses()
        if heard is not None:
            self._caption(call, " ".join(heard))
            self._set_state(SPEAKING)

    def _caption(self, call: Call, text: str) -> None:
        if text != call.caption:
            call.caption = text
            self.assistant_said.emit(text)

    def _set_state(self, state: str) -> None:
        if state != self.state:
            self.state = state
            self.state_changed.emit(state)

    # Mute and hang up ----------------------------------------------------------------------------

    def set_muted(self, muted: bool) -> None:
        """While muted the loop hears silence: it takes no turn and is not interrupted."""
        if muted == self.muted:
            return
        self.muted = muted
        call = self._call
        if call is not None and call.audio is not None:
            (call.audio.muted.set if muted else call.audio.muted.clear)()
        self.muted_changed.emit(muted)

    def hang_up(self) -> None:
        """End the call: the reply being played stops (saved as what was heard), the loop's threads are
        joined and the audio closed, off the GUI thread; `call_ended` follows."""
        call = self._call
        if call is None or call.hung_up.is_set():
            return
        with call.lock:
            call.hung_up.set()
        self._timer.stop()
        self.level_changed.emit(0.0)
        call.stopper = self._start_thread("longwit-voice-stop", lambda: self._close_call(call))

    def _close_call(self, call: Call) -> None:
        if call.starter is not None:
            call.starter.join()  # a call still warming up sees `hung_up` and never starts its loop
        if call.loop is not None:
            call.loop.stop()
        if call.talk is not None:
            call.talk.close()
        self._relay.post(self._finish, call)

    def _finish(self, call: Call) -> None:
        if call is not self._call:
            return
        self._call = None
        self._timer.stop()
        self.set_muted(False)  # the next call starts with the microphone on
        self._set_state(STOPPED)
        with call.lock:
            questions = tuple(call.questions)
        self.call_ended.emit(call.conversation_id, questions)

    def close(self, timeout: float = JOIN_S) -> bool:
        """Hang up and wait for the calls' threads, a call that ended a moment ago included (for the
        window closing); True if they all ended."""
        call = self._call
        if call is not None:
            self.hang_up()
        left = join_threads(self._threads, timeout, "the voice call")
        if call is not None:
            self._finish(call)
        return not left
