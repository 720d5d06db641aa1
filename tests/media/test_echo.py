"""Echo cancellation on real sound: Piper speech played on a simulated room's speaker (heard by the mic at
half gain, 40 ms later), the JFK recording as a user talking over it, Silero VAD and tiny.en judging the
result, and the file backend delivering speaker and mic frames on one clock."""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from media.audio_backend import FRAME_SAMPLES, SAMPLE_RATE
from media.echo_canceller import EchoCanceller, EchoOptions, NearEndGate
from media.file_audio import EchoSimulation, FileAudioBackend, load_audio
from media.speech_to_text import SpeechToText
from media.text_to_speech import TextToSpeech
from media.vad import SpeechStarted, TurnDetector, VadEvent

pytest.importorskip("livekit.rtc")

REPLY = "The keeper trimmed the wick at dusk, and polished the lens every single morning."
ROOM = EchoSimulation(delay_s=0.04, gain=0.5)
USER_AT_S = 2.0
CONVERGED_S = 1.0


@dataclass
class Run:
    cleaned: np.ndarray
    events: list[tuple[VadEvent, float]]  # each event with the stream time of the frame that returned it
    seconds_per_frame: float

    def starts(self) -> list[tuple[float, float]]:
        return [(event.t, at) for event, at in self.events if isinstance(event, SpeechStarted)]


def frames(length: int) -> range:
    return range(0, length - length % FRAME_SAMPLES, FRAME_SAMPLES)


def run(mic: np.ndarray, speaker: np.ndarray, cancel: bool = True) -> Run:
    """The loop's path (DuplexLoop._listen), frame by frame: canceller and near-end gate (or
    neither), then the turn detector (quick to start while there is a reply). `cleaned` is the
    canceller's output."""
    canceller = EchoCanceller() if cancel else None
    gate = NearEndGate() if cancel else None
    detector = TurnDetector()
    detector.urgent = bool(np.any(speaker))  # as in the loop while a reply is in progress
    cleaned, events, spent = [], [], 0.0
    for start in frames(len(mic)):
        mic_frame, speaker_frame = mic[start : start + FRAME_SAMPLES], speaker[start : start + FRAME_SAMPLES]
        heard = mic_frame
        if canceller is not None and gate is not None:
            began = time.perf_counter()
            cleaned_frame = canceller.process(mic_frame, speaker_frame)
            spent += time.perf_counter() - began
            heard = gate.choose(mic_frame, cleaned_frame, speaker_frame, detector.speaking)
            mic_frame = cleaned_frame
        cleaned.append(mic_frame)
        at = (start + FRAME_SAMPLES) / SAMPLE_RATE
        events += [(event, at) for event in detector.feed(heard)]
    return Run(np.concatenate(cleaned), events, spent / len(cleaned))


def room(speaker: np.ndarray) -> np.ndarray:
    delay = ROOM.delay_samples
    return ROOM.gain * np.concatenate([np.zeros(delay, np.float32), speaker[:-delay]])


def level_db(audio: np.ndarray) -> float:
    return 10 * np.log10(max(float(np.mean(np.square(audio, dtype=np.float64))), 1e-20))


def lag_of(output: np.ndarray, reference: np.ndarray, max_lag: int = 400) -> int:
    """The delay of `output` behind `reference` in samples, by cross-correlation."""
    scores = [float(np.dot(output[lag:], reference[: len(reference) - lag])) for lag in range(max_lag)]
    return int(np.argmax(scores))


@pytest.fixture(scope="module")
def reply() -> np.ndarray:
    """About 5 s of Piper speech, padded to whole frames, with 2 s of silence after it."""
    speech = TextToSpeech().synthesize(REPLY)
    return np.pad(speech, (0, -len(speech) % FRAME_SAMPLES + 2 * SAMPLE_RATE))


@pytest.fixture(scope="module")
def user(reply: np.ndarray) -> np.ndarray:
    """The JFK recording as the user's voice, starting at USER_AT_S, on the reply's timeline."""
    jfk = Path(__file__).resolve().parents[3] / "shared" / "audio" / "jfk.flac"
    if not jfk.exists():
        pytest.skip(f"the speech sample {jfk} is not there")
    voice = load_audio(jfk)
    start = round(USER_AT_S * SAMPLE_RATE)
    track = np.zeros(max(len(reply), start + len(voice)), np.float32)
    track[start : start + len(voice)] = voice
    return track[: len(track) - len(track) % FRAME_SAMPLES]


