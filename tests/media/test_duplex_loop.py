"""The duplex loop on the file backend with the real speech models and a scripted `respond` (the
chat model is exercised end to end in tests/desktop/test_voice_cli.py): speculative transcription
at a short pause is used when the person stops and thrown away when they go on, and an
interrupted answer is clipped to what was played."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import jiwer
import numpy as np
import soundfile

from media.audio_backend import SAMPLE_RATE
from media.duplex_loop import AssistantTurn, DuplexLoop, LoopEvent, Spoken, UserTurn, heard_text
from media.file_audio import FileAudioBackend
from media.speech_to_text import SpeechToText
from media.text_to_speech import TextToSpeech


def words(text: str) -> str:
    return " ".join("".join(c for c in w.lower() if c.isalnum()) for w in text.split())


def silence(seconds: float) -> np.ndarray:
    return np.zeros(round(seconds * SAMPLE_RATE), dtype=np.float32)


def run_script(tmp_path: Path, parts: list[str | float], answer: str = "All right.") -> list[LoopEvent]:
    tts = TextToSpeech()
    audio = [silence(p) if isinstance(p, float) else tts.synthesize(p) for p in parts]
    mic = tmp_path / "mic.wav"
    soundfile.write(str(mic), np.concatenate(audio), SAMPLE_RATE)
    events: list[LoopEvent] = []

    def respond(_text: str, _cancel: threading.Event) -> Iterator[str]:
        yield from answer.split(" ")[:1]
        yield from (" " + word for word in answer.split(" ")[1:])

    # Real time: the speaker is drained by the same clock as the microphone, so an answer can only
    # be played (and the conversation end) while that clock runs.
    backend = FileAudioBackend(mic, tail_silence_s=4.0)
    loop = DuplexLoop(backend, SpeechToText(), tts, respond, events.append)
    loop.start()
    backend.wait(timeout=120)
    loop.wait_until_quiet(timeout=60)
    loop.stop()
    return events


def test_transcript_begun_at_the_pause_is_used_when_the_turn_ends(tmp_path: Path) -> None:
    events = run_script(tmp_path, [0.5, "What time does the train leave?", 1.5])
    (turn,) = [e for e in events if isinstance(e, UserTurn)]
    assert turn.speculative
    assert jiwer.wer("what time does the train leave", words(turn.text)) <= 0.4
    assert any(isinstance(e, AssistantTurn) for e in events)


def test_speech_after_a_short_pause_throws_the_guess_away(tmp_path: Path) -> None:
    events = run_script(tmp_path, [0.5, "I would like to know.", 0.35, "When does the train leave?", 1.5])
    turns = [e for e in events if isinstance(e, UserTurn)]
    assert len(turns) == 1, [t.text for t in turns]
    # One turn holding both sentences (Piper varies, so the words are compared loosely).
    assert jiwer.wer("i would like to know when does the train leave", words(turns[0].text)) <= 0.4


def test_an_interrupted_answer_keeps_only_the_clauses_played() -> None:
    spoken = [Spoken("The ferry leaves at noon.", 0, 16000), Spoken("It takes an hour.", 16000, 8000),
              Spoken("Bring a coat.", 24000, 8000)]
    assert heard_text(spoken, 20000) == "The ferry leaves at noon. It takes…"
    assert heard_text(spoken, 40000) == "The ferry leaves at noon. It takes an hour. Bring a coat."
    assert heard_text(spoken, 0) == ""
