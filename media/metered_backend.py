"""An audio backend as a call in the window uses it: the microphone's level is measured on every frame
for a meter, and the microphone can be muted, in which case the voice loop hears silence (so it neither
takes a turn nor cuts the reply short) while the speaker plays on.

It wraps any AudioBackend and passes everything else through unchanged, so the loop, its echo
canceller and its playback count see exactly what they would see without it."""

from __future__ import annotations

import math
import threading

import numpy as np

from media.audio_backend import AudioBackend, InputCallback

METER_FLOOR_DB = -60.0  # a quiet room reads as an empty meter; 0 dBFS as a full one


def meter_level(frame: np.ndarray) -> float:
    """A frame's loudness for a meter, 0..1: its RMS in dBFS, from METER_FLOOR_DB (0) to 0 dB (1)."""
    rms = float(np.sqrt(np.mean(np.square(frame, dtype=np.float64)))) if len(frame) else 0.0
    if rms <= 0.0:
        return 0.0
    db = 20.0 * math.log10(rms)
    return min(max((db - METER_FLOOR_DB) / -METER_FLOOR_DB, 0.0), 1.0)


class MeteredBackend:
    """`backend` with a level meter on its microphone and a mute."""

    def __init__(self, backend: AudioBackend) -> None:
        self.backend = backend
        self.sample_rate = backend.sample_rate
        self.muted = threading.Event()
        self._peak = 0.0  # the loudest frame since the meter was last read

    # The meter ---------------------------------------------------------------------------------

    def take_level(self) -> float:
        """The loudest frame's level (0..1) since the previous call; 0 while muted. Read it at the
        meter's own pace (the window does, 20 times a second): the audio thread only records a peak."""
        peak, self._peak = self._peak, 0.0
        return 0.0 if self.muted.is_set() else peak

    # AudioBackend --------------------------------------------------------------------------------

    @property
    def lost(self) -> threading.Event:
        return self.backend.lost

    @property
    def lost_reason(self) -> str | None:
        return self.backend.lost_reason

    def start(self, on_input: InputCallback, *, on_speaker: InputCallback | None = None) -> None:
        def heard(frame: np.ndarray) -> None:
            # The audio thread: one RMS of 320 samples and a compare, then hand the frame on.
            level = meter_level(frame)
            if level > self._peak:
                self._peak = level
            on_input(np.zeros_like(frame) if self.muted.is_set() else frame)

        self.backend.start(heard, on_speaker=on_speaker)

    def play(self, samples: np.ndarray) -> int:
        return self.backend.play(samples)

    def stop_playback(self) -> int:
        return self.backend.stop_playback()

    def playback_position(self) -> int:
        return self.backend.playback_position()

    def is_playing(self) -> bool:
        return self.backend.is_playing()

    def close(self) -> None:
        self.backend.close()
