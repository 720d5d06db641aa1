"""The duplex loop on the file backend with the real speech models and a scripted `respond` (the
chat model is exercised end to end in tests/desktop/test_voice_cli.py): a reply begun at a short
pause is played when the person stops and retracted when they go on, an interrupted answer is
clipped to what was played, and audio that goes away mid-call ends the call with one message."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import jiwer
import numpy as np
import soundfile

from media.audio_backend import FRAME_SECONDS, SAMPLE_RATE, InputCallback
from media.duplex_loop import DuplexLoop, LoopOptions
from media.file_audio import FileAudioBackend
from media.speech_to_text import SpeechToText, Word
from media.spoken_reply import Spoken, heard_text
from media.text_to_speech import TextToSpeech
from media.vad import VadOptions
from media.voice_events import AssistantTurn, LoopEvent, LoopFailed, UserTurn
from storage import WordTiming


def words(text: str) -> str:
    return " ".join("".join(c for c in w.lower() if c.isalnum()) for w in text.split())


def silence(seconds: float) -> np.ndarray:
    return np.zeros(round(seconds * SAMPLE_RATE), dtype=np.float32)


def write_mic(tmp_path: Path, tts: TextToSpeech, parts: list[str | float]) -> Path:
    audio = [silence(p) if isinstance(p, float) else tts.synthesize(p) for p in parts]
    mic = tmp_path / "mic.wav"
    soundfile.write(str(mic), np.concatenate(audio), SAMPLE_RATE)
    return mic


def scripted(answer: str):
    def respond(_turn: UserTurn, _cancel: threading.Event) -> Iterator[str]:
        yield from answer.split(" ")[:1]
        yield from (" " + word for word in answer.split(" ")[1:])

    return respond


class Ledger:
    """A scripted conversation that keeps what it would save, as VoiceChat does: the question when the
    reply starts, the answer (cut if cancelled) when the reply's iterator is closed; `retract` undoes
    both for the turn it is given."""

    def __init__(self, answer: str) -> None:
        self.answer, self.saved, self.retracted = answer, [], []
        self.cancelled: list[str] = []

    def respond(self, turn: UserTurn, cancel: threading.Event) -> Iterator[str]:
        self.saved.append((turn, "user", turn.text))
        said = []
        try:
            for piece in scripted(self.answer)(turn, cancel):
                if cancel.is_set():
                    break
                said.append(piece)
                yield piece
        finally:
            if cancel.is_set():
                self.cancelled.append(turn.text)
            self.saved.append((turn, "assistant", "".join(said)))

    def retract(self, turn: UserTurn) -> None:
        self.retracted.append(turn.text)
        self.saved = [entry for entry in self.saved if entry[0] is not turn]

    def messages(self) -> list[tuple[str, str]]:
        return [(role, text) for _turn, role, text in self.saved]


def run_script(tmp_path: Path, parts: list[str | float], answer: str = "All right.",
               ledger: Ledger | None = None, options: LoopOptions | None = None) -> list[LoopEvent]:
    tts = TextToSpeech()
    mic = write_mic(tmp_path, tts, parts)
    events: list[LoopEvent] = []
    respond, retract = (ledger.respond, ledger.retract) if ledger else (scripted(answer), None)

    # Real time: the speaker is drained by the same clock as the microphone, so an answer can only
    # be played (and the conversation end) while that clock runs.
    backend = FileAudioBackend(mic, tail_silence_s=4.0)
    loop = DuplexLoop(backend, SpeechToText(), tts, respond, events.append, options, retract=retract)
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


def test_reply_begun_at_the_pause_plays_once_the_turn_ends(tmp_path: Path) -> None:
    ledger = Ledger("The train leaves at noon. Platform two.")
    events = run_script(tmp_path, [0.5, "What time does the train leave?", 2.0], ledger=ledger)
    kinds = [type(e).__name__ for e in events]
    assert kinds == ["UserTurn", "AssistantTurn"], events
    turn, reply = events
    assert turn.speculative and not ledger.retracted
    # Begun at the pause, but its first clause was queued no earlier than the end of the turn was
    # decided (the frame that decided it: stream time counts frames the listener has finished).
    assert reply.first_audio_s is not None and reply.first_audio_s >= turn.turn_end_s - FRAME_SECONDS
    assert reply.heard == "The train leaves at noon. Platform two." and not reply.interrupted
    assert ledger.messages() == [("user", turn.text), ("assistant", ledger.answer)]


def test_speech_after_a_short_pause_throws_the_guess_away(tmp_path: Path) -> None:
    ledger = Ledger("You would like to know when the train leaves.")
    events = run_script(tmp_path, [0.5, "I would like to know.", 0.35, "When does the train leave?", 1.5],
                        ledger=ledger)
    turns = [e for e in events if isinstance(e, UserTurn)]
    assert len(turns) == 1, [t.text for t in turns]
    # One turn holding both sentences (Piper varies, so the words are compared loosely).
    assert jiwer.wer("i would like to know when does the train leave", words(turns[0].text)) <= 0.4
    # Whatever was begun on the first sentence alone was undone; only the whole turn is kept.
    assert ledger.messages() == [("user", turns[0].text), ("assistant", ledger.answer)]
    assert all(text != turns[0].text for text in ledger.retracted)
    replies = [e for e in events if isinstance(e, AssistantTurn)]
    assert len(replies) == 1 and replies[0].heard == ledger.answer


def test_a_reply_begun_on_a_pause_the_person_talks_through_is_retracted(tmp_path: Path) -> None:
    # A long wait for the end of the turn and an early guess, so that the reply to the first sentence
    # has surely begun (transcribed, asked, its question saved) when the person goes on.
    options = LoopOptions(vad=VadOptions(short_pause_s=0.1, end_silence_s=1.5))
    ledger = Ledger("You would like to know something. Ask away.")
    events = run_script(tmp_path, [0.5, "I would like to know.", 1.0, "When does the train leave?", 2.5],
                        ledger=ledger, options=options)
    turns = [e for e in events if isinstance(e, UserTurn)]
    assert len(turns) == 1, [t.text for t in turns]
    assert ledger.retracted and "know" in ledger.retracted[0].lower()  # the first sentence's reply
    assert ledger.cancelled  # ... was stopped after its first clause, not left to run
    assert ledger.messages() == [("user", turns[0].text), ("assistant", ledger.answer)]
    assert [e.heard for e in events if isinstance(e, AssistantTurn)] == [ledger.answer]


def test_a_question_ends_its_turn_after_less_silence_than_a_statement(tmp_path: Path) -> None:
    # The transcript made at the short pause judges the pause (media/turn_end.py): silence counted as
    # the VAD does, from the end of the last speech window to the window that ended the turn.
    usual = VadOptions().end_silence_s
    (question,) = [e for e in run_script(tmp_path, [0.5, "What time does the train leave?", 1.5])
                   if isinstance(e, UserTurn)]
    (statement,) = [e for e in run_script(tmp_path, [0.5, "I would like to take the train.", 1.5])
                    if isinstance(e, UserTurn)]
    assert question.text.endswith("?") and not statement.text.endswith("?")
    assert question.turn_end_s - question.speech_end_s < usual
    assert statement.turn_end_s - statement.speech_end_s >= usual


def test_words_that_trail_off_are_waited_for(tmp_path: Path) -> None:
    # A pause longer than end_silence_s (0.8 s, and Piper's own tails) after words that cannot end a
    # sentence: the person is looking for the rest, and it is one turn.
    # ("…about the" will not do: tiny.en hears "Can you tell me about that?"; "…because" it hears as is
    # or with an ellipsis.)
    events = run_script(tmp_path, [0.5, "I was late because", 0.8, "the bus never came.", 1.5])
    turns = [e for e in events if isinstance(e, UserTurn)]
    assert len(turns) == 1, [t.text for t in turns]
    assert jiwer.wer("i was late because the bus never came", words(turns[0].text)) <= 0.4


def test_an_interrupted_answer_keeps_only_the_clauses_played() -> None:
    spoken = [Spoken("The ferry leaves at noon.", 0, 16000), Spoken("It takes an hour.", 16000, 8000),
              Spoken("Bring a coat.", 24000, 8000)]
    assert heard_text(spoken, 20000) == "The ferry leaves at noon. It takes…"
    assert heard_text(spoken, 40000) == "The ferry leaves at noon. It takes an hour. Bring a coat."
    assert heard_text(spoken, 0) == ""


def test_user_turn_gives_its_words_in_stream_time() -> None:
    turn = UserTurn("Ask not", [Word("Ask", 0.2, 0.5, 0.9), Word("not", 0.5, 0.8, 0.8)], 3.9, 4.5, 4.9,
                    speech_start_s=3.2, audio_start_s=3.0)
    assert turn.word_timings() == [WordTiming("Ask", 3.2, 3.5, 0.9), WordTiming("not", 3.5, 3.8, 0.8)]


class UnpluggedMidReply(FileAudioBackend):
    """Its stream fails half a second into the first reply, as a headset pulled out would."""

    def start(self, on_input: InputCallback, *, on_speaker: InputCallback | None = None) -> None:
        def heard(frame: np.ndarray) -> None:
            if self.playback_position() >= SAMPLE_RATE // 2:
                raise OSError("the USB headset is gone")
            on_input(frame)

        super().start(heard, on_speaker=on_speaker)


def test_audio_that_goes_away_mid_reply_ends_the_call_once(tmp_path: Path) -> None:
    tts = TextToSpeech()
    mic = write_mic(tmp_path, tts, [0.5, "When does the train leave?", 1.0])
    answer = ("It leaves at noon from the second platform, and the ride to the coast takes about an "
              "hour, so bring a coat and something to read on the way.")
    events: list[LoopEvent] = []
    backend = UnpluggedMidReply(mic, tail_silence_s=20.0)
    loop = DuplexLoop(backend, SpeechToText(), tts, scripted(answer), events.append)
    loop.start()
    try:
        assert loop.ended.wait(timeout=60), f"the loop did not notice the loss: {events}"
        deadline = time.monotonic() + 10
        while not any(isinstance(e, AssistantTurn) for e in events) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not backend.is_playing()  # playback was stopped, not left to drain
    finally:
        loop.stop()
    failures = [e for e in events if isinstance(e, LoopFailed)]
    assert len(failures) == 1 and failures[0].ended and loop.failure == failures[0]
    assert failures[0].message.startswith("The microphone or speaker went away (")
    assert "the USB headset is gone" in failures[0].message
    assert "plug it back in or choose another device" in failures[0].message
    (reply,) = [e for e in events if isinstance(e, AssistantTurn)]
    assert reply.interrupted and len(reply.heard) < len(answer)
