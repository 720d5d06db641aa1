"""`longwit bench voice`: how long the voice loop leaves the person waiting, next to a plain sequential
pipeline and to the irreducible work of a turn, all measured in the same process with the same models.

Absolute times on a shared CPU move from run to run, so the targets are ratios taken in one
run. The scenarios run one after another, so that none competes with another for the CPU:

1. Conversation turns: Piper speaks each scripted question into a microphone file that the
   FileAudioBackend plays in real time into the real DuplexLoop (the real `respond`). Each turn gets
   its own short file and loop, stopped once the first reply audio has played: the latency is decided
   by then, and waiting for whole replies would triple the run time. Each question opens a new
   conversation, so that the floor and the baseline can time the stages of the very reply the loop
   gave (at temperature 0 the same prompt gives the same reply); in one conversation the loop's reply
   depends on the turns before, and a floor over another reply, with a first clause twice or half as
   long, moved the ratio by more than the loop's own overhead. The end of the person's speech is
   found in the script's own audio (its energy), not taken from the VAD, so the end-of-turn wait is
   charged to the loop in full.
2. Right after each turn, the same question offline, each stage timed alone (right after, so that a
   machine that slows down or speeds up over minutes moves both alike): the baseline as a plain
   assistant does it (wait until the same VAD has heard 0.8 s of silence, counted like the loop's wait
   from the end of the speech's energy; transcribe with faster-whisper's own `transcribe`,
   generate the whole reply, synthesize the whole reply) and the floor with the loop's own settings
   (one transcription in the sized window, the first clause generated after the cached system
   prompt, its synthesis), the reply asked with the words the loop heard. The question's tokens are
   pushed out of the model's cache first (`clear_cache`), or the floor would find them there.
3. Barge-in: a request for a long answer, then the person speaks over the reply; from the true onset
   of that speech (energy again: Piper starts with about 0.1 s of quiet) to the frame where playback
   stopped.
4. Echo: the speaker fed back into the microphone (`EchoSimulation`) while the person says nothing:
   every BargeIn is a false interruption.

Media never imports the engine: the caller hands in `respond` (the conversation) and `alone` (one
question after the system prompt only)."""

from __future__ import annotations

import os
import platform
import statistics
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np

from media.audio_backend import FRAME_SAMPLES, SAMPLE_RATE
from media.duplex_loop import DuplexLoop, LoopOptions
from media.file_audio import EchoSimulation
from media.scripted_call import (
    LoopRun,
    TimedBackend,
    TimedRespond,
    Utterance,
    silence,
    utterance,
    write_mic,
)
from media.speakable import SpeechChunker, speakable
from media.speech_to_text import SpeechToText
from media.text_to_speech import TextToSpeech
from media.vad import TurnDetector, TurnEnded, VadOptions
from media.voice_events import AssistantTurn, BargeIn, LoopFailed, Respond, Retract, UserTurn

