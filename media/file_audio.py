"""A file-backed audio backend: a WAV/FLAC recording stands in for the microphone and a WAV file for the
speaker, on the same frame clock as a real device, so a whole voice conversation can be scripted,
tested and benchmarked with no sound hardware.

One thread runs the clock, paced by `time.monotonic` against the start time (not by a fixed sleep per
frame, which drifts). At each tick it plays one speaker frame (written to `speaker_path`, silence where
nothing was queued), optionally mixes that speaker signal back into the microphone with a delay and
gain (`EchoSimulation`, a simulated room), and delivers one microphone frame. With `realtime=False` the
ticks follow each other as fast as the callback returns: the same frames, in the same order.

The speaker file is the timeline a listener hears, so the silences in it (before the first sound,
and wherever the producer was late) depend on how busy the machine was. With `speaker_gaps=False`
it holds only the audio played, back to back: the same samples however late they were queued, for
a test that transcribes what was said (Whisper's transcript of the same speech changes with the
silence around it)."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile
import soxr

from media.audio_backend import FRAME_SAMPLES, SAMPLE_RATE, InputCallback, PlaybackQueue, QueuedPlayback
from media.audio_errors import AudioFileNotFound, AudioFileUnreadable


@dataclass(frozen=True)
class EchoSimulation:
    """The speaker heard by the microphone `delay_s` later, scaled by `gain` (a room, for echo tests)."""

    delay_s: float = 0.04
    gain: float = 0.5

    @property
    def delay_samples(self) -> int:
        return round(self.delay_s * SAMPLE_RATE)


def load_audio(path: Path | str) -> np.ndarray:
    """A sound file as 16 kHz mono float32: channels averaged, other rates resampled with soxr."""
    path = Path(path)
    if not path.is_file():
        raise AudioFileNotFound(path)
    try:
        audio, rate = soundfile.read(path, dtype="float32", always_2d=True)
    except (soundfile.LibsndfileError, RuntimeError, TypeError) as error:
        raise AudioFileUnreadable(path, str(error)) from error
    if audio.size == 0:
        raise AudioFileUnreadable(path, "it holds no sound")
    mono = audio.mean(axis=1, dtype=np.float32)
    if rate != SAMPLE_RATE:
        mono = soxr.resample(mono, rate, SAMPLE_RATE, quality="HQ").astype(np.float32, copy=False)
    return mono


class _EchoLine:
    """The delay line of an `EchoSimulation`: the last `delay` speaker samples, fed one frame a tick."""

    def __init__(self, echo: EchoSimulation) -> None:
        self.gain = echo.gain
        self.history = np.zeros(echo.delay_samples, dtype=np.float32)

    def heard(self, speaker_frame: np.ndarray) -> np.ndarray:
        line = np.concatenate([self.history, speaker_frame])
        self.history = line[len(speaker_frame) :]
        return self.gain * line[: len(speaker_frame)]


class FileAudioBackend(QueuedPlayback):
    """Microphone from `mic_path`, speaker to `speaker_path` (optional), one frame clock for both."""

    sample_rate = SAMPLE_RATE

    def __init__(
        self,
        mic_path: Path | str,
        speaker_path: Path | str | None = None,
        echo: EchoSimulation | None = None,
        realtime: bool = True,
        tail_silence_s: float = 1.0,
        speaker_gaps: bool = True,
    ) -> None:
        mic = load_audio(mic_path)
        tail = np.zeros(round(tail_silence_s * SAMPLE_RATE), dtype=np.float32)
        padded = np.concatenate([mic, tail])
        padded = np.pad(padded, (0, -len(padded) % FRAME_SAMPLES))  # whole frames; the last one padded
        self._mic_frames = padded.reshape(-1, FRAME_SAMPLES)
        self._speaker_path = Path(speaker_path) if speaker_path is not None else None
        self._echo = _EchoLine(echo) if echo is not None else None
        self._realtime = realtime
        self._speaker_gaps = speaker_gaps
        self._playback = PlaybackQueue()
        self._closing = threading.Event()
        self._thread: threading.Thread | None = None
        self.finished = threading.Event()
        """Set when the microphone file and its trailing silence have all been delivered."""
        self.frames_delivered = 0
        self.error: BaseException | None = None
        self.lost = threading.Event()
        """Set when the clock stopped on an error (`error`) before the microphone file ended."""

    @property
    def lost_reason(self) -> str | None:
        error = self.error
        return None if error is None else f"the audio stream failed: {type(error).__name__}: {error}"

    @property
    def duration_s(self) -> float:
        """Length of the microphone stream, trailing silence included, in whole frames."""
        return len(self._mic_frames) * FRAME_SAMPLES / SAMPLE_RATE

    def start(self, on_input: InputCallback, *, on_speaker: InputCallback | None = None) -> None:
        """Start the clock. `on_speaker`, if given, receives each tick's speaker frame (a fresh array) just
        before `on_input` receives the same tick's microphone frame: the echo canceller's reference."""
        if self._thread is not None:
            raise RuntimeError("FileAudioBackend.start() called twice")
        writer = None
        if self._speaker_path is not None:
            writer = soundfile.SoundFile(
                self._speaker_path, "w", samplerate=SAMPLE_RATE, channels=1, format="WAV", subtype="FLOAT"
            )
        self._thread = threading.Thread(
            target=self._run, args=(on_input, on_speaker, writer), name="file-audio-clock", daemon=True
        )
        self._thread.start()

    def _run(
        self, on_input: InputCallback, on_speaker: InputCallback | None, writer: soundfile.SoundFile | None
    ) -> None:
        frame_s = FRAME_SAMPLES / SAMPLE_RATE
        started = time.monotonic()
        try:
            for index, mic_frame in enumerate(self._mic_frames):
                if self._realtime:
                    # A microphone frame exists only once its 20 ms have passed: deliver at its end.
                    wait = started + (index + 1) * frame_s - time.monotonic()
                    if wait > 0 and self._closing.wait(wait):
                        return
                elif self._closing.is_set():
                    return
                played = self._playback.position()
                speaker_frame = self._playback.next_frame()
                if writer is not None:
                    # Only this thread plays, so the position moved by what this frame took.
                    writer.write(speaker_frame if self._speaker_gaps
                                 else speaker_frame[: self._playback.position() - played])
                frame = mic_frame.copy()
                if self._echo is not None:
                    frame += self._echo.heard(speaker_frame)
                if on_speaker is not None:
                    on_speaker(speaker_frame)
                on_input(frame)
                self.frames_delivered += 1
            self.finished.set()
        except BaseException as error:
            # A failing callback ends the stream. It is reported through `error` and `lost` (the voice
            # loop ends the call with a message), not as a traceback from this thread.
            self.error = error
            self.lost.set()
            self.finished.set()  # waiters should not hang on it
        finally:
            if writer is not None:
                writer.close()

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for the end of the microphone stream; True if it ended within `timeout`."""
        return self.finished.wait(timeout)

    def close(self) -> None:
        self._closing.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join()
        self._playback.stop()

    def __enter__(self) -> FileAudioBackend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
