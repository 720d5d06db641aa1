"""The audio backends on real sound: files made here with soundfile, the JFK recording, and the system's
devices (none on the CI machine, which must give a clear error, never a hang)."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile

from media.audio_backend import FRAME_SAMPLES, SAMPLE_RATE
from media.audio_errors import AudioFileNotFound, AudioFileUnreadable, AudioLibraryMissing
from media.file_audio import EchoSimulation, FileAudioBackend, load_audio

JFK = Path(__file__).resolve().parents[3] / "shared" / "audio" / "jfk.flac"


def tone(seconds: float, hz: float = 440.0, rate: int = SAMPLE_RATE, amplitude: float = 0.5) -> np.ndarray:
    t = np.arange(round(seconds * rate)) / rate
    return (amplitude * np.sin(2 * np.pi * hz * t)).astype(np.float32)


def write(path: Path, audio: np.ndarray, rate: int = SAMPLE_RATE) -> Path:
    soundfile.write(path, audio, rate, subtype="FLOAT")
    return path


class Recorder:
    """Collects delivered frames; optional `actions[k]` run on the clock thread at frame k."""

    def __init__(self, actions: dict[int, object] | None = None) -> None:
        self.frames: list[np.ndarray] = []
        self.actions = actions or {}
        self.results: dict[int, object] = {}

    def __call__(self, frame: np.ndarray) -> None:
        index = len(self.frames)
        self.frames.append(frame)
        if index in self.actions:
            self.results[index] = self.actions[index]()

    @property
    def audio(self) -> np.ndarray:
        return np.concatenate(self.frames)


def run_fast(backend: FileAudioBackend, recorder: Recorder) -> None:
    with backend:
        backend.start(recorder)
        assert backend.wait(timeout=20)
    assert backend.error is None


def test_realtime_pacing_and_stop_from_another_thread(tmp_path: Path) -> None:
    mic = tone(2.0)
    backend = FileAudioBackend(write(tmp_path / "mic.wav", mic), tail_silence_s=0)
    recorder = Recorder()
    started = time.monotonic()
    with backend:
        backend.start(recorder)
        time.sleep(0.5)
        backend.play(tone(1.5, hz=880))
        time.sleep(0.5)
        played = backend.stop_playback()
        position = backend.playback_position()
        assert backend.wait(timeout=5)
        elapsed = time.monotonic() - started
    assert 1.9 < elapsed < 3.0  # a 2 s file takes about 2 s, generously bounded for a busy machine
    assert len(recorder.frames) == 100
    assert all(f.shape == (FRAME_SAMPLES,) and f.dtype == np.float32 for f in recorder.frames)
    np.testing.assert_array_equal(recorder.audio, mic)
    assert played % FRAME_SAMPLES == 0 and abs(played - 0.5 * SAMPLE_RATE) <= 5 * FRAME_SAMPLES
    assert backend.playback_position() == position == played  # nothing played after the stop
    assert not backend.is_playing()


def test_fast_mode_delivers_the_same_frames_quickly(tmp_path: Path) -> None:
    mic = tone(10.0)
    recorder = Recorder()
    started = time.monotonic()
    run_fast(FileAudioBackend(write(tmp_path / "mic.wav", mic), realtime=False, tail_silence_s=0.5), recorder)
    assert time.monotonic() - started < 3
    assert len(recorder.frames) == (10.0 + 0.5) * SAMPLE_RATE / FRAME_SAMPLES
    np.testing.assert_array_equal(recorder.audio[: len(mic)], mic)
    assert not recorder.audio[len(mic) :].any()  # the tail is silence


def test_stereo_44k_file_is_mixed_to_mono_and_resampled(tmp_path: Path) -> None:
    left, right = tone(1.0, hz=1000, rate=44_100), tone(1.0, hz=1000, rate=44_100, amplitude=0.25)
    audio = load_audio(write(tmp_path / "stereo.wav", np.stack([left, right], axis=1), rate=44_100))
    assert audio.dtype == np.float32 and audio.ndim == 1
    assert abs(len(audio) - SAMPLE_RATE) <= 1
    spectrum = np.abs(np.fft.rfft(audio))
    assert np.argmax(spectrum) * SAMPLE_RATE / len(audio) == pytest.approx(1000, abs=2)
    middle = audio[1000:-1000]  # the resampler's edges aside, a 1 kHz sine of the mean amplitude
    assert np.max(np.abs(middle)) == pytest.approx(0.375, abs=0.01)


def test_speaker_recording_holds_what_was_played_at_its_offset(tmp_path: Path) -> None:
    reply = tone(0.5, hz=660)
    speaker = tmp_path / "speaker.wav"
    backend = FileAudioBackend(
        write(tmp_path / "mic.wav", np.zeros(SAMPLE_RATE, np.float32)),
        speaker,
        realtime=False,
        tail_silence_s=0,
    )
    recorder = Recorder({10: lambda: backend.play(reply)})
    run_fast(backend, recorder)
    recorded, rate = soundfile.read(speaker, dtype="float32")
    assert rate == SAMPLE_RATE and len(recorded) == SAMPLE_RATE
    start = 11 * FRAME_SAMPLES  # queued during frame 10, so it plays from the next tick
    np.testing.assert_array_equal(recorded[start : start + len(reply)], reply)
    assert not recorded[:start].any() and not recorded[start + len(reply) :].any()
    assert recorder.results[10] == 0 and backend.playback_position() == len(reply)



def test_without_gaps_the_speaker_file_holds_the_audio_played_however_late_it_came(
        tmp_path: Path) -> None:
    """Two sentences, the second queued 30 frames after the first ended (a producer that fell
    behind) and not a whole number of frames long: the file is the two, back to back."""
    first, second = tone(0.31, hz=660), tone(0.27, hz=440)
    speaker = tmp_path / "speaker.wav"
    backend = FileAudioBackend(write(tmp_path / "mic.wav", np.zeros(2 * SAMPLE_RATE, np.float32)),
                               speaker, realtime=False, tail_silence_s=0, speaker_gaps=False)
    late = 5 + len(first) // FRAME_SAMPLES + 30
    run_fast(backend, Recorder({5: lambda: backend.play(first), late: lambda: backend.play(second)}))
    recorded, _ = soundfile.read(speaker, dtype="float32")
    np.testing.assert_array_equal(recorded, np.concatenate([first, second]))
    assert backend.playback_position() == len(first) + len(second)

def test_stop_playback_silences_the_next_frame_and_reports_what_was_played(tmp_path: Path) -> None:
    speaker = tmp_path / "speaker.wav"
    backend = FileAudioBackend(
        write(tmp_path / "mic.wav", np.zeros(SAMPLE_RATE, np.float32)),
        speaker,
        realtime=False,
        tail_silence_s=0,
    )
    reply = tone(1.0, hz=500)
    recorder = Recorder(
        {0: lambda: backend.play(reply), 20: backend.stop_playback, 21: backend.stop_playback}
    )
    run_fast(backend, recorder)
    heard = 20 * FRAME_SAMPLES  # ticks 1..20
    assert recorder.results[20] == heard and recorder.results[21] == 0
    recorded = soundfile.read(speaker, dtype="float32")[0]
    np.testing.assert_array_equal(recorded[FRAME_SAMPLES : FRAME_SAMPLES + heard], reply[:heard])
    assert not recorded[FRAME_SAMPLES + heard :].any()
    assert backend.playback_position() == heard and not backend.is_playing()


def test_echo_simulation_feeds_the_speaker_back_with_its_delay_and_gain(tmp_path: Path) -> None:
    speaker = tmp_path / "speaker.wav"
    echo = EchoSimulation(delay_s=0.04, gain=0.5)
    backend = FileAudioBackend(
        write(tmp_path / "mic.wav", np.zeros(SAMPLE_RATE, np.float32)), speaker, echo, realtime=False
    )
    noise = np.random.default_rng(5).uniform(-0.5, 0.5, SAMPLE_RATE // 2).astype(np.float32)
    run_fast(backend, recorder := Recorder({3: lambda: backend.play(noise)}))
    played = soundfile.read(speaker, dtype="float32")[0]
    heard = recorder.audio
    n = 1 << int(np.ceil(np.log2(2 * len(heard))))
    correlation = np.fft.irfft(np.fft.rfft(heard, n) * np.conj(np.fft.rfft(played, n)), n)
    lag = int(np.argmax(correlation[: len(heard)]))
    assert lag == echo.delay_samples == 640
    gain = np.dot(heard[lag:], played[: len(played) - lag]) / np.dot(played, played)
    assert gain == pytest.approx(0.5, abs=1e-4)


def test_jfk_recording_is_delivered_whole(tmp_path: Path) -> None:
    audio = load_audio(JFK)
    assert 10.5 < len(audio) / SAMPLE_RATE < 11.5
    recorder = Recorder()
    run_fast(FileAudioBackend(JFK, realtime=False, tail_silence_s=0), recorder)
    assert len(recorder.frames) == -(-len(audio) // FRAME_SAMPLES)
    np.testing.assert_array_equal(recorder.audio[: len(audio)], audio)


def test_missing_unreadable_and_empty_files_give_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(AudioFileNotFound, match=r"There is no audio file at .*nowhere\.wav"):
        FileAudioBackend(tmp_path / "nowhere.wav")
    (tmp_path / "notes.wav").write_text("these are not sounds")
    with pytest.raises(AudioFileUnreadable, match=r"notes\.wav could not be read as audio .*WAV or FLAC"):
        FileAudioBackend(tmp_path / "notes.wav")
    empty = write(tmp_path / "empty.wav", np.zeros(0, np.float32))
    with pytest.raises(AudioFileUnreadable, match="holds no sound"):
        FileAudioBackend(empty)
    with pytest.raises(AudioFileNotFound):
        FileAudioBackend(tmp_path)  # a folder is not a file


def test_close_mid_stream_leaves_no_thread_behind(tmp_path: Path) -> None:
    before = set(threading.enumerate())
    backend = FileAudioBackend(write(tmp_path / "mic.wav", tone(5.0)), tmp_path / "speaker.wav")
    recorder = Recorder()
    backend.start(recorder)
    backend.play(tone(3.0))
    time.sleep(0.2)
    started = time.monotonic()
    backend.close()
    backend.close()
    assert time.monotonic() - started < 0.5
    assert [t for t in threading.enumerate() if t not in before and t.name == "file-audio-clock"] == []
    assert not backend.finished.is_set() and not backend.is_playing()
    assert soundfile.info(tmp_path / "speaker.wav").frames == len(recorder.frames) * FRAME_SAMPLES


DEVICE_PROBE = """
from media.audio_errors import NoAudioDevice
from media.device_audio import DeviceAudioBackend, list_devices
try:
    devices = list_devices()
    print("inputs", len(devices.inputs), "outputs", len(devices.outputs))
    with DeviceAudioBackend() as backend:
        print("opened", backend.sample_rate)
