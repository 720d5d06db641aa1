"""What the voice loop reports (the person's turns, the replies as heard, barge-ins, failures) and the
two callables it is handed by its caller to answer a turn and to undo an answer begun on a guess."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from media.speech_to_text import Word
from storage.word_timings import WordTiming


@dataclass(frozen=True)
class UserTurn:
    text: str
    words: list[Word]  # times in seconds from audio_start_s
    speech_end_s: float  # stream time the person stopped speaking
    turn_end_s: float  # stream time the end of the turn was decided
    transcribed_s: float  # stream time the transcript was ready
    speculative: bool = False  # begun at the short pause, before the turn had ended
    speech_start_s: float = 0.0  # stream time the person started speaking (as the VAD placed it)
    audio_start_s: float = 0.0  # stream time of the first sample transcribed (a little before speech)

    def word_timings(self) -> list[WordTiming]:
        """The words with their times in stream seconds, as they are stored with the message."""
        at = self.audio_start_s
        return [WordTiming(w.text, at + w.start, at + w.end, w.probability) for w in self.words]


# (the turn heard, cancel) → reply pieces. With speculation the turn may still be a guess
# (`speculative`, its turn_end_s the pause): if the person goes on, the loop cancels the reply, closes
# the iterator and calls the matching Retract with the same turn, which undoes what respond saved.
Respond = Callable[[UserTurn, threading.Event], Iterable[str]]
Retract = Callable[[UserTurn], None]


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