QUESTIONS = (
    "What color is the sky on a clear day?",
    "How many legs does a spider have?",
    "Can you suggest a name for a small grey cat?",
    "What is a good breakfast before a long walk?",
    "Why do leaves change color in the autumn?",
    "Tell me one fun fact about the moon.",
    "What is the capital city of Japan?",
    "How do I make a good cup of tea?",
    "Why is the water in the sea salty?",
    "Give me one tip for sleeping better.",
    "What should I read on a rainy afternoon?",
    "How far away from us is the sun?",
)
BARGE_INS = (
    ("Please tell me a long story about a dragon who lived in a lighthouse.",
     "Stop, that is enough. Tell me about the sea instead."),
    ("Tell me everything you know about the history of trains.",
     "Wait, wait. Just tell me who built the first one."),
    ("Describe a walk through a big city from morning until night.",
     "Sorry to stop you. What time is it in Paris?"),
)
ECHO_QUESTIONS = (
    "Tell me about your favourite season, and why you like it.",
    "What do people do at the seaside in summer?",
)
WARM_UP_QUESTION = "Say hello."
LEAD_S = 0.5  # silence before the first words of each file
TURN_TAIL_S = 10.0  # silence after a question: a turn with no reply audio by then is unanswered
BARGE_GAP_S = 5.0  # from the end of the long request to the interruption: the reply is playing by then
BARGE_TAIL_S = 3.0
ECHO_LISTEN_S = 8.0  # seconds of the reply played back into the microphone before the run ends
HEARD_AFTER_FIRST_AUDIO_S = 0.3  # played this long after its first audio, a turn is over
BASELINE_END_SILENCE_S = 0.8
POLL_S = 0.02
Ask = Callable[[str, threading.Event], Iterable[str]]  # (one question, cancel) → reply pieces
TARGETS = {
    "ratio_to_baseline_min": 3.0,
    "ratio_to_floor_max": 1.3,
    "barge_in_p50_max_s": 0.25,
    "false_interruptions_max": 0,
}


@dataclass(frozen=True)
class VoiceBenchmarkOptions:
    turns: int = 12
    barge_ins: int = 3
    echo_turns: int = 2


@dataclass
class VoiceModels:
    """What the benchmark runs on: the speech models, and the chat model through two callables."""

    stt: SpeechToText
    tts: TextToSpeech
    respond: Respond  # a reply in the ongoing conversation (called from the loop's thread)
    new_conversation: Callable[[], object]  # later `respond` calls start a new conversation
    alone: Ask  # a reply to one question after the system prompt only
    retract: Retract | None = None  # undoes a reply begun at a pause (without it, replies wait)
    # Called on each loop's responder thread as it ends: `respond` closes what it opened there.
    release_thread: Callable[[], None] | None = None


# ---- Scenarios ----------------------------------------------------------------------------------------


def run_loop(models: VoiceModels, mic: Path, done: Callable[[LoopRun], bool], tail_s: float,
             options: LoopOptions | None = None, echo: EchoSimulation | None = None) -> LoopRun:
    """The real loop on `mic` in real time, until `done` says so or the file (and `tail_s` of silence
    after it) has played."""
    backend = TimedBackend(mic, None, echo, realtime=True, tail_silence_s=tail_s)
    holder: list[DuplexLoop] = []
    timed = TimedRespond(models.respond, lambda: holder[0].now_s, models.retract)
    run = LoopRun(backend, timed)
    loop = DuplexLoop(backend, models.stt, models.tts, timed, run.on_event, options,
                      retract=timed.retract if models.retract else None)
    loop.on_responder_end = models.release_thread
    holder.append(loop)
    loop.start()
    try:
        while not backend.finished.is_set() and not done(run):
            time.sleep(POLL_S)
    finally:
        loop.stop()
    if backend.error is not None:
        raise RuntimeError(f"the microphone file stopped: {backend.error}") from backend.error
    return run


def heard_first_audio(run: LoopRun) -> bool:
    first = run.backend.first_play_s
    return bool(run.of(AssistantTurn)) or (
        first is not None and run.backend.now_s() - first >= HEARD_AFTER_FIRST_AUDIO_S)


def words(text: str) -> list[str]:
    return [w for w in ("".join(c for c in word.lower() if c.isalnum()) for word in text.split()) if w]


def word_errors(reference: str, hypothesis: str) -> int:
    import jiwer

    ref, hyp = " ".join(words(reference)), " ".join(words(hypothesis))
    if not hyp:
        return len(ref.split())
    out = jiwer.process_words(ref, hyp)
    return out.substitutions + out.deletions + out.insertions


