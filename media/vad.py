"""Turn-taking for the voice loop: Silero VAD (the v6 ONNX model that ships inside faster-whisper) run on
a stream of 20 ms frames, turned into typed events — speech started, short pause, speech resumed, turn
ended with the utterance's audio.

Start of speech and end of turn have separate thresholds (one threshold for both would cut slow
speakers off). A short pause is only a hint that lets the loop start answering speculatively; the
turn ends after a longer silence (shorter or longer for this pause when the loop has judged the words
so far: `end_pause_after`), or when a monologue reaches `max_turn_s`, so memory stays bounded.
It runs on every frame, so buffers are allocated once and reused."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from media.audio_backend import SAMPLE_RATE

if TYPE_CHECKING:
    import onnxruntime

WINDOW_SAMPLES = 512  # what Silero wants at 16 kHz (32 ms)
CONTEXT_SAMPLES = 64  # Silero v6 sees the last 64 samples of the previous window before each window


@dataclass(frozen=True)
class VadOptions:
    """Thresholds on Silero's speech probability, and durations in seconds."""

    start_threshold: float = 0.6  # a window at or above this counts towards the start of speech
    min_speech_s: float = 0.15  # that much speech before SpeechStarted (clicks and coughs are shorter)
    # While the assistant is speaking (the loop sets TurnDetector.urgent), less is enough: every window
    # waited for is heard as the app talking over the person. Echo cancellation and the near-end
    # gate keep the app's own voice from reaching this point (media/echo_canceller.py).
    barge_in_speech_s: float = 0.064
    end_threshold: float = 0.35  # below this a window counts as silence once speech has started
    # That much silence ends the turn. 0.5 s cut 4 of 15 Piper sentence pairs with a 0.3 s pause between
    # them (the voice's own tails make the gap about 0.5 s); 0.6 s cut none.
    end_silence_s: float = 0.6
    # Once the loop has transcribed the words so far (at the short pause), the turn ends after this much
    # silence when they hand the turn over with a question or a request ("…on a clear day?", "Tell me a
    # joke."), and after this much when they trail off ("I was late because", "um,"):
    # media/turn_end.py. end_silence_s holds until then, without a guess, and for anything else.
    handover_silence_s: float = 0.4
    unfinished_silence_s: float = 1.0
    # That much silence is a ShortPause: the loop starts answering a guess, thrown away if speech resumes.
    short_pause_s: float = 0.032
    # Audio kept from before the onset, and after the last speech. Silero confirms a soft first word
    # late ("What color…" was placed 0.28 s after its energy onset): over 45 questions in Piper and
    # espeak-ng, word error was 0.071 with 0.2 s, 0.049 with 0.3 s, 0.051 with 0.4 s.
    pre_roll_s: float = 0.3
    max_turn_s: float = 30.0  # a longer monologue is cut into turns of this length


@dataclass(frozen=True, slots=True)
class SpeechStarted:
    t: float  # stream time of the onset (the first speech window), in seconds


@dataclass(frozen=True, slots=True)
class ShortPause:
    t: float  # stream time when the pause reached short_pause_s


@dataclass(frozen=True, slots=True)
class SpeechResumed:
    t: float


@dataclass(frozen=True, slots=True)
class TurnEnded:
    t: float  # stream time when the end was decided
    audio: np.ndarray  # the utterance, with pre_roll_s before the onset and after the last speech
    speech_end: float = 0.0  # stream time of the end of the last speech window
    capped: bool = False  # cut at max_turn_s rather than ended by silence
    speech_start: float = 0.0  # stream time of the onset (the first speech window)
    audio_start: float = 0.0  # stream time of audio[0]: times within the utterance count from here


VadEvent = SpeechStarted | ShortPause | SpeechResumed | TurnEnded

_NO_EVENTS: tuple[VadEvent, ...] = ()
_session: onnxruntime.InferenceSession | None = None
_session_lock = threading.Lock()


def silero_path() -> Path:
    from faster_whisper.utils import get_assets_path

    return Path(get_assets_path()) / "silero_vad_v6.onnx"


def silero_session() -> onnxruntime.InferenceSession:
    """The Silero ONNX session, loaded once per process; `run` is thread-safe, state lives in callers."""
    global _session
    with _session_lock:
        if _session is None:
            import onnxruntime

            options = onnxruntime.SessionOptions()
            options.inter_op_num_threads = 1  # a 32 ms window is too small to gain from threads
            options.intra_op_num_threads = 1
            options.log_severity_level = 4
            _session = onnxruntime.InferenceSession(
                str(silero_path()), providers=["CPUExecutionProvider"], sess_options=options
            )
        return _session


