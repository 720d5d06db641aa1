"""A scripted voice call and the instruments that measure it: lines spoken by Piper are written into a
microphone file with where their speech really starts and ends (found in the audio's energy, not
taken from the VAD); a file backend notes on its own clock when reply audio was queued, and a wrapper
around `respond` notes when its first piece and first clause arrived, without changing either.
`longwit bench voice` (media/voice_benchmark.py) runs the real DuplexLoop on such files with them."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import soundfile

from media.audio_backend import FRAME_SECONDS, SAMPLE_RATE
from media.file_audio import FileAudioBackend
from media.speakable import SpeechChunker
from media.text_to_speech import TextToSpeech
from media.voice_events import BargeIn, LoopEvent, Respond, Retract, UserTurn

ONSET_FLOOR_DB = -40.0  # below the loudest 10 ms of an utterance: not yet speech


@dataclass(frozen=True)
class Utterance:
    """A scripted line as Piper speaks it, with where the speech really starts and ends in it."""

    text: str
    audio: np.ndarray
    onset_s: float
    end_s: float


# ---- Script -----------------------------------------------------------------------------------------


def speech_bounds(audio: np.ndarray, frame: int = SAMPLE_RATE // 100) -> tuple[float, float]:
    """Seconds from the start of `audio` to the first and past the last 10 ms frame within
    ONSET_FLOOR_DB of the loudest one."""
    usable = len(audio) // frame * frame
    rms = np.sqrt(np.mean(np.square(audio[:usable].reshape(-1, frame), dtype=np.float64), axis=1))
    loud = np.flatnonzero(rms >= max(rms.max() * 10 ** (ONSET_FLOOR_DB / 20), 1e-5))
    if not len(loud):
        return 0.0, 0.0
    return float(loud[0] * frame / SAMPLE_RATE), float((loud[-1] + 1) * frame / SAMPLE_RATE)


def utterance(tts: TextToSpeech, text: str) -> Utterance:
    audio = tts.synthesize(text)
    onset, end = speech_bounds(audio)
    return Utterance(text, audio, onset, end)


def silence(seconds: float) -> np.ndarray:
    return np.zeros(round(seconds * SAMPLE_RATE), dtype=np.float32)


def write_mic(path: Path, parts: Sequence[Utterance | float]) -> list[tuple[float, float]]:
    """A microphone file of speech and silences; the stream times where each utterance's speech
    starts and ends."""
    audio, bounds, at = [], [], 0.0
    for part in parts:
        if isinstance(part, Utterance):
            bounds.append((at + part.onset_s, at + part.end_s))
            audio.append(part.audio)
            at += len(part.audio) / SAMPLE_RATE
        else:
            audio.append(silence(part))
            at += len(audio[-1]) / SAMPLE_RATE
    soundfile.write(str(path), np.concatenate(audio), SAMPLE_RATE, subtype="FLOAT")
    return bounds

# ---- Instruments --------------------------------------------------------------------------------------


class TimedBackend(FileAudioBackend):
    """The file backend, noting on its own clock (frames delivered) when the first reply audio was
    queued and when playback was stopped: what the speaker did, whatever the listener thread knew."""

    first_play_s: float | None = None

    def now_s(self) -> float:
        return self.frames_delivered * FRAME_SECONDS

    def play(self, samples: np.ndarray) -> int:
        if self.first_play_s is None and len(samples):
            self.first_play_s = self.now_s()
        return super().play(samples)

    def played_s(self) -> float:
        return self.playback_position() / SAMPLE_RATE


@dataclass
class ReplyTiming:
    """When `respond` was called, gave its first piece and completed its first clause (stream time),
    and whether the loop retracted it (begun on a pause the person talked through)."""

    turn: UserTurn
    called_s: float
    first_piece_s: float | None = None
    first_clause_s: float | None = None
    first_clause: str = ""  # the text the loop synthesized first
    retracted: bool = False


class TimedRespond:
    """Wraps `respond` (and its `retract`) without changing them: the same pieces, in order, with their
    times noted. The clause boundary is the one the loop's own SpeechChunker finds in the same pieces."""

    def __init__(self, respond: Respond, clock: Callable[[], float], retract: Retract | None = None) -> None:
        self.inner, self.clock, self.inner_retract = respond, clock, retract
        self.calls: list[ReplyTiming] = []

    def answered(self) -> list[ReplyTiming]:
        """The calls whose replies were kept."""
        return [call for call in self.calls if not call.retracted]

    def retract(self, turn: UserTurn) -> None:
        for call in self.calls:
            if call.turn is turn:
                call.retracted = True
        if self.inner_retract is not None:
            self.inner_retract(turn)

    def __call__(self, turn: UserTurn, cancel: threading.Event) -> Iterator[str]:
        timing = ReplyTiming(turn, self.clock())
        self.calls.append(timing)
        chunker = SpeechChunker()
        for piece in self.inner(turn, cancel):
            timing.first_piece_s = timing.first_piece_s or self.clock()
            if timing.first_clause_s is None and (clauses := chunker.feed(piece)):
                timing.first_clause_s, timing.first_clause = self.clock(), clauses[0]
            yield piece
        if timing.first_clause_s is None:  # one sentence with nothing after it: the loop's chunker
            timing.first_clause_s = self.clock()  # hands it over when the reply ends (its flush)
            timing.first_clause = " ".join(chunker.flush())


@dataclass
class LoopRun:
    """One run of the loop on one microphone file, and everything it reported."""

    backend: TimedBackend
    respond: TimedRespond
    events: list[LoopEvent] = field(default_factory=list)
    barge_in_stops: list[float] = field(default_factory=list)  # backend time of each BargeIn

    def on_event(self, event: LoopEvent) -> None:
        if isinstance(event, BargeIn):
            self.barge_in_stops.append(self.backend.now_s())
        self.events.append(event)

    def of(self, kind: type) -> list[Any]:
        return [event for event in list(self.events) if isinstance(event, kind)]