def conversation_turn(models: VoiceModels, line: Utterance, folder: Path) -> dict[str, Any]:
    """One scripted question through the loop; the latency and its breakdown, in seconds."""
    mic = folder / "turn.wav"
    models.new_conversation()
    [(onset, end)] = write_mic(mic, [LEAD_S, line])
    run = run_loop(models, mic, heard_first_audio, TURN_TAIL_S)
    users, calls = run.of(UserTurn), run.respond.answered()
    record: dict[str, Any] = {"text": line.text, "speech_onset_s": onset, "speech_end_s": end,
                              "heard": " ".join(u.text for u in users), "turns_detected": len(users)}
    record["word_errors"] = word_errors(line.text, record["heard"])
    record["reference_words"] = len(words(line.text))
    record["failures"] = [failure.message for failure in run.of(LoopFailed)]
    record["replies_retracted"] = len(run.respond.calls) - len(calls)
    if not users or not calls:
        return record | {"latency_s": None}
    user, call, first = users[0], calls[0], run.backend.first_play_s
    record["first_clause"] = call.first_clause
    # A timeline after the true end of speech: with a reply begun at the pause, the transcript and
    # the first clause come before the end of the turn is decided.
    record.update(
        vad_speech_end_s=user.speech_end_s,
        speculative=user.speculative,
        end_of_turn_s=user.turn_end_s - end,
        transcript_s=user.transcribed_s - end,
        first_token_s=since(call.first_piece_s, end),
        first_clause_s=since(call.first_clause_s, end),
        first_audio_s=since(first, end),
        latency_s=since(first, end),
    )
    return record


def since(later: float | None, earlier: float | None) -> float | None:
    return None if later is None or earlier is None else later - earlier


def barge_in_turn(models: VoiceModels, request: Utterance, interruption: Utterance,
                  folder: Path) -> dict[str, Any]:
    """A long answer interrupted: from the true onset of the interruption to playback stopped."""
    mic = folder / "barge-in.wav"
    models.new_conversation()
    _, (onset, _end) = write_mic(mic, [LEAD_S, request, BARGE_GAP_S, interruption])
    run = run_loop(models, mic, lambda r: bool(r.barge_in_stops) and r.backend.now_s()
                   >= r.barge_in_stops[0] + 0.2, BARGE_TAIL_S)
    first = run.backend.first_play_s
    record: dict[str, Any] = {"request": request.text, "interruption": interruption.text,
                              "onset_s": onset, "reply_started_s": first}
    if first is None or first > onset:
        return record | {"barge_in_s": None, "note": "the reply had not started when the person spoke"}
    stops = [s for s in run.barge_in_stops if s >= onset - 0.5]
    if not stops:
        if first + run.backend.played_s() < onset:  # queue ran dry: the reply ended (or paused) first
            return record | {"barge_in_s": None, "note": "the reply had ended before the person spoke"}
        return record | {"barge_in_s": None, "missed": True, "note": "playback was not stopped"}
    barge = next(e for e in run.of(BargeIn) if e.onset_s >= onset - 0.5)
    return record | {"vad_onset_s": barge.onset_s, "loop_stopped_s": barge.stopped_s,
                     "stopped_s": stops[0], "barge_in_s": stops[0] - onset}


def echo_options() -> tuple[LoopOptions, bool]:
    """The loop's options for a room that hears the speaker: echo cancellation on, where the loop has
    it (the flag's name in LoopOptions is `cancel_echo`)."""
    if any(f.name == "cancel_echo" for f in fields(LoopOptions)):
        return LoopOptions(cancel_echo=True), True  # type: ignore[call-arg]
    return LoopOptions(), False


def echo_turn(models: VoiceModels, question: Utterance, folder: Path) -> dict[str, Any]:
    """One question, then silence while the reply plays into the microphone: interruptions are false."""
    mic = folder / "echo.wav"
    models.new_conversation()
    write_mic(mic, [LEAD_S, question])
    options, cancelling = echo_options()
    run = run_loop(models, mic, lambda r: bool(r.of(AssistantTurn)) or r.backend.played_s()
                   >= ECHO_LISTEN_S, ECHO_LISTEN_S + TURN_TAIL_S, options, EchoSimulation())
    return {"question": question.text, "echo_cancellation": cancelling,
            "reply_played_s": run.backend.played_s(), "false_interruptions": len(run.of(BargeIn)),
            "echo_turns": max(0, len(run.of(UserTurn)) - 1)}