class SileroStream:
    """Speech probability of consecutive 512-sample windows, carrying the model's state between them."""

    def __init__(self) -> None:
        self._session = silero_session()
        self._input = np.zeros((1, CONTEXT_SAMPLES + WINDOW_SAMPLES), dtype=np.float32)
        self.reset()

    def reset(self) -> None:
        self._input.fill(0.0)
        self._h = np.zeros((1, 1, 128), dtype=np.float32)
        self._c = np.zeros((1, 1, 128), dtype=np.float32)

    def probability(self, window: np.ndarray) -> float:
        row = self._input[0]
        row[:CONTEXT_SAMPLES] = row[-CONTEXT_SAMPLES:]  # the previous window's tail is the context
        row[CONTEXT_SAMPLES:] = window
        probs, self._h, self._c = self._session.run(None, {"input": self._input, "h": self._h, "c": self._c})
        return float(probs.reshape(-1)[0])


class _Ring:
    """The last `size` samples of the stream, to recover the pre-roll once an onset is confirmed."""

    def __init__(self, size: int) -> None:
        self.data = np.zeros(size, dtype=np.float32)
        self.written = 0  # total samples ever written

    def write(self, samples: np.ndarray) -> None:
        size = len(self.data)
        if len(samples) >= size:
            samples = samples[-size:]
        start = self.written % size
        first = min(len(samples), size - start)
        self.data[start : start + first] = samples[:first]
        self.data[: len(samples) - first] = samples[first:]
        self.written += len(samples)

    def since(self, sample: int) -> np.ndarray:
        """The samples from stream position `sample` (clamped to what is kept) to now."""
        count = min(self.written - max(sample, 0), len(self.data), self.written)
        start = (self.written - count) % len(self.data)
        if start + count <= len(self.data):
            return self.data[start : start + count].copy()
        return np.concatenate((self.data[start:], self.data[: start + count - len(self.data)]))


