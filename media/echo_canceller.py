"""Acoustic echo cancellation for barge-in: the app's own voice, played on the speaker and heard again by
the microphone, must not look to the VAD like the user starting to speak.

WebRTC's AudioProcessingModule (AEC3), through livekit's Python bindings, is given the exact frame sent
to the speaker at each tick as its reference (`process_reverse_stream`) and the microphone frame of the
same tick to clean (`process_stream`, in place). It finds the room's delay by itself and adapts to its
echo path within about a second. Measured in tests/media/test_echo.py on Piper speech
in a simulated room (mic = 0.5 × speaker, 40 ms later): past the first second the echo falls by about
45 dB (55-60 dB once converged, 3-4 s in; 0.13 ms of CPU per 20 ms frame) and Silero VAD finds no
speech in it, also over a -50 dBFS noise floor. A user talking over the playback is detected and still
transcribed by tiny.en, but late: 0.16-1.7 s after their onset, varying from run to run, because AEC3
dents a near-end voice during double talk. Noise suppression stays off by default so that the VAD sees
the real signal; with nothing playing the mic passes through with an 8 ms delay and bands within 0.5 dB.

livekit is imported only when an EchoCanceller is built: the rest of the app works without it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from media.audio_backend import FRAME_SAMPLES, SAMPLE_RATE

if TYPE_CHECKING:
    from livekit import rtc

APM_SAMPLES = SAMPLE_RATE // 100  # WebRTC processes 10 ms frames
INT16_SCALE = 32768.0


class EchoCancellerUnavailable(RuntimeError):
    """The echo canceller's library (livekit) is not installed or will not load."""


@dataclass(frozen=True)
class EchoOptions:
    """What the WebRTC audio processing does to the microphone signal."""

    echo_cancellation: bool = True
    noise_suppression: bool = False  # off: the VAD should judge the real signal, not a denoised one
    high_pass_filter: bool = False
    auto_gain_control: bool = False
    # Delay in ms between a frame handed to the speaker and its echo reaching the microphone beyond the
    # room itself (device output + input latency); 0 for the file backend, where both share one clock.
    stream_delay_ms: int = 0


def _livekit_rtc() -> Any:
    try:
        from livekit import rtc
    except ImportError as error:
        raise EchoCancellerUnavailable(
            "echo cancellation needs the Python package livekit (WebRTC audio processing); "
            "install it with `pip install livekit`"
        ) from error
    except OSError as error:  # its native library failed to load
        raise EchoCancellerUnavailable(f"the livekit native library will not load: {error}") from error
    return rtc


class _Int16Frame:
    """One reusable 10 ms int16 AudioFrame and a numpy view of its buffer, written in place."""

    def __init__(self, rtc_module: Any) -> None:
        self.buffer = bytearray(APM_SAMPLES * 2)
        self.samples = np.frombuffer(self.buffer, dtype=np.int16)
        self.frame: rtc.AudioFrame = rtc_module.AudioFrame(self.buffer, SAMPLE_RATE, 1, APM_SAMPLES)

    def load(self, audio: np.ndarray) -> None:
        np.multiply(np.clip(audio, -1.0, 32767 / INT16_SCALE), INT16_SCALE, out=audio, casting="unsafe")
        np.rint(audio, out=audio)
        self.samples[:] = audio

    def read_into(self, out: np.ndarray) -> None:
        np.multiply(self.samples, 1.0 / INT16_SCALE, out=out, casting="unsafe")