def timed(work: Callable[[], Any]) -> tuple[Any, float]:
    started = time.perf_counter()
    value = work()
    return value, time.perf_counter() - started


def generation_times(alone: Ask, text: str) -> tuple[str, str, float, float]:
    """The first clause and whole reply to `text` on its own, and the seconds to each."""
    chunker, pieces = SpeechChunker(), []
    first_clause, first_s = "", None
    started = time.perf_counter()
    for piece in alone(text, threading.Event()):
        pieces.append(piece)
        if first_s is None and (clauses := chunker.feed(piece)):
            first_clause, first_s = clauses[0], time.perf_counter() - started
    whole_s = time.perf_counter() - started
    if first_s is None:  # a reply of one clause: it ends with the reply
        first_clause, first_s = " ".join(chunker.flush()), whole_s
    return first_clause, "".join(pieces), first_s, whole_s


def offline_turn(models: VoiceModels, line: Utterance, heard: str) -> dict[str, Any]:
    """Baseline and floor for one scripted question, each stage timed alone on the same audio; the
    reply is asked with `heard`, what the loop heard (else what the transcription heard), so that it
    is the reply the loop gave."""
    audio = np.concatenate([silence(0.2), line.audio, silence(0.2)])
    transcript, transcription_s = timed(lambda: models.stt.transcribe(audio))
    _, plain_s = timed(lambda: plain_transcription(models.stt, audio))
    question = heard or transcript.text.strip() or line.text
    clear_cache(models)
    clause, reply, clause_s, reply_s = generation_times(models.alone, question)
    _, clause_audio_s = timed(lambda: models.tts.synthesize(clause))
    _, reply_audio_s = timed(lambda: models.tts.synthesize(speakable(reply)))
    baseline = {"end_of_turn_s": baseline_wait(line), "transcription_s": plain_s,
                "generation_s": reply_s, "synthesis_s": reply_audio_s}
    floor = {"transcription_s": transcription_s, "first_clause_s": clause_s, "synthesis_s": clause_audio_s}
    total = sum(baseline.values())
    return {"baseline": baseline | {"total_s": total, "reply_words": len(reply.split()),
                                    "total_with_sized_transcription_s": total - plain_s + transcription_s},
            "floor": floor | {"total_s": sum(floor.values()), "first_clause": clause}}


def baseline_wait(line: Utterance) -> float:
    """Seconds from the true end of `line`'s speech until the same turn detector, waiting for 0.8 s of
    silence and nothing else, ends the turn: counted as the loop's wait is, from the energy, so the
    baseline pays Silero's lag after the last word as the loop does."""
    detector = TurnDetector(VadOptions(end_silence_s=BASELINE_END_SILENCE_S))
    audio = np.concatenate([silence(LEAD_S), line.audio, silence(BASELINE_END_SILENCE_S + 1.0)])
    for start in range(0, len(audio) - FRAME_SAMPLES + 1, FRAME_SAMPLES):
        if any(isinstance(event, TurnEnded) for event in detector.feed(audio[start : start + FRAME_SAMPLES])):
            return (start + FRAME_SAMPLES) / SAMPLE_RATE - (LEAD_S + line.end_s)
    return BASELINE_END_SILENCE_S  # never ended (cannot happen with real speech): the nominal wait


def clear_cache(models: VoiceModels) -> None:
    """Leave only the system prompt in common between the model's cache and the next question: the
    loop's turn put that question there, and the floor's first clause is timed from the cached system
    prompt, as the loop's was. A short question asked on its own and cancelled at its first piece."""
    cancel = threading.Event()
    for _ in models.alone(WARM_UP_QUESTION, cancel):
        cancel.set()