def test_echo_alone_does_not_look_like_speech(reply: np.ndarray) -> None:
    mic = room(reply)
    assert run(mic, reply, cancel=False).starts(), (
        "the raw echo should trigger the VAD, or this proves nothing"
    )
    result = run(mic, reply)
    assert result.starts() == []
    skip = round(CONVERGED_S * SAMPLE_RATE)
    attenuation = level_db(mic[skip:]) - level_db(result.cleaned[skip:])
    steady = level_db(mic[-4 * SAMPLE_RATE :]) - level_db(result.cleaned[-4 * SAMPLE_RATE :])
    print(
        f"echo attenuation after {CONVERGED_S:.0f} s: {attenuation:.1f} dB; last 4 s: {steady:.1f} dB; "
        f"{result.seconds_per_frame * 1000:.2f} ms of CPU per 20 ms frame"
    )
    assert attenuation > 30
    assert result.seconds_per_frame < 0.005


def test_echo_over_a_noise_floor_does_not_look_like_speech(reply: np.ndarray) -> None:
    """A real microphone hisses: the canceller must not let echo through because the mic is never silent."""
    noise = np.random.default_rng(5).standard_normal(len(reply)).astype(np.float32) * 10 ** (-50 / 20)
    assert run(room(reply) + noise, reply).starts() == []


def test_user_talking_over_the_reply_is_heard_and_transcribed(reply: np.ndarray, user: np.ndarray) -> None:
    speaker = np.pad(reply, (0, len(user) - len(reply)))
    alone = run(user, np.zeros_like(user), cancel=False).starts()
    assert alone, "the user's voice alone must be detected"
    onset = alone[0][0]  # where the VAD puts the user's first word, in the clean recording
    result = run(room(speaker) + user, speaker)
    starts = result.starts()
    assert starts, "the user talking over the reply was not detected"
    emitted = starts[0][1]
    print(
        f"user onset {onset:.3f} s, SpeechStarted returned at {emitted:.3f} s: {emitted - onset:+.3f} s "
        f"(the user alone: {alone[0][1] - onset:+.3f} s)"
    )
    assert USER_AT_S <= emitted <= onset + 3.0  # see the xfail below: AEC3's double talk delays it
    text = SpeechToText().transcribe(result.cleaned[round(USER_AT_S * SAMPLE_RATE) :]).text
    print(f"cleaned user audio transcribed: {text!r}")
    assert "ask not what your country" in text.lower().replace(",", "")


@pytest.mark.xfail(
    reason="AEC3 dents the user's voice in double talk: onset found 0.16-1.5 s late, run to run"
)
def test_user_talking_over_the_reply_is_detected_within_300_ms(reply: np.ndarray, user: np.ndarray) -> None:
    speaker = np.pad(reply, (0, len(user) - len(reply)))
    onset = run(user, np.zeros_like(user), cancel=False).starts()[0][0]
    assert run(room(speaker) + user, speaker).starts()[0][1] <= onset + 0.3


def band_levels_db(audio: np.ndarray) -> np.ndarray:
    spectrum = np.abs(np.fft.rfft(audio[SAMPLE_RATE : SAMPLE_RATE + 2**16]))
    hz = np.fft.rfftfreq(2**16, 1 / SAMPLE_RATE)
    edges = (100, 300, 1000, 3000, 6000, 7500)
    bands = itertools.pairwise(edges)
    return np.array([20 * np.log10(spectrum[(hz >= lo) & (hz < hi)].mean()) for lo, hi in bands])