class EchoCanceller:
    """Cleans each 20 ms microphone frame of the echo of the speaker frame played on the same tick.

    Not thread-safe: call `process` from one thread, once per tick, in stream order."""

    def __init__(self, options: EchoOptions | None = None) -> None:
        self.options = options or EchoOptions()
        rtc_module = _livekit_rtc()
        opts = self.options
        self._apm = rtc_module.AudioProcessingModule(
            echo_cancellation=opts.echo_cancellation,
            noise_suppression=opts.noise_suppression,
            high_pass_filter=opts.high_pass_filter,
            auto_gain_control=opts.auto_gain_control,
        )
        self._mic = _Int16Frame(rtc_module)
        self._speaker = _Int16Frame(rtc_module)
        self._scratch = np.zeros(APM_SAMPLES, dtype=np.float32)

    def process(self, mic_frame: np.ndarray, speaker_frame: np.ndarray) -> np.ndarray:
        """The microphone frame with the speaker's echo removed (a new float32 array of the same length).

        Both frames are 16 kHz mono float32 of a whole number of 10 ms (FRAME_SAMPLES nominally);
        `speaker_frame` is exactly what went to the speaker on the tick `mic_frame` was captured."""
        mic = np.asarray(mic_frame, dtype=np.float32)
        speaker = np.asarray(speaker_frame, dtype=np.float32)
        if mic.shape != speaker.shape or mic.ndim != 1 or len(mic) % APM_SAMPLES:
            raise ValueError(
                f"EchoCanceller takes two mono frames of the same whole number of 10 ms "
                f"(e.g. {FRAME_SAMPLES} samples), got {mic.shape} and {speaker.shape}"
            )
        cleaned = np.empty_like(mic)
        for start in range(0, len(mic), APM_SAMPLES):
            part = slice(start, start + APM_SAMPLES)
            self._process_10ms(mic[part], speaker[part], cleaned[part])
        return cleaned

    def _process_10ms(self, mic: np.ndarray, speaker: np.ndarray, out: np.ndarray) -> None:
        self._scratch[:] = speaker
        self._speaker.load(self._scratch)
        self._apm.process_reverse_stream(self._speaker.frame)
        self._scratch[:] = mic
        self._mic.load(self._scratch)
        if self.options.echo_cancellation:
            self._apm.set_stream_delay_ms(self.options.stream_delay_ms)  # WebRTC wants it before each frame
        self._apm.process_stream(self._mic.frame)
        self._mic.read_into(out)


def rms(frame: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(frame, dtype=np.float64)))) if len(frame) else 0.0


@dataclass(frozen=True)
class GateOptions:
    reference_frames: int = 10  # the speaker's level over the last 200 ms (the echo comes later)
    margin: float = 1.5  # the mic must be this many times louder than the echo would be
    # The echo gain is the loudest echo-to-reference ratio of the last `memory_frames` frames of
    # echo alone: a peak, not an average. Speech is loud and quiet by turns, so most frames' echo is
    # well under the room's gain; an average (as first written) sank below the gain within seconds
    # and let the raw echo through (seen in 3 of 25 Piper replies, and once in CI).
    memory_frames: int = 250  # 5 s of echo
    warmup_frames: int = 50  # until 1 s of echo has been heard, assume `start_gain`
    start_gain: float = 1.0  # before anything is learnt, assume the echo is as loud as the speaker
    max_gain: float = 4.0


class NearEndGate:
    """Chooses, frame by frame, what the turn detector hears while the app speaks.

    The echo canceller removes the app's own voice well but also dents a voice that talks over it
    (double talk), which made barge-in late or missed. This gate learns how loud the echo can be
    relative to the speaker signal (the room's echo gain, from frames where the person is silent)
    and, when the raw microphone is clearly louder than the echo alone could be, passes the raw
    frame, so a person cutting in is heard at full strength; otherwise the cleaned frame."""

    def __init__(self, options: GateOptions | None = None) -> None:
        self.options = options or GateOptions()
        self._levels = np.zeros(self.options.reference_frames)
        self._next = 0
        self._ratios = np.zeros(self.options.memory_frames)
        self._learnt = 0

    @property
    def gain(self) -> float:
        """The loudest the echo has been, relative to the speaker, lately."""
        if self._learnt < self.options.warmup_frames:
            return self.options.start_gain
        return float(self._ratios[: min(self._learnt, len(self._ratios))].max())

    def choose(self, raw: np.ndarray, cleaned: np.ndarray, speaker: np.ndarray,
               speaking: bool) -> np.ndarray:
        """`speaking`: the turn detector already hears the person (then nothing is learnt)."""
        self._levels[self._next] = rms(speaker)
        self._next = (self._next + 1) % len(self._levels)
        reference = float(self._levels.max())
        if reference < 1e-4:
            return cleaned  # nothing playing: the canceller passes the mic through
        level = rms(raw)
        if level > self.options.margin * self.gain * reference:
            return raw
        if not speaking:
            self._ratios[self._learnt % len(self._ratios)] = min(level / reference, self.options.max_gain)
            self._learnt += 1
        return cleaned