def vad_frame_cost(lines: Sequence[Utterance]) -> float:
    """Seconds the turn detector takes per 20 ms microphone frame, over the script's own speech with
    silence around it: the listener runs it on every frame, so it must stay far below 20 ms."""
    detector = TurnDetector()
    audio = np.concatenate([part for line in lines for part in (silence(0.5), line.audio)] + [silence(1.0)])
    frames = range(0, len(audio) - FRAME_SAMPLES + 1, FRAME_SAMPLES)
    started = time.perf_counter()
    for start in frames:
        detector.feed(audio[start : start + FRAME_SAMPLES])
    return (time.perf_counter() - started) / len(frames)


def plain_transcription(stt: SpeechToText, audio: np.ndarray) -> list[str]:
    """The audio through faster-whisper's own `transcribe`, as a plain assistant calls it: greedy, no
    word timings (it has no use for them), every call padded to a 30 s window. The baseline's step;
    the loop keeps word timings and still takes a fraction of it (media/whisper_window.py)."""
    segments, _ = stt.model.transcribe(audio, language=stt.language, beam_size=1, temperature=0.0,
                                       condition_on_previous_text=False, without_timestamps=True,
                                       vad_filter=False)
    return [segment.text for segment in segments]


# ---- Summary ------------------------------------------------------------------------------------------


def percentile(values: Iterable[float | None], q: float) -> float | None:
    numbers = [v for v in values if v is not None]
    return float(np.percentile(numbers, q)) if numbers else None


def median(values: Iterable[float | None]) -> float | None:
    numbers = [v for v in values if v is not None]
    return statistics.median(numbers) if numbers else None


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    return None if not numerator or not denominator else numerator / denominator


def targets_met(result: dict[str, Any]) -> dict[str, bool | None]:
    def at_least(value: float | None, bound: float) -> bool | None:
        return None if value is None else bool(value >= bound)

    def at_most(value: float | None, bound: float) -> bool | None:
        return None if value is None else bool(value <= bound)

    return {
        "ratio_to_baseline": at_least(result["ratio_to_baseline"], TARGETS["ratio_to_baseline_min"]),
        "ratio_to_floor": at_most(result["ratio_to_floor"], TARGETS["ratio_to_floor_max"]),
        "barge_in_p50": None if result["barge_in_p50_s"] is None else bool(
            result["barge_in_p50_s"] <= TARGETS["barge_in_p50_max_s"] and not result["barge_ins_missed"]),
        "false_interruptions": at_most(result["false_interruptions"], TARGETS["false_interruptions_max"]),
    }


def summarise(turns: list[dict[str, Any]], barge_ins: list[dict[str, Any]],
              echoes: list[dict[str, Any]]) -> dict[str, Any]:
    latency = [t.get("latency_s") for t in turns]
    baseline_p50 = median(t["baseline"]["total_s"] for t in turns)
    floor_p50 = median(t["floor"]["total_s"] for t in turns)
    latency_p50 = median(latency)
    errors, reference = sum(t["word_errors"] for t in turns), sum(t["reference_words"] for t in turns)
    result: dict[str, Any] = {
        "latency_p50_s": latency_p50,
        "latency_p90_s": percentile(latency, 90),
        "baseline_p50_s": baseline_p50,
        "floor_p50_s": floor_p50,
        "barge_in_p50_s": median(b.get("barge_in_s") for b in barge_ins),  # over those stopped
        "barge_ins_missed": sum(1 for b in barge_ins if b.get("missed")),  # a miss fails the target
        "false_interruptions": sum(e["false_interruptions"] for e in echoes),
        "wer": errors / reference if reference else None,
        "ratio_to_baseline": ratio(baseline_p50, latency_p50),
        # The baseline had it Longwit's transcription (sized window) instead of faster-whisper's own.
        "ratio_to_baseline_with_sized_transcription": ratio(
            median(t["baseline"]["total_with_sized_transcription_s"] for t in turns), latency_p50),
        "ratio_to_floor": ratio(latency_p50, floor_p50),
        "unanswered_turns": sum(1 for v in latency if v is None),
        "stages_p50_s": {key: median(t.get(key) for t in turns) for key in STAGES},
        "transcription_p50_s": median(t["floor"]["transcription_s"] for t in turns),
        "plain_transcription_p50_s": median(t["baseline"]["transcription_s"] for t in turns),
        "replies_retracted": sum(t.get("replies_retracted", 0) for t in turns),
        # Turns whose floor synthesized the clause the loop spoke first (the same reply, see above).
        "floor_same_first_clause": sum(1 for t in turns if t["floor"].get("same_first_clause")),
    }
    result["targets"] = TARGETS
    result["met"] = targets_met(result)
    return result