except NoAudioDevice as error:
    print("NoAudioDevice:", error)
"""


def test_device_backend_reports_a_missing_device_clearly_and_never_hangs() -> None:
    # In a child process with a time limit: a PortAudio hang must fail the test, not stall the suite.
    done = subprocess.run(
        [sys.executable, "-c", DEVICE_PROBE], capture_output=True, text=True, timeout=60, check=True
    )
    out = done.stdout
    if "opened" not in out:
        assert "NoAudioDevice:" in out and "--mic FILE" in out, out + done.stderr
    if "inputs 0" in out or "outputs 0" in out:
        assert "NoAudioDevice:" in out


ONE_WAY_PROBE = """
from media.audio_errors import NoAudioDevice
from media.device_audio import DeviceAudioBackend, DeviceOptions, list_devices
devices = list_devices()
print("inputs", len(devices.inputs), "outputs", len(devices.outputs))
for name, options in (("speaker only", DeviceOptions(microphone=False)),
                      ("microphone only", DeviceOptions(speaker=False))):
    try:
        with DeviceAudioBackend(options) as backend:
            print(name, "opened", backend.output_latency_s >= 0)
    except NoAudioDevice as error:
        print(name, "NoAudioDevice:", error)
"""


def test_a_one_way_device_stream_asks_only_for_its_own_device() -> None:
    """Reading aloud opens only a speaker and dictation only a microphone: the error for a missing
    device names the one that was needed, and a machine with only that one can open it."""
    done = subprocess.run(
        [sys.executable, "-c", ONE_WAY_PROBE], capture_output=True, text=True, timeout=60, check=True
    )
    lines = done.stdout.splitlines()
    counts = lines[0].split()
    inputs, outputs = int(counts[1]), int(counts[3])
    speaker_only, microphone_only = lines[1], lines[2]
    if outputs:
        assert speaker_only == "speaker only opened True", done.stdout + done.stderr
    else:
        assert "(the system has no default speaker)" in speaker_only, speaker_only
    if inputs:
        assert microphone_only == "microphone only opened True", done.stdout + done.stderr
    else:
        assert "(the system has no default microphone)" in microphone_only, microphone_only


def test_device_backend_without_sounddevice_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    from media.device_audio import DeviceAudioBackend

    monkeypatch.setitem(sys.modules, "sounddevice", None)  # what Python sees when it is not installed
    with pytest.raises(AudioLibraryMissing, match=r"sounddevice is missing.*--mic FILE"):
        DeviceAudioBackend()