class TurnDetector:
    """Fed 16 kHz mono float32 frames (any length, 20 ms nominal) in stream order; returns the events
    each frame completes (usually none)."""

    def __init__(self, options: VadOptions | None = None) -> None:
        self.options = options or VadOptions()
        opts = self.options
        self._min_speech = round(opts.min_speech_s * SAMPLE_RATE)
        self._barge_in_speech = round(min(opts.barge_in_speech_s, opts.min_speech_s) * SAMPLE_RATE)
        self.urgent = False  # the assistant is speaking: start a turn on barge_in_speech_s of speech
        self._short_pause = round(opts.short_pause_s * SAMPLE_RATE)
        self._end_silence = round(opts.end_silence_s * SAMPLE_RATE)
        self._pre_roll = round(opts.pre_roll_s * SAMPLE_RATE)
        self._max_turn = round(opts.max_turn_s * SAMPLE_RATE)
        # The onset is confirmed min_speech_s (or a little more) after it began: keep enough to reach back.
        self._history = _Ring(self._pre_roll + max(SAMPLE_RATE, 4 * self._min_speech) + WINDOW_SAMPLES)
        self._turn = np.zeros(self._max_turn + len(self._history.data) + 4 * WINDOW_SAMPLES, np.float32)
        self._window = np.zeros(WINDOW_SAMPLES, dtype=np.float32)
        self._silero = SileroStream()
        self.reset()

    def reset(self) -> None:
        """Forget the stream: the next frame is at time zero."""
        self._silero.reset()
        self._history.written = 0
        self._filled = 0  # samples waiting in self._window
        self._position = 0  # samples of the stream run through the model
        self._candidate: int | None = None  # stream sample where a possible onset began
        self._candidate_speech = 0
        self._speaking = False
        self._paused = False
        self._silence = 0
        self._pause_end = self._end_silence  # silence that ends this pause's turn (end_pause_after)
        self._turn_len = 0
        self._turn_start = 0  # stream sample of self._turn[0]
        self._onset = 0  # stream sample where the turn's speech began
        self._last_speech = 0  # stream sample at the end of the last speech window

    @property
    def speaking(self) -> bool:
        return self._speaking

    def feed(self, frame: np.ndarray) -> Sequence[VadEvent]:
        if frame.ndim != 1:
            raise ValueError(f"TurnDetector takes mono frames, not an array of shape {frame.shape}")
        events: list[VadEvent] | None = None
        for offset in range(0, len(frame), WINDOW_SAMPLES):
            piece = frame[offset : offset + WINDOW_SAMPLES]
            self._history.write(piece)
            if self._speaking:
                self._turn[self._turn_len : self._turn_len + len(piece)] = piece
                self._turn_len += len(piece)
            take = min(len(piece), WINDOW_SAMPLES - self._filled)
            self._window[self._filled : self._filled + take] = piece[:take]
            self._filled += take
            if self._filled == WINDOW_SAMPLES:
                new = self._step(self._silero.probability(self._window))
                if new:
                    events = (events or []) + new
                rest = len(piece) - take
                self._window[:rest] = piece[take:]
                self._filled = rest
        return events or _NO_EVENTS

    def turn_so_far(self) -> TurnEnded:
        """The turn in progress as it would end if it ended now: at a short pause the loop can begin
        answering it, and if the speech does not resume, TurnEnded carries the same speech (its
        audio differs at most in trailing silence)."""
        return self._as_ended(capped=False)

    def end_pause_after(self, seconds: float) -> None:
        """The pause in progress ends the turn after `seconds` of silence instead of end_silence_s (the
        loop judges it from the words heard so far); speech resuming restores end_silence_s."""
        if self._speaking and self._paused:
            self._pause_end = round(seconds * SAMPLE_RATE)

    def finish(self) -> Sequence[VadEvent]:
        """At the end of the stream: the turn in progress, if any, ends now."""
        if not self._speaking:
            return _NO_EVENTS
        return [self._end_turn(capped=False)]

    def _step(self, probability: float) -> list[VadEvent] | None:
        start = self._position
        self._position += WINDOW_SAMPLES
        if not self._speaking:
            return self._step_idle(probability, start)
        opts = self.options
        if probability >= (opts.start_threshold if self._paused else opts.end_threshold):
            self._silence, self._pause_end = 0, self._end_silence
            self._last_speech = self._position
            if self._paused:
                self._paused = False
                return [SpeechResumed(start / SAMPLE_RATE)]
        else:
            self._silence += WINDOW_SAMPLES
            if self._silence >= self._pause_end:
                return [self._end_turn(capped=False)]
            if not self._paused and self._silence >= self._short_pause:
                self._paused = True
                return [ShortPause(self._position / SAMPLE_RATE)]
        if self._turn_len >= self._max_turn:
            ended = self._end_turn(capped=True)
            self._begin_turn(self._history.written)  # the monologue goes on in a new turn
            self._onset = self._history.written
            return [ended, SpeechStarted(self._history.written / SAMPLE_RATE)]
        return None

    def _step_idle(self, probability: float, start: int) -> list[VadEvent] | None:
        opts = self.options
        if probability >= opts.start_threshold:
            if self._candidate is None:
                self._candidate = start
            self._candidate_speech += WINDOW_SAMPLES
        elif probability < opts.end_threshold or self._candidate is None:
            self._candidate, self._candidate_speech = None, 0
        needed = self._barge_in_speech if self.urgent else self._min_speech
        if self._candidate is None or self._candidate_speech < needed:
            return None
        onset = self._candidate
        self._candidate, self._candidate_speech = None, 0
        self._begin_turn(onset - self._pre_roll)
        self._onset = onset
        self._last_speech = self._position
        return [SpeechStarted(onset / SAMPLE_RATE)]

    def _begin_turn(self, from_sample: int) -> None:
        self._speaking, self._paused, self._silence = True, False, 0
        self._pause_end = self._end_silence
        kept = self._history.since(from_sample) if from_sample < self._history.written else self._turn[:0]
        self._turn[: len(kept)] = kept
        self._turn_len = len(kept)
        self._turn_start = self._history.written - len(kept)

    def _end_turn(self, capped: bool) -> TurnEnded:
        ended = self._as_ended(capped)
        self._speaking, self._paused, self._silence, self._turn_len = False, False, 0, 0
        return ended

    def _as_ended(self, capped: bool) -> TurnEnded:
        """The turn in progress (no audio when there is none) cut here: all of it when capped, else
        without the trailing silence beyond pre_roll_s."""
        end = self._turn_len if self._speaking else 0
        if not capped:
            end = min(end, max(0, self._last_speech - self._turn_start + self._pre_roll))
        audio = self._turn[:end].copy()
        return TurnEnded(self._position / SAMPLE_RATE, audio, self._last_speech / SAMPLE_RATE, capped,
                         self._onset / SAMPLE_RATE, self._turn_start / SAMPLE_RATE)