STAGES = ("end_of_turn_s", "transcript_s", "first_token_s", "first_clause_s", "first_audio_s")


def machine() -> dict[str, Any]:
    import ctranslate2
    import onnxruntime

    return {"cpu_count": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version(),
            "cuda_devices_ctranslate2": ctranslate2.get_cuda_device_count(),
            "onnxruntime_providers": onnxruntime.get_available_providers()}


# ---- The run ------------------------------------------------------------------------------------------


def warm_up(models: VoiceModels) -> None:
    """Load every model and run each once, so that the first measured turn does not pay for it."""
    models.stt.transcribe(silence(0.5))
    models.stt.transcribe(utterance(models.tts, WARM_UP_QUESTION).audio)
    for _ in models.alone(WARM_UP_QUESTION, threading.Event()):
        pass


def cycle(items: Sequence[Any], count: int) -> list[Any]:
    return [items[i % len(items)] for i in range(count)]


def run_voice_benchmark(models: VoiceModels, options: VoiceBenchmarkOptions,
                        progress: Callable[[str], None] = lambda s: None) -> dict[str, Any]:
    """Every scenario, in order; a JSON-ready dict (seconds throughout)."""
    progress("Loading the speech models and synthesizing the script…")
    warm_up(models)
    tts = models.tts
    lines = [utterance(tts, text) for text in cycle(QUESTIONS, options.turns)]
    pairs = [(utterance(tts, a), utterance(tts, b)) for a, b in cycle(BARGE_INS, options.barge_ins)]
    echo_lines = [utterance(tts, text) for text in cycle(ECHO_QUESTIONS, options.echo_turns)]
    with tempfile.TemporaryDirectory(prefix="longwit-bench-voice-") as name:
        folder = Path(name)
        turns = []
        for number, line in enumerate(lines, start=1):
            progress(f"Turn {number}/{len(lines)} in real time, then each stage alone: {line.text}")
            turn = conversation_turn(models, line, folder)
            turn.update(offline_turn(models, line, turn["heard"]))
            if "first_clause" in turn:
                turn["floor"]["same_first_clause"] = turn["floor"]["first_clause"] == turn["first_clause"]
            turns.append(turn)
        barge_ins = []
        for number, (request, interruption) in enumerate(pairs, start=1):
            progress(f"Barge-in {number}/{len(pairs)} in real time…")
            barge_ins.append(barge_in_turn(models, request, interruption, folder))
        echoes = []
        for number, question in enumerate(echo_lines, start=1):
            progress(f"Echo {number}/{len(echo_lines)} in real time (the app hears itself)…")
            echoes.append(echo_turn(models, question, folder))
    vad_frame_s = vad_frame_cost(lines)
    return {**summarise(turns, barge_ins, echoes), "vad_frame_s": vad_frame_s, "turns": turns,
            "barge_ins": barge_ins, "echo": echoes, "machine": machine()}
