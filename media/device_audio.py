"""The system's microphone and speaker through PortAudio (`sounddevice`), as one full-duplex stream.

Why PortAudio and not Qt Multimedia: its callback runs on PortAudio's own thread with no event loop, so
`longwit voice` (no Qt loop) and the window share one code path; one duplex callback hands over a mic
frame and takes a speaker frame of exactly FRAME_SAMPLES per tick, so the echo reference and the
played counter are frame-accurate and a stop silences the very next block; latency is one setting.
QAudioSource/QAudioSink need a running Qt loop and a QIODevice pumped from Python to get the same.

`sounddevice` is imported only when a device is asked for: the rest of the app works without PortAudio
(Debian package `libportaudio2`), and without it the user is told what to install."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np

from media.audio_backend import FRAME_SAMPLES, SAMPLE_RATE, InputCallback, PlaybackQueue, QueuedPlayback
from media.audio_errors import AudioLibraryMissing, NoAudioDevice


@dataclass(frozen=True)
class DeviceOptions:
    """Which devices to use (PortAudio index or name; None for the system default), how much
    buffering to ask for ("low", "high" or seconds), and whether both are wanted: reading an answer
    aloud needs only a speaker and dictation only a microphone, and a machine without the other
    (a desktop with no microphone) must still do them."""

    input_device: int | str | None = None
    output_device: int | str | None = None
    latency: float | str = "low"
    microphone: bool = True
    speaker: bool = True


@dataclass(frozen=True)
class AudioDevice:
    index: int
    name: str
    channels: int
    default_sample_rate: float
    is_default: bool


@dataclass(frozen=True)
class DeviceList:
    inputs: tuple[AudioDevice, ...]
    outputs: tuple[AudioDevice, ...]


def _sounddevice() -> ModuleType:
    try:
        import sounddevice
    except ImportError as error:
        raise AudioLibraryMissing(
            "the Python package sounddevice is missing", "run `make run` to set up the environment"
        ) from error
    except OSError as error:  # raised at import when the PortAudio shared library is missing
        raise AudioLibraryMissing(f"the PortAudio library is missing ({error})") from error
    return sounddevice


def list_devices() -> DeviceList:
    """The microphones and speakers PortAudio can see; empty lists on a machine with none."""
    sd = _sounddevice()
    devices = sd.query_devices()
    default_in, default_out = sd.default.device

    def listed(kind: str, default: int) -> tuple[AudioDevice, ...]:
        key = f"max_{kind}_channels"
        return tuple(
            AudioDevice(d["index"], d["name"], d[key], d["default_samplerate"], d["index"] == default)
            for d in devices
            if d[key] > 0
        )

    return DeviceList(listed("input", default_in), listed("output", default_out))


class DeviceAudioBackend(QueuedPlayback):
    """Microphone and speaker of the system, 16 kHz mono float32, one PortAudio duplex stream.

    Construction opens the stream (not yet running), so a missing or unsuitable device is reported
    before the conversation starts, as `NoAudioDevice`. Without a microphone (`options.microphone`
    off) `on_input` is never called; without a speaker, what is queued is counted as played and
    dropped, on the microphone's clock."""

    sample_rate = SAMPLE_RATE

    def __init__(self, options: DeviceOptions = DeviceOptions()) -> None:
        self._sd = _sounddevice()
        self._playback = PlaybackQueue()
        self._on_input: InputCallback | None = None
        self._on_speaker: InputCallback | None = None
        self._closing = False
        self.lost = threading.Event()
        """Set when the stream ends by itself (a device unplugged, the sound server gone)."""
        self._lost_error: str | None = None  # what the callback raised, if that ended the stream
        self.overflows = 0  # blocks with a PortAudio input overflow or output underflow
        self._names = ("the microphone", "the speaker")
        self._speaker = options.speaker
        self._stream = self._open(options)

    @property
    def lost_reason(self) -> str | None:
        if not self.lost.is_set():
            return None
        microphone, speaker = self._names
        return f"the stream from {microphone} to {speaker} stopped" + (
            f": {self._lost_error}" if self._lost_error else "")

    def _open(self, options: DeviceOptions) -> Any:
        sd = self._sd
        if not (options.microphone or options.speaker):
            raise ValueError("a device stream needs a microphone, a speaker or both")
        names = list(self._names)
        for index, (kind, device, wanted) in enumerate((
            ("input", options.input_device, options.microphone),
            ("output", options.output_device, options.speaker),
        )):
            if not wanted:
                continue
            try:
                names[index] = str(sd.query_devices(device, kind=kind)["name"])
            except (sd.PortAudioError, ValueError) as error:
                what = "microphone" if kind == "input" else "speaker"
                if device is None:
                    raise NoAudioDevice(f"the system has no default {what}") from error
                raise NoAudioDevice(f"{what} {device!r} is not available: {error}") from error
        self._names = (names[0], names[1])
        settings = dict(samplerate=SAMPLE_RATE, blocksize=FRAME_SAMPLES, channels=1, dtype="float32",
                        latency=options.latency, finished_callback=self._finished)
        try:
            if options.microphone and options.speaker:
                return sd.Stream(device=(options.input_device, options.output_device),
                                 callback=self._callback, **settings)
            if options.microphone:
                return sd.InputStream(device=options.input_device, **settings,
                                      callback=lambda indata, frames, when, status: self._callback(
                                          indata, None, frames, when, status))
            return sd.OutputStream(device=options.output_device, **settings,
                                   callback=lambda outdata, frames, when, status: self._callback(
                                       None, outdata, frames, when, status))
        except (sd.PortAudioError, ValueError) as error:
            raise NoAudioDevice(f"the device refused 16 kHz mono: {error}") from error

    def _callback(
        self, indata: np.ndarray | None, outdata: np.ndarray | None, frames: int, _time: Any, status: Any
    ) -> None:
        # PortAudio's thread: take one speaker frame, hand over one mic frame, nothing slower.
        try:
            speaker_frame = self._playback.next_frame(frames)
            if outdata is not None:
                outdata[:, 0] = speaker_frame
            if status:
                self.overflows += 1
            if self._on_speaker is not None:
                self._on_speaker(speaker_frame)
            if self._on_input is not None and indata is not None:
                self._on_input(indata[:, 0].copy())
        except Exception as error:  # sounddevice then stops the stream, and _finished reports it
            self._lost_error = f"{type(error).__name__}: {error}"
            raise

    def _finished(self) -> None:
        if not self._closing:
            self.lost.set()

    def start(self, on_input: InputCallback, *, on_speaker: InputCallback | None = None) -> None:
        """Start the stream. `on_speaker`, if given, receives each block's speaker frame (a fresh array)
        just before `on_input` receives the same block's microphone frame: the echo canceller's reference."""
        self._on_speaker = on_speaker
        self._on_input = on_input
        try:
            self._stream.start()
        except self._sd.PortAudioError as error:
            raise NoAudioDevice(f"the stream would not start: {error}") from error

    # playback_position() counts a block when PortAudio takes it; the sound leaves the speaker
    # `output_latency_s` later.

    @property
    def output_latency_s(self) -> float:
        """How long after a block is taken it reaches the speaker, as PortAudio estimates it."""
        latency = self._stream.latency  # a pair for a duplex stream, one figure for one direction
        if isinstance(latency, tuple):
            return float(latency[1])
        return float(latency) if self._speaker else 0.0

    def close(self) -> None:
        """Abort (not drain) the stream and release the devices; safe to call twice."""
        if self._closing:
            return
        self._closing = True
        self._playback.stop()
        self._stream.abort(ignore_errors=True)
        self._stream.close(ignore_errors=True)

    def __enter__(self) -> DeviceAudioBackend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
