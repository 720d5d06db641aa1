"""Turn-taking on the real Silero model: speech is found, silence and noise are not, a slow speaker's
short pause is not a turn end, and a monologue is cut at max_turn_s."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile
import soxr

from media.audio_backend import FRAME_SAMPLES, SAMPLE_RATE
from media.text_to_speech import TextToSpeech
from media.vad import (
    ShortPause,
    SpeechResumed,
    SpeechStarted,
    TurnDetector,
    TurnEnded,
    VadEvent,
    VadOptions,
)
from tests.media.conftest import JFK


def load_16k(path: Path) -> np.ndarray:
    audio, rate = soundfile.read(str(path), dtype="float32", always_2d=True)
    return soxr.resample(audio.mean(axis=1), rate, SAMPLE_RATE).astype(np.float32)


def silence(seconds: float) -> np.ndarray:
    return np.zeros(round(seconds * SAMPLE_RATE), dtype=np.float32)


def events_of(audio: np.ndarray, options: VadOptions | None = None) -> list[VadEvent]:
    detector = TurnDetector(options)
    events: list[VadEvent] = []
    for start in range(0, len(audio), FRAME_SAMPLES):
        events.extend(detector.feed(audio[start : start + FRAME_SAMPLES]))
    events.extend(detector.finish())
    return events


def kinds(events: list[VadEvent]) -> list[str]:
    return [type(event).__name__ for event in events]


@pytest.fixture(scope="module")
def jfk() -> np.ndarray:
    if not JFK.exists():
        pytest.skip(f"the speech sample {JFK} is not there")
    return load_16k(JFK)


@pytest.fixture(scope="module")
def tts() -> TextToSpeech:
    return TextToSpeech()


def test_jfk_speech_is_found_from_the_start(jfk: np.ndarray) -> None:
    events = events_of(np.concatenate([jfk, silence(1.0)]))
    assert isinstance(events[0], SpeechStarted) and events[0].t < 1.0
    turns = [event for event in events if isinstance(event, TurnEnded)]
    assert turns and all(len(turn.audio) > 0.5 * SAMPLE_RATE for turn in turns)
    assert kinds(events).count("SpeechStarted") == len(turns)
    assert not any(turn.capped for turn in turns)


@pytest.mark.parametrize("level", [0.0, 0.05])
def test_silence_and_steady_noise_give_no_turns(level: float) -> None:
    noise = np.random.default_rng(7).standard_normal(3 * SAMPLE_RATE).astype(np.float32) * level
    assert events_of(noise) == []


def test_an_utterance_is_one_turn_with_its_pre_roll(tts: TextToSpeech) -> None:
    speech = tts.synthesize("Hello there. How are you today?")
    events = events_of(np.concatenate([silence(0.5), speech, silence(1.0)]))
    assert kinds(events).count("SpeechStarted") == 1 and kinds(events).count("TurnEnded") == 1
    started, ended = events[0], events[-1]
    assert isinstance(started, SpeechStarted) and 0.45 < started.t < 0.8
    assert isinstance(ended, TurnEnded)
    assert len(speech) / SAMPLE_RATE <= len(ended.audio) / SAMPLE_RATE < len(speech) / SAMPLE_RATE + 0.6
    assert ended.t - ended.speech_end < 0.8  # decided end_silence_s after the speech stopped


def test_a_short_pause_is_a_hint_not_the_end_of_the_turn(tts: TextToSpeech) -> None:
    first = tts.synthesize("I went down to the harbour this morning.")
    second = tts.synthesize("The boats were already out at sea.")
    events = events_of(np.concatenate([silence(0.3), first, silence(0.3), second, silence(1.0)]))
    names = kinds(events)
    assert names.count("TurnEnded") == 1 and names[-1] == "TurnEnded"
    assert names.index("ShortPause") < names.index("SpeechResumed")
    pause = next(e for e in events if isinstance(e, ShortPause))
    resumed = next(e for e in events if isinstance(e, SpeechResumed))
    assert 0.3 + len(first) / SAMPLE_RATE - 0.3 < pause.t < resumed.t


def turns_with_pauses_of(audio: np.ndarray, seconds: float | None) -> list[TurnEnded]:
    """The turns in `audio` when each short pause is given `seconds` to end the turn, as the loop does
    once it has judged the words so far (None: never, end_silence_s holds)."""
    detector, turns = TurnDetector(), []
    for start in range(0, len(audio), FRAME_SAMPLES):
        for event in detector.feed(audio[start : start + FRAME_SAMPLES]):
            if isinstance(event, ShortPause) and seconds is not None:
                detector.end_pause_after(seconds)
            if isinstance(event, TurnEnded):
                turns.append(event)
    return turns


def test_a_pause_can_be_given_its_own_length(tts: TextToSpeech) -> None:
    first = tts.synthesize("I went down to the harbour this morning.")
    second = tts.synthesize("The boats were already out at sea.")
    audio = np.concatenate([silence(0.3), first, silence(0.8), second, silence(2.0)])
    usual = VadOptions().end_silence_s
    assert len(turns_with_pauses_of(audio, None)) == 2  # 0.8 s is past end_silence_s
    (whole,) = turns_with_pauses_of(audio, 1.5)  # the person was looking for words: one turn
    assert whole.t - whole.speech_end >= 1.5
    shortened = turns_with_pauses_of(audio, 0.25)
    assert len(shortened) == 2
    assert all(0.25 <= turn.t - turn.speech_end < usual for turn in shortened)


def test_a_monologue_is_cut_at_max_turn_s(jfk: np.ndarray) -> None:
    options = VadOptions(end_silence_s=2.0, max_turn_s=12.0)  # jfk's pauses, up to ~1.5 s, do not end it
    events = events_of(np.tile(jfk, 4), options)
    turns = [event for event in events if isinstance(event, TurnEnded)]
    assert sum(turn.capped for turn in turns) >= 2
    assert all(len(turn.audio) <= (12.0 + 0.5) * SAMPLE_RATE for turn in turns)
    assert kinds(events).count("SpeechStarted") == len(turns)


def test_stereo_frames_are_refused() -> None:
    with pytest.raises(ValueError, match="mono"):
        TurnDetector().feed(np.zeros((FRAME_SAMPLES, 2), dtype=np.float32))


def started_at(audio: np.ndarray, urgent: bool) -> float:
    """Seconds of audio fed before SpeechStarted came out."""
    detector = TurnDetector()
    detector.urgent = urgent
    for start in range(0, len(audio), FRAME_SAMPLES):
        if any(isinstance(e, SpeechStarted) for e in detector.feed(audio[start : start + FRAME_SAMPLES])):
            return (start + FRAME_SAMPLES) / SAMPLE_RATE
    raise AssertionError("no speech was found")


def test_speech_over_the_reply_starts_a_turn_sooner(tts: TextToSpeech) -> None:
    """While the app speaks (urgent), barge_in_speech_s of speech starts the turn, not min_speech_s."""
    speech = tts.synthesize("Wait, stop, I have another question.")
    audio = np.concatenate([silence(0.5), speech, silence(0.5)])
    calm, urgent = started_at(audio, urgent=False), started_at(audio, urgent=True)
    options = VadOptions()
    assert calm - urgent >= (options.min_speech_s - options.barge_in_speech_s) * 0.8
    noise = np.random.default_rng(3).normal(0, 0.02, SAMPLE_RATE * 2).astype(np.float32)
    with pytest.raises(AssertionError):
        started_at(noise, urgent=True)  # noise still starts nothing, however urgent
