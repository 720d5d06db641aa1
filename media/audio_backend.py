"""The one small interface between the voice loop and sound: 16 kHz mono float32 frames of a fixed size
come in through a callback, speaker audio goes out through a queue that can be emptied at once.

Every backend runs one frame clock. At each tick it takes one frame from its microphone and one frame
from the `PlaybackQueue` (silence when the queue is empty), so "what was played" is counted in whole
frames on the same clock as what was heard: the voice loop can clip an interrupted reply to the part
the user actually heard, and an echo canceller gets the exact reference frame that went to the speaker.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from typing import Protocol

import numpy as np

SAMPLE_RATE = 16_000
FRAME_SAMPLES = 320  # 20 ms: two of WebRTC's 10 ms frames; a VAD regroups frames into its own windows
FRAME_SECONDS = FRAME_SAMPLES / SAMPLE_RATE

InputCallback = Callable[[np.ndarray], None]
"""Receives each microphone frame (FRAME_SAMPLES float32 samples, a fresh array) on the backend's own
thread; it must only enqueue the frame and return."""


class AudioBackend(Protocol):
    sample_rate: int
    lost: threading.Event
    """Set when the stream stops by itself mid-call (a device unplugged, the sound server gone, a file
    that cannot be written), never by `close()`; the voice loop watches it and ends the call."""

    @property
    def lost_reason(self) -> str | None:
        """What went away, in a few words for a person, once `lost` is set."""

    def start(self, on_input: InputCallback, *, on_speaker: InputCallback | None = None) -> None:
        """Start the frame clock; microphone frames go to `on_input` from the backend's thread, and
        each tick's speaker frame to `on_speaker` just before (the echo canceller's reference)."""

    def play(self, samples: np.ndarray) -> int:
        """Queue 16 kHz mono float32 audio for the speaker and return at once. Returns the
        `playback_position()` at which its first sample will count as played."""

    def stop_playback(self) -> int:
        """Drop everything queued and go silent from the next frame. Returns how many samples of queued
        audio were played since the previous `stop_playback()` (or since `start`)."""

    def playback_position(self) -> int:
        """Samples of queued audio played so far in total (silence between replies is not counted)."""

    def is_playing(self) -> bool:
        """Whether queued audio remains to be played."""

    def close(self) -> None:
        """Stop the clock, release the device or files and join every thread the backend started."""


def as_mono_float32(samples: np.ndarray) -> np.ndarray:
    """`samples` as a 1-D float32 array, or a ValueError (a caller's bug, not a user's mistake)."""
    audio = np.asarray(samples, dtype=np.float32)
    if audio.ndim != 1:
        raise ValueError(f"speaker audio must be mono (1-D), got shape {audio.shape}")
    return audio


class PlaybackQueue:
    """Speaker audio waiting to be played, drained one frame per clock tick by the backend's thread.

    `play` and `stop` come from any thread; `next_frame` from the clock thread. One lock guards the
    queue and the counters, held only for a copy of at most one frame."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._chunks: deque[np.ndarray] = deque()
        self._head_offset = 0  # samples of _chunks[0] already played
        self._pending = 0  # samples queued and not yet played
        self._played = 0  # samples of queued audio played, ever
        self._played_at_stop = 0

    def play(self, samples: np.ndarray) -> int:
        audio = as_mono_float32(samples)
        with self._lock:
            start = self._played + self._pending
            if len(audio):
                self._chunks.append(audio.copy())
                self._pending += len(audio)
            return start

    def stop(self) -> int:
        with self._lock:
            self._chunks.clear()
            self._head_offset = 0
            self._pending = 0
            played, self._played_at_stop = self._played - self._played_at_stop, self._played
            return played

    def position(self) -> int:
        with self._lock:
            return self._played

    def is_playing(self) -> bool:
        with self._lock:
            return self._pending > 0

    def next_frame(self, size: int = FRAME_SAMPLES) -> np.ndarray:
        """The next `size` samples to send to the speaker, padded with silence; counted as played."""
        frame = np.zeros(size, dtype=np.float32)
        filled = 0
        with self._lock:
            while filled < size and self._chunks:
                head = self._chunks[0]
                take = min(size - filled, len(head) - self._head_offset)
                frame[filled : filled + take] = head[self._head_offset : self._head_offset + take]
                filled += take
                self._head_offset += take
                if self._head_offset == len(head):
                    self._chunks.popleft()
                    self._head_offset = 0
            self._pending -= filled
            self._played += filled
        return frame


class QueuedPlayback:
    """The playback half of AudioBackend for backends that drain a PlaybackQueue on their clock."""

    _playback: PlaybackQueue

    def play(self, samples: np.ndarray) -> int:
        return self._playback.play(samples)

    def stop_playback(self) -> int:
        return self._playback.stop()

    def playback_position(self) -> int:
        return self._playback.position()

    def is_playing(self) -> bool:
        return self._playback.is_playing()
