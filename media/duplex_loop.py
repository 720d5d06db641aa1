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

Speculative start: at a short pause the responder already transcribes what was said and, given a
`retract` that can undo a reply, starts answering it, holding the synthesized clauses. When the
silence becomes the end of the turn the held clauses play at once; when the person goes on, the
reply is cancelled and `retract` removes what it saved, and no event is reported for it. The same
transcript decides how long that silence must be: short after a question or a request, long after
words that trail off (media/turn_end.py).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np

from media.audio_backend import FRAME_SAMPLES, SAMPLE_RATE, AudioBackend
from media.echo_canceller import EchoCanceller, NearEndGate
from media.speakable import SpeechChunker
from media.speech_to_text import SpeechToText, Transcript
from media.spoken_reply import Spoken, SpokenReply, heard_text, voiced_span
from media.text_to_speech import TextToSpeech
from media.turn_end import silence_to_end
from media.vad import ShortPause, SpeechResumed, SpeechStarted, TurnDetector, TurnEnded, VadOptions
from media.voice_events import AssistantTurn, BargeIn, LoopEvent, LoopFailed, Respond, Retract, UserTurn

logger = logging.getLogger(__name__)

POLL_S = 0.05
LOST_AUDIO = "The microphone or speaker went away ({}); plug it back in or choose another device."


@dataclass(frozen=True)
class LoopOptions:
    vad: VadOptions = field(default_factory=VadOptions)
    barge_in: bool = True  # the person may interrupt the reply by speaking
    # Transcribe (and, with a `retract`, start answering) at a short pause, before the turn is sure to
    # have ended; if the person goes on, the guess is thrown away, and if not, the end of the turn
    # finds its transcript, or the reply's first clause, ready.
    speculate: bool = True
    # WebRTC echo cancellation against what the speaker played, so the app's own voice coming
    # back through the microphone is not taken for the person cutting in (media/echo_canceller.py).
    cancel_echo: bool = True