def test_nothing_playing_leaves_the_mic_essentially_unchanged(user: np.ndarray) -> None:
    result = run(user, np.zeros_like(user))
    lag = lag_of(result.cleaned, user)
    change = band_levels_db(result.cleaned) - band_levels_db(user)
    print(
        f"with the speaker silent: output {lag} samples behind the input, band levels changed by "
        f"{np.round(change, 1).tolist()} dB"
    )
    assert lag <= SAMPLE_RATE // 100 * 1.5  # the APM's own latency (8 ms measured), no more
    assert np.all(np.abs(change) < 1.5)
    raw = [t for t, _ in run(user, np.zeros_like(user), cancel=False).starts()]
    assert [t for t, _ in result.starts()] == pytest.approx(raw, abs=0.07)


def test_file_backend_pairs_each_mic_frame_with_its_speaker_frame(tmp_path: Path, reply: np.ndarray) -> None:
    import soundfile

    silence = tmp_path / "silence.wav"
    soundfile.write(silence, np.zeros(len(reply), np.float32), SAMPLE_RATE)
    canceller, detector = EchoCanceller(EchoOptions()), TurnDetector()
    raw_detector = TurnDetector()
    reference: list[np.ndarray] = []
    starts: list[VadEvent] = []
    raw_starts: list[VadEvent] = []

    def on_input(mic_frame: np.ndarray) -> None:
        cleaned = canceller.process(mic_frame, reference.pop())
        starts.extend(e for e in detector.feed(cleaned) if isinstance(e, SpeechStarted))
        raw_starts.extend(e for e in raw_detector.feed(mic_frame) if isinstance(e, SpeechStarted))

    with FileAudioBackend(silence, echo=ROOM, realtime=False, tail_silence_s=0) as backend:
        backend.play(reply)
        backend.start(on_input, on_speaker=reference.append)
        assert backend.wait(timeout=30)
    assert backend.error is None and not reference
    assert raw_starts, "the backend's simulated echo should trigger the VAD without the canceller"
    assert starts == []


def test_near_end_gate_passes_a_voice_louder_than_the_echo_could_be() -> None:
    """Echo alone (half the speaker, 40 ms late) keeps the cleaned frames; a voice cutting in at
    the speaker's own level gets the raw frames, so the echo canceller cannot dent it."""
    rng = np.random.default_rng(3)
    frames = 150
    speaker = [(rng.standard_normal(320) * 0.1).astype(np.float32) for _ in range(frames)]
    echo = [np.zeros(320, np.float32), np.zeros(320, np.float32), *[0.5 * s for s in speaker]]
    cleaned = np.zeros(320, np.float32)
    gate = NearEndGate()
    chosen_raw = []
    for i in range(frames):
        voice = (rng.standard_normal(320) * 0.12).astype(np.float32) if i >= 100 else 0
        raw = echo[i] + voice
        chosen_raw.append(gate.choose(raw, cleaned, speaker[i], speaking=False) is raw)
    assert not any(chosen_raw[:100])  # the echo alone never passes
    assert all(chosen_raw[100:])  # the voice does, from its first frame
    assert 0.4 < gate.gain < 0.7  # the room's echo gain (0.5) was learnt


def test_near_end_gate_never_thinks_the_echo_quieter_than_it_is() -> None:
    """A reply as the loop plays it: Piper clauses with short gaps. Most frames' echo is far below
    the room's gain times the recent peak (rising and falling syllables, the 200 ms after each
    clause), but the frames just after a peak are not. A gate that learnt the average ratio sank to
    about 0.34 here, a hair above letting such a frame through raw, and past it in 3 of 25 longer
    replies (the VAD then took the echo for the person cutting in)."""
    tts = TextToSpeech()
    clauses = ["Once upon a time, there was a brave dragon named Zorro.",
               "He had the most incredible powers,", "but also a terrible heart.",
               "He loved his home,", "but when he saw the village burn, he flew."]
    speaker = np.concatenate([part for clause in clauses
                              for part in (tts.synthesize(clause), np.zeros(SAMPLE_RATE // 8, np.float32))])
    mic = room(speaker)
    gate, cleaned, gains = NearEndGate(), np.zeros(FRAME_SAMPLES, np.float32), []
    for start in frames(len(speaker)):
        part = slice(start, start + FRAME_SAMPLES)
        assert gate.choose(mic[part], cleaned, speaker[part], speaking=False) is cleaned
        gains.append(gate.gain)
    assert min(gains) > 0.9 * ROOM.gain
