"""The hands-free voice conversation: microphone → turn-taking → speech recognition → `respond` →
clause-sized speech synthesis → speaker, with barge-in.

Three threads joined by queues, as GLaDOS does it: the audio backend's own thread only queues
microphone frames; the listener runs voice activity detection on every frame and decides when a
turn ends and when the person cuts in; the responder transcribes a finished turn, hands it (text and
word timings) to `respond` (the engine, passed in by the caller: media never imports engine), feeds
the reply through the clause chunker into Piper, and queues each clause for playback as soon as it
is synthesized, so the first words play while the rest is still being written. When the person
starts speaking over the reply, playback stops at once, generation is cancelled, and the reply is
reported clipped to what was actually played. When the backend's audio goes away mid-call (a device
unplugged), the loop says so once, stops playback and ends.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np

from media.audio_backend import FRAME_SAMPLES, SAMPLE_RATE, AudioBackend
from media.echo_canceller import EchoCanceller, NearEndGate
from media.speakable import SpeechChunker
from media.speech_to_text import SpeechToText, Transcript, Word
from media.text_to_speech import TextToSpeech
from media.vad import ShortPause, SpeechResumed, SpeechStarted, TurnDetector, TurnEnded, VadOptions
from storage.word_timings import WordTiming

POLL_S = 0.05
LOST_AUDIO = "The microphone or speaker went away ({}); plug it back in or choose another device."


@dataclass(frozen=True)
class LoopOptions:
    vad: VadOptions = field(default_factory=VadOptions)
    barge_in: bool = True  # the person may interrupt the reply by speaking
    # Transcribe at a short pause, before the turn is sure to have ended; if the person goes on,
    # the guess is thrown away, and if not, the end of the turn finds its transcript ready.
    speculate: bool = True
    # WebRTC echo cancellation against what the speaker played, so the app's own voice coming
    # back through the microphone is not taken for the person cutting in (media/echo_canceller.py).
    cancel_echo: bool = True


@dataclass(frozen=True)
class UserTurn:
    text: str
    words: list[Word]  # times in seconds from audio_start_s
    speech_end_s: float  # stream time the person stopped speaking
    turn_end_s: float  # stream time the end of the turn was decided
    transcribed_s: float  # stream time the transcript was ready
    speculative: bool = False  # transcribed at the short pause, before the turn had ended
    speech_start_s: float = 0.0  # stream time the person started speaking (as the VAD placed it)
    audio_start_s: float = 0.0  # stream time of the first sample transcribed (a little before speech)

    def word_timings(self) -> list[WordTiming]:
        """The words with their times in stream seconds, as they are stored with the message."""
        at = self.audio_start_s
        return [WordTiming(w.text, at + w.start, at + w.end, w.probability) for w in self.words]


Respond = Callable[[UserTurn, threading.Event], Iterable[str]]  # (the turn heard, cancel) → reply pieces


@dataclass(frozen=True)
class AssistantTurn:
    generated: str  # everything the model wrote
    heard: str  # what was played before the end or the interruption
    interrupted: bool
    speech_end_s: float  # the end of the user's speech this replies to
    first_audio_s: float | None  # stream time the first reply audio was queued to play


@dataclass(frozen=True)
class BargeIn:
    onset_s: float  # stream time the person started speaking (as the VAD placed it)
    stopped_s: float  # stream time playback was stopped


@dataclass(frozen=True)
class LoopFailed:
    message: str
    ended: bool = False  # the loop has stopped (its audio went away); otherwise one turn was lost


LoopEvent = UserTurn | AssistantTurn | BargeIn | LoopFailed


@dataclass
class Spoken:
    """A clause queued for playback: where it starts in the playback count, and its length."""

    text: str
    start: int
    samples: int


def heard_text(spoken: list[Spoken], position: int) -> str:
    """The reply as far as it was played: whole clauses, then the played share of the last one."""
    parts = []
    for clause in spoken:
        played = min(max(position - clause.start, 0), clause.samples)
        if played >= clause.samples:
            parts.append(clause.text)
        elif played > 0:
            words = clause.text.split()
            kept = words[: round(len(words) * played / clause.samples)]
            if kept:
                parts.append(" ".join(kept) + "…")
            break
        else:
            break
    return " ".join(parts)


class DuplexLoop:
    """Runs one voice conversation on an audio backend until stopped (or its microphone ends)."""

    def __init__(
        self,
        backend: AudioBackend,
        stt: SpeechToText,
        tts: TextToSpeech,
        respond: Respond,
        on_event: Callable[[LoopEvent], None],
        options: LoopOptions | None = None,
    ) -> None:
        self.backend, self.stt, self.tts, self.respond = backend, stt, tts, respond
        self.on_event = on_event
        self.options = options or LoopOptions()
        self.detector = TurnDetector(self.options.vad)
        self._frames: queue.Queue[tuple[np.ndarray, np.ndarray | None]] = queue.Queue()
        self._speaker_frame: np.ndarray | None = None  # the tick's reference, set on the audio thread
        self.echo = EchoCanceller() if self.options.cancel_echo else None
        self.gate = NearEndGate() if self.options.cancel_echo else None
        self._turns: queue.Queue[tuple[TurnEnded, Future[Transcript] | None]] = queue.Queue()
        self._guesser = ThreadPoolExecutor(max_workers=1, thread_name_prefix="voice-speculation")
        self._guess: tuple[int, Future[Transcript]] | None = None  # (audio length, transcript)
        self._running = threading.Event()
        self._playback_lock = threading.Lock()  # a barge-in and a clause being queued never interleave
        self._cancel: threading.Event | None = None  # the reply being generated or played, if any
        self._frame_count = 0  # frames the listener has finished with
        self._frames_heard = 0  # frames the backend has delivered
        self._threads: list[threading.Thread] = []
        self.idle = threading.Event()  # no turn waiting or being answered
        self.idle.set()
        self.ended = threading.Event()  # the loop stopped by itself: `failure` says why
        self.failure: LoopFailed | None = None
        # Each clause as it is queued to play (responder thread), for a caller that shows what is said
        # as it is heard: it starts playing when `backend.playback_position()` passes its `start`.
        self.on_clause: Callable[[Spoken], None] | None = None

    @property
    def now_s(self) -> float:
        """Stream time: frames heard so far, in seconds."""
        return self._frame_count * FRAME_SAMPLES / SAMPLE_RATE

    def warm_up(self) -> None:
        """Load the speech models and run each once, so the first turn does not pay for it."""
        silence = np.zeros(SAMPLE_RATE // 2, dtype=np.float32)
        self.stt.transcribe(silence)
        self.tts.synthesize("Hello.")

    def start(self) -> None:
        self._running.set()
        for target, name in ((self._listen, "voice-listener"), (self._answer, "voice-responder")):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)
        self.backend.start(self._heard, on_speaker=self._played)

    def _played(self, frame: np.ndarray) -> None:
        self._speaker_frame = frame

    def _heard(self, frame: np.ndarray) -> None:
        # Audio thread: only pair the frame with the same tick's speaker frame and queue it.
        self._frames_heard += 1
        self._frames.put((frame, self._speaker_frame))

    def quiet(self) -> bool:
        """Every frame heard has been listened to, no turn waits or is being answered, and nothing
        is playing: a scripted conversation is over once its microphone has ended too."""
        return (self._frame_count == self._frames_heard and self._turns.empty()
                and self.idle.is_set() and not self.backend.is_playing())

    def wait_until_quiet(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.quiet():
                return True
            time.sleep(POLL_S)
        return False

    def stop(self) -> None:
        """Stop generating and playing, end the threads in order, close the audio."""
        self._running.clear()
        if self._cancel is not None:
            self._cancel.set()
        self.backend.stop_playback()
        for thread in self._threads:
            thread.join(timeout=5)
        self._guesser.shutdown(wait=True, cancel_futures=True)
        self.backend.close()

    # ---- listener thread --------------------------------------------------------------------

    def _listen(self) -> None:
        while self._running.is_set():
            if self.backend.lost.is_set():
                self._audio_lost()
                return
            try:
                frame, speaker = self._frames.get(timeout=POLL_S)
            except queue.Empty:
                continue
            if self.echo is not None and self.gate is not None and speaker is not None:
                cleaned = self.echo.process(frame, speaker)
                frame = self.gate.choose(frame, cleaned, speaker, self.detector.speaking)
            self.detector.urgent = self.options.barge_in and self._cancel is not None
            for event in self.detector.feed(frame):
                self._handle(event)
            self._frame_count += 1

    def _handle(self, event: object) -> None:
        if isinstance(event, SpeechStarted | SpeechResumed):
            self._guess = None  # the person goes on: a guess at their words would be wrong
            if isinstance(event, SpeechStarted) and self.options.barge_in:
                self._barge_in(event.t)
        elif isinstance(event, ShortPause) and self.options.speculate:
            audio = self.detector.utterance_so_far()
            self._guess = (len(audio), self._guesser.submit(self.stt.transcribe, audio))
        elif isinstance(event, TurnEnded):
            guess = self._guess if self._guess and self._guess[0] == len(event.audio) else None
            self._guess = None
            self.idle.clear()
            self._turns.put((event, guess[1] if guess else None))

    def _barge_in(self, onset_s: float) -> None:
        with self._playback_lock:
            cancel = self._cancel
            if cancel is None or cancel.is_set():
                return
            cancel.set()
            self.backend.stop_playback()
        self.on_event(BargeIn(onset_s, self.now_s))

    def _audio_lost(self) -> None:
        """The device (or file) stopped mid-call: say so once, silence the reply, end the loop. The
        reply being played is reported as interrupted, clipped to what was heard before the loss."""
        self._running.clear()
        with self._playback_lock:
            if self._cancel is not None:
                self._cancel.set()
            self.backend.stop_playback()
        self.failure = LoopFailed(LOST_AUDIO.format(self.backend.lost_reason or "the stream stopped"),
                                  ended=True)
        self.on_event(self.failure)
        self.ended.set()

    # ---- responder thread -------------------------------------------------------------------

    def _answer(self) -> None:
        while self._running.is_set():
            try:
                turn, guess = self._turns.get(timeout=POLL_S)
            except queue.Empty:
                if self._turns.empty() and self._cancel is None:
                    self.idle.set()
                continue
            try:
                self._answer_turn(turn, guess)
            except Exception as error:  # one failed turn must not end the conversation
                self.on_event(LoopFailed(f"{type(error).__name__}: {error}"))
            finally:
                self._cancel = None

    def _answer_turn(self, turn: TurnEnded, guess: Future[Transcript] | None) -> None:
        transcript = guess.result() if guess is not None else self.stt.transcribe(turn.audio)
        if not transcript.text.strip():
            return  # noise or silence that looked like speech: no turn
        heard = UserTurn(transcript.text.strip(), transcript.words, turn.speech_end, turn.t, self.now_s,
                         guess is not None, turn.speech_start, turn.audio_start)
        self.on_event(heard)
        cancel = threading.Event()
        self._cancel = cancel
        spoken: list[Spoken] = []
        generated: list[str] = []
        first_audio: float | None = None
        chunker = SpeechChunker()
        for piece in self.respond(heard, cancel):
            if cancel.is_set():
                break
            generated.append(piece)
            for clause in chunker.feed(piece):
                first_audio = self._speak(clause, spoken, cancel) or first_audio
        if not cancel.is_set():
            for clause in chunker.flush():
                first_audio = self._speak(clause, spoken, cancel) or first_audio
        while self.backend.is_playing() and not cancel.is_set() and self._running.is_set():
            time.sleep(POLL_S / 2)
        position = self.backend.playback_position()
        self.on_event(AssistantTurn("".join(generated), heard_text(spoken, position),
                                    cancel.is_set(), turn.speech_end, first_audio))

    def _speak(self, clause: str, spoken: list[Spoken], cancel: threading.Event) -> float | None:
        """Synthesize a clause and queue it; the stream time it was queued, for the first one."""
        audio = self.tts.synthesize(clause)
        with self._playback_lock:
            if cancel.is_set() or not self._running.is_set() or not len(audio):
                return None
            start = self.backend.play(audio)
        spoken.append(Spoken(clause, start, len(audio)))
        if self.on_clause is not None:
            self.on_clause(spoken[-1])
        return self.now_s if len(spoken) == 1 else None