class Guess:
    """A turn begun at a short pause. The listener settles it: `confirm` when the silence became the
    end of the turn, `drop` when the person went on; the responder reads it."""

    def __init__(self, turn: TurnEnded) -> None:
        self.turn = turn  # the turn as it stood at the pause
        self.ended: TurnEnded | None = None  # the turn as it ended, once confirmed
        self.reply: SpokenReply | None = None  # the reply begun on it, if any
        self.settled = threading.Event()
        # Silence that ends this pause, judged from the words transcribed (media/turn_end.py); the
        # responder sets it, the listener hands it to the turn detector.
        self.end_after_s: float | None = None

    @property
    def dropped(self) -> bool:
        return self.settled.is_set() and self.ended is None


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
        retract: Retract | None = None,
    ) -> None:
        self.backend, self.stt, self.tts, self.respond = backend, stt, tts, respond
        self.on_event = on_event
        self.retract = retract  # without it a reply waits for the end of the turn
        self.options = options or LoopOptions()
        self.detector = TurnDetector(self.options.vad)
        self._frames: queue.Queue[tuple[np.ndarray, np.ndarray | None]] = queue.Queue()
        self._speaker_frame: np.ndarray | None = None  # the tick's reference, set on the audio thread
        self.echo = EchoCanceller() if self.options.cancel_echo else None
        self.gate = NearEndGate() if self.options.cancel_echo else None
        self._turns: queue.Queue[TurnEnded | Guess] = queue.Queue()
        self._guess: Guess | None = None  # the turn begun at the current short pause (listener)
        self._running = threading.Event()
        self._playback_lock = threading.Lock()  # a barge-in and a clause being queued never interleave
        self._cancel: threading.Event | None = None  # the reply being played, if any
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
        # Called on the responder thread as it ends, so that `respond` can close what it opened on
        # that thread (its SQLite connection: one connection belongs to one thread).
        self.on_responder_end: Callable[[], None] | None = None

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
            if self._guess is not None and self._guess.end_after_s is not None:
                self.detector.end_pause_after(self._guess.end_after_s)
            for event in self.detector.feed(frame):
                self._handle(event)
            self._frame_count += 1

    def _handle(self, event: object) -> None:
        if isinstance(event, SpeechStarted | SpeechResumed):
            self._drop_guess()  # the person goes on: a guess at their words would be wrong
            if isinstance(event, SpeechStarted) and self.options.barge_in:
                self._barge_in(event.t)
        elif isinstance(event, ShortPause) and self.options.speculate:
            self._guess = Guess(self.detector.turn_so_far())
            self.idle.clear()
            self._turns.put(self._guess)
        elif isinstance(event, TurnEnded):
            guess, self._guess = self._guess, None
            self.idle.clear()
            if guess is not None and not event.capped:
                self._confirm(guess, event)
            else:
                self._drop(guess)
                self._turns.put(event)

    def _drop_guess(self) -> None:
        guess, self._guess = self._guess, None
        self._drop(guess)

    def _drop(self, guess: Guess | None) -> None:
        if guess is None:
            return
        with self._playback_lock:
            guess.settled.set()
            if guess.reply is not None:
                guess.reply.cancel.set()

    def _confirm(self, guess: Guess, ended: TurnEnded) -> None:
        """The turn ended where the guess was made: what its reply holds plays now."""
        with self._playback_lock:
            guess.ended = ended
            guess.settled.set()
            if guess.reply is not None:
                self._release(guess.reply)

    def _release(self, reply: SpokenReply) -> None:
        """Under the playback lock: let the reply play, starting with what it holds."""
        reply.released = True
        self._cancel = reply.cancel
        for text, audio, lengths in reply.held:
            self._play(text, audio, reply, lengths)
        reply.held.clear()

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
        logger.warning("%s", self.failure.message)
        self.on_event(self.failure)
        self.ended.set()

    # ---- responder thread -------------------------------------------------------------------

    def _answer(self) -> None:
        try:
            self._answer_turns()
        finally:
            if self.on_responder_end is not None:
                self.on_responder_end()

    def _answer_turns(self) -> None:
        while self._running.is_set():
            try:
                job = self._turns.get(timeout=POLL_S)
            except queue.Empty:
                if self._turns.empty() and self._cancel is None:
                    self.idle.set()
                continue
            try:
                if isinstance(job, Guess):
                    self._answer_guess(job)
                else:
                    self._answer_turn(job)
            except Exception as error:  # one failed turn must not end the conversation
                logger.error("a voice turn failed", exc_info=True)
                self.on_event(LoopFailed(f"{type(error).__name__}: {error}"))
            finally:
                self._cancel = None

    def _answer_turn(self, turn: TurnEnded) -> None:
        transcript = self.stt.transcribe(turn.audio)
        if transcript.text.strip():
            heard = self._user_turn(turn, transcript, turn.t, speculative=False)
            self.on_event(heard)
            self._reply(heard, self._open_reply(None), None)

    def _answer_guess(self, guess: Guess) -> None:
        if guess.dropped:
            return
        transcript = self.stt.transcribe(guess.turn.audio)
        if guess.dropped or not transcript.text.strip():
            return
        guess.end_after_s = silence_to_end(transcript.text, self.detector.options)
        heard = self._user_turn(guess.turn, transcript, guess.turn.t, speculative=True)
        if self.retract is None:  # a reply that cannot be undone waits until the turn is sure
            if self._settled(guess) and guess.ended is not None:
                heard = replace(heard, turn_end_s=guess.ended.t)
                self.on_event(heard)
                self._reply(heard, self._open_reply(None), None)
            return
        self._reply(heard, self._open_reply(guess), guess)

    def _user_turn(self, turn: TurnEnded, transcript: Transcript, decided_s: float,
                   speculative: bool) -> UserTurn:
        return UserTurn(transcript.text.strip(), transcript.words, turn.speech_end, decided_s, self.now_s,
                        speculative, turn.speech_start, turn.audio_start)

    def _open_reply(self, guess: Guess | None) -> SpokenReply:
        with self._playback_lock:
            reply = SpokenReply(released=False)
            if guess is None or guess.ended is not None:
                self._release(reply)
            if guess is not None:
                guess.reply = reply
                if guess.dropped:
                    reply.cancel.set()
            return reply

    def _settled(self, guess: Guess) -> bool:
        """Wait until the listener confirms or drops the guess; False if the loop stops first."""
        while not guess.settled.wait(POLL_S / 2):
            if not self._running.is_set():
                return False
        return True

    def _reply(self, heard: UserTurn, reply: SpokenReply, guess: Guess | None) -> None:
        """Generate, synthesize and play the reply to `heard`. On a guess, clauses are held until it is
        settled (and no more is synthesized meanwhile); a dropped guess's reply is retracted."""
        generated: list[str] = []
        chunker = SpeechChunker()
        pieces = iter(self.respond(heard, reply.cancel))
        reported = guess is None
        try:
            for piece in pieces:
                if reply.cancel.is_set() or not self._running.is_set():
                    reply.cancel.set()
                    break
                generated.append(piece)
                reported = reported or self._report(heard, guess)
                for clause in chunker.feed(piece):
                    self._speak(clause, reply)
                    if guess is not None and not reported and self._settled(guess):
                        reported = self._report(heard, guess)
                    self._announce(reply, reported)
            if not reply.cancel.is_set():
                for clause in chunker.flush():
                    self._speak(clause, reply)
        finally:
            close = getattr(pieces, "close", None)
            if close is not None:
                close()  # the answer is saved (cut, if cancelled) before the loop goes on
        if guess is not None and not (self._settled(guess) and guess.ended is not None):
            if self.retract is not None:
                self.retract(heard)
            return
        reported = reported or self._report(heard, guess)
        self._announce(reply, reported)
        while self.backend.is_playing() and not reply.cancel.is_set() and self._running.is_set():
            time.sleep(POLL_S / 2)
        position = self.backend.playback_position()
        self.on_event(AssistantTurn("".join(generated), heard_text(reply.spoken, position),
                                    reply.cancel.is_set(), heard.speech_end_s, reply.first_audio_s))

    def _report(self, heard: UserTurn, guess: Guess | None) -> bool:
        """Report a guessed turn once it is confirmed (its question is saved by now); True once done."""
        if guess is None or guess.ended is None:
            return guess is None
        self.on_event(replace(heard, turn_end_s=guess.ended.t))
        return True

    def _speak(self, clause: str, reply: SpokenReply) -> None:
        """Synthesize a clause and queue it, or hold it while the reply waits for its turn to be sure."""
        audio = self.tts.synthesize(clause)
        lengths = self.tts.word_lengths(clause)  # to say how much of it was heard, if cut
        with self._playback_lock:
            if reply.cancel.is_set() or not self._running.is_set() or not len(audio):
                return
            if reply.released:
                self._play(clause, audio, reply, lengths)
            else:
                reply.held.append((clause, audio, lengths))

    def _play(self, clause: str, audio: np.ndarray, reply: SpokenReply,
              lengths: tuple[int, ...] = ()) -> None:
        """Under the playback lock: queue the clause after what is playing."""
        start = self.backend.play(audio)
        reply.spoken.append(Spoken(clause, start, len(audio), lengths, voiced_span(audio)))
        if reply.first_audio_s is None:
            reply.first_audio_s = self.now_s

    def _announce(self, reply: SpokenReply, reported: bool) -> None:
        """Hand the clauses queued so far to on_clause, once the turn they answer has been reported."""
        if not reported or self.on_clause is None:
            return
        with self._playback_lock:
            new = reply.spoken[reply.announced:]
            reply.announced = len(reply.spoken)
        for clause in new:
            self.on_clause(clause)
