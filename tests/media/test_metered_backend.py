"""The call's microphone meter and mute, on a stand-in backend driven by hand: a muted microphone reaches
the loop as silence while the meter reads zero, and everything else passes through."""

from __future__ import annotations

import threading

import numpy as np

from media.audio_backend import FRAME_SAMPLES, SAMPLE_RATE, InputCallback, PlaybackQueue, QueuedPlayback
from media.metered_backend import MeteredBackend, meter_level


class HandBackend(QueuedPlayback):
    """Delivers the frames a test hands it, on the test's own thread."""

    sample_rate = SAMPLE_RATE

    def __init__(self) -> None:
        self._playback = PlaybackQueue()
        self.lost = threading.Event()
        self.lost_reason = None
        self.on_input: InputCallback | None = None
        self.closed = False

    def start(self, on_input: InputCallback, *, on_speaker: InputCallback | None = None) -> None:
        self.on_input = on_input

    def deliver(self, frame: np.ndarray) -> None:
        assert self.on_input is not None
        self.on_input(frame)

    def close(self) -> None:
        self.closed = True


def tone(amplitude: float) -> np.ndarray:
    t = np.arange(FRAME_SAMPLES) / SAMPLE_RATE
    return (amplitude * np.sin(2 * np.pi * 440 * t)).astype(np.float32)


def test_meter_reads_decibels_from_silence_to_full_scale() -> None:
    assert meter_level(np.zeros(FRAME_SAMPLES, dtype=np.float32)) == 0.0
    assert meter_level(np.ones(FRAME_SAMPLES, dtype=np.float32)) == 1.0
    loud, quiet = meter_level(tone(0.5)), meter_level(tone(0.005))
    assert 0.8 < loud < 1.0 and 0.0 < quiet < 0.4  # -9 dB and -49 dB on a 60 dB scale


def test_the_meter_holds_the_loudest_frame_until_it_is_read() -> None:
    inner = HandBackend()
    metered = MeteredBackend(inner)
    heard: list[np.ndarray] = []
    metered.start(heard.append)
    for amplitude in (0.01, 0.5, 0.01):
        inner.deliver(tone(amplitude))
    assert metered.take_level() == meter_level(tone(0.5))
    assert metered.take_level() == 0.0  # nothing heard since
    assert all(np.array_equal(a, tone(x)) for a, x in zip(heard, (0.01, 0.5, 0.01), strict=True))


def test_a_muted_microphone_reaches_the_loop_as_silence() -> None:
    inner = HandBackend()
    metered = MeteredBackend(inner)
    heard: list[np.ndarray] = []
    metered.start(heard.append)
    metered.muted.set()
    inner.deliver(tone(0.5))
    assert not heard[-1].any() and len(heard[-1]) == FRAME_SAMPLES
    assert metered.take_level() == 0.0
    metered.muted.clear()
    inner.deliver(tone(0.5))
    assert np.array_equal(heard[-1], tone(0.5)) and metered.take_level() > 0.8


def test_playback_and_closing_pass_through() -> None:
    inner = HandBackend()
    metered = MeteredBackend(inner)
    assert metered.play(np.ones(800, dtype=np.float32)) == 0 and metered.is_playing()
    assert inner.is_playing() and metered.playback_position() == 0
    metered.stop_playback()
    assert not metered.is_playing()
    assert metered.lost is inner.lost and metered.lost_reason is None
    metered.close()
    assert inner.closed
