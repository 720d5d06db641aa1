"""`longwit bench soak`: long use, measured. Years of use in one database (thousands of turns,
hundreds of documents), a conversation far longer than the window, and a long chat and a long
voice call with the process's memory sampled throughout.

1. Growth: conversations and documents are written in ten steps, real text throughout (SQuAD's
   human-written questions as the person's messages and Wikipedia sentences as the answers; the
   articles' paragraphs as documents, read by the app's own ingestion). After each step the things a
   person waits for are timed on a fresh connection: opening the database, listing conversations,
   searching messages and documents, reading the longest conversation. The last step's times
   against the first's say whether they stay flat as the database grows.
2. A conversation far longer than the window: thousands of stored turns, then two questions asked
   in it through the real chat path (it must open, fit its window and go on).
3. A long chat: many turns with the real model; resident memory is sampled every few turns.
4. A long voice call: Piper-spoken questions in a microphone file, answered by the real duplex loop
   through the file backend; resident memory is sampled every second.
5. Fuzzing: thousands of damaged files, hostile conversations, answers and API bodies into the
   app's own code (benchmarks/fuzz).
6. Kill points: the crash harness's workloads, each killed at a few points (benchmarks/crash).

Memory is reported as its first and last samples and the growth per hundred turns (a least-squares
slope over the samples from the first tenth of the turns on, and never the first turn's, which
holds the warm-up), and as this process's peak over the whole soak. A part that fails is one of the
result's failures, beside the fuzz cases and kill points that failed, and the next part runs.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import statistics
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

import psutil
import soundfile

from desktop.benchmarks.crash.runner import CrashOptions, run_crash_benchmark
from desktop.benchmarks.crash.workloads import WORKLOADS
from desktop.benchmarks.soak_parts import (
    SoakParts,
    crash_failures,
    fuzz_everything,
    peak_rss_mb,
    processed,
)
from engine.chat_benchmark import machine
from engine.chat_session import ChatSession
from engine.evaluation.squad import load_articles
from engine.generation import GenerationOptions
from engine.loader import LoadOptions
from engine.model_host import ModelHost
from media.ingest import ingest_file
from storage import ConversationStore, DocumentStore, open_database

Report = Callable[[str], None]
STEPS = 10
SEARCHES = ("Chopin", "earthquake", "iPod", "Dalai Lama", "solar")  # words the text holds
# About a minute on the development machine (2 shared cores): 2,000 documents read, stored or
# refused take 40 s; the other targets' 6,000 cases under a second.
FUZZ_CASES = 8000
# Each kill point is a fresh run of its workload, checks, and `history` and an `ask` after; with
# one run to the end first, a workload with one point took 18 s on the development machine (answer,
# state-save), so one on each of the eight takes a few minutes.
KILL_POINTS = 1


@dataclass(frozen=True)
class SoakOptions:
    model: str | None = None
    conversations: int = 200
    turns: int = 20  # per conversation: a question and an answer each
    documents: int = 300
    long_turns: int = 2000  # the conversation far longer than the window
    chat_turns: int = 150
    voice_turns: int = 30
    fuzz_cases: int = FUZZ_CASES  # in all, spread over the fuzzer's four targets
    fuzz_seed: int = 0
    kill_points: int = KILL_POINTS  # per crash workload
    crash_workloads: tuple[str, ...] = tuple(WORKLOADS)
    load: LoadOptions = field(default_factory=LoadOptions)


@dataclass(frozen=True)
class GrowthStep:
    conversations: int
    messages: int
    documents: int
    database_mb: float
    open_ms: float
    list_ms: float
    search_messages_ms: float
    search_documents_ms: float
    read_conversation_ms: float


@dataclass(frozen=True)
class MemoryTrace:
    turns: int
    first_mb: float
    last_mb: float
    peak_mb: float
    growth_mb_per_100_turns: float | None
    samples: list[tuple[int, float]]  # (turns so far, resident MB)


def resident_mb() -> float:
    return psutil.Process(os.getpid()).memory_info().rss / 2**20


def slope_per_100(samples: list[tuple[int, float]]) -> float | None:
    """Least-squares growth in MB per 100 turns, from the first tenth of the turns on (and never
    before the first turn: the models warm up on it)."""
    kept = [s for s in samples if s[0] >= max(1, samples[-1][0] // 10)]
    if len(kept) < 3 or kept[-1][0] == kept[0][0]:
        return None
    xs, ys = [x for x, _ in kept], [y for _, y in kept]
    mean_x, mean_y = statistics.fmean(xs), statistics.fmean(ys)
    spread = sum((x - mean_x) ** 2 for x in xs)
    return 100 * sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / spread


def trace(samples: list[tuple[int, float]]) -> MemoryTrace:
    return MemoryTrace(samples[-1][0], samples[0][1], samples[-1][1], max(y for _, y in samples),
                       slope_per_100(samples), samples)


def real_turns() -> Iterator[tuple[str, str]]:
    """(question, answer) pairs of real text, round and round: SQuAD's questions, and the
    paragraph's sentence that holds the gold answer (or its first) as the answer."""
    pairs = []
    for article in load_articles():
        for paragraph in article.paragraphs:
            sentences = [s.strip() + "." for s in paragraph.text.split(". ") if s.strip()]
            for question in paragraph.questions:
                gold = question.answers[0] if question.answers else ""
                answer = next((s for s in sentences if gold and gold in s), sentences[0])
                pairs.append((question.text, answer))
    return itertools.cycle(pairs)


def paragraphs() -> Iterator[str]:
    texts = [p.text for article in load_articles() for p in article.paragraphs]
    return itertools.cycle(texts)


def database_bytes(path: Path) -> int:
    """The database file and its write-ahead log (recent writes live there until a checkpoint)."""
    return sum(p.stat().st_size for p in (path, path.with_name(path.name + "-wal")) if p.exists())


def timed_ms(work: Callable[[], object]) -> float:
    started = time.perf_counter()
    work()
    return (time.perf_counter() - started) * 1000


def measure_step(path: Path, conversations: int, documents: int) -> GrowthStep:
    """What a person waits for, on a connection opened for it (as the app opens one)."""
    started = time.perf_counter()
    db = open_database(path)
    open_ms = (time.perf_counter() - started) * 1000
    try:
        store, docs = ConversationStore(db), DocumentStore(db)
        messages = db.execute("SELECT count(*) FROM messages").fetchone()[0]
        longest = db.execute("SELECT conversation_id FROM messages GROUP BY conversation_id "
                             "ORDER BY count(*) DESC LIMIT 1").fetchone()
        return GrowthStep(
            conversations, messages, documents, round(database_bytes(path) / 2**20, 2), open_ms,
            timed_ms(lambda: store.list(50)),
            statistics.median(timed_ms(lambda w=w: store.search(w, 50)) for w in SEARCHES),
            statistics.median(timed_ms(lambda w=w: docs.search(w, limit=8)) for w in SEARCHES),
            timed_ms(lambda: store.messages(longest[0])) if longest else 0.0)
    finally:
        db.conn.close()


def grow(path: Path, home: Path, options: SoakOptions, report: Report) -> list[GrowthStep]:
    """Fill the database in STEPS steps, measuring after each."""
    db = open_database(path)
    store, docs = ConversationStore(db), DocumentStore(db)
    turns, texts = real_turns(), paragraphs()
    steps, made, stored = [], 0, 0
    try:
        for step in range(1, STEPS + 1):
            while made < options.conversations * step // STEPS:
                conversation = store.create(title=f"Conversation {made + 1}")
                for _ in range(options.turns):
                    question, answer = next(turns)
                    store.add_message(conversation, "user", question)
                    store.add_message(conversation, "assistant", answer)
                made += 1
            while stored < options.documents * step // STEPS:
                file = home / f"document-{stored + 1}.txt"
                file.write_text(f"Notes {stored + 1}\n\n" + "\n\n".join(next(texts) for _ in range(3)),
                                encoding="utf-8")
                ingest_file(file, docs)
                file.unlink()
                stored += 1
            steps.append(measure_step(path, made, stored))
            last = steps[-1]
            report(f"  {last.messages:,} messages, {stored} documents, {last.database_mb} MB: "
                   f"open {last.open_ms:.1f} ms, list {last.list_ms:.1f} ms, "
                   f"search {last.search_messages_ms:.1f} / {last.search_documents_ms:.1f} ms")
    finally:
        db.conn.close()
    return steps


def long_conversation(host: ModelHost, store: ConversationStore, turns: int) -> dict:
    """A conversation of `turns` stored turns, then two questions asked in it for real."""
    conversation = store.create(title="A very long conversation")
    pairs = real_turns()
    for _ in range(turns):
        question, answer = next(pairs)
        store.add_message(conversation, "user", question)
        store.add_message(conversation, "assistant", answer)
    session = ChatSession(host, store, conversation, options=GenerationOptions(max_tokens=24,
                                                                               temperature=0.0))
    asked = []
    for question in ("What did we talk about first?", "And what was the last thing you said?"):
        started = time.perf_counter()
        reply = session.ask(question)
        text = "".join(reply)
        result = reply.result
        asked.append({"question": question, "answer": text, "seconds": time.perf_counter() - started,
                      "ttft_s": result.ttft_s if result else None,
                      "prompt_tokens": result.prompt_tokens if result else None,
                      "left_out": session.last_packing.left_out if session.last_packing else None})
    return {"stored_turns": turns, "asked": asked}


def long_chat(host: ModelHost, store: ConversationStore, turns: int, report: Report) -> MemoryTrace:
    conversation = store.create(title="A long chat")
    session = ChatSession(host, store, conversation, options=GenerationOptions(max_tokens=24))
    pairs = real_turns()
    samples = [(0, resident_mb())]
    for turn in range(1, turns + 1):
        "".join(session.ask(next(pairs)[0]))
        if turn % 5 == 0 or turn == turns:
            samples.append((turn, resident_mb()))
        if turn % 25 == 0:
            report(f"  chat turn {turn}: {samples[-1][1]:.0f} MB resident")
    return trace(samples)


def long_voice_call(host: ModelHost, home: Path, turns: int, report: Report) -> MemoryTrace:
    """A call of `turns` spoken questions through the real duplex loop on the file backend."""
    from engine.voice_conversation import VoiceConversation
    from media.duplex_loop import DuplexLoop, LoopOptions
    from media.file_audio import FileAudioBackend
    from media.scripted_call import utterance, write_mic
    from media.speech_to_text import SpeechToText
    from media.text_to_speech import TextToSpeech
    from media.voice_events import UserTurn

    tts = TextToSpeech()
    lines = [utterance(tts, text) for text in (
        "What is the tallest mountain in the world?", "Tell me one thing about the moon.",
        "Name a famous composer.", "What colour is the sky on a clear day?")]
    script = [1.0]
    for index in range(turns):
        script += [lines[index % len(lines)], 9.0]  # room for the answer before the next question
    mic = home / "long-call.wav"
    write_mic(mic, script)
    script_s = soundfile.info(str(mic)).duration
    db = open_database(home / "longwit.db")
    try:
        conversation = ConversationStore(db).create(title="A long call")
    finally:
        db.conn.close()
    talk = VoiceConversation(host, conversation, GenerationOptions(max_tokens=32),
                             db_path=home / "longwit.db")
    heard = [0]

    def on_event(event: object) -> None:
        talk.on_event(event)  # type: ignore[arg-type]
        if isinstance(event, UserTurn):
            heard[0] += 1

    backend = FileAudioBackend(mic, tail_silence_s=5.0)
    loop = DuplexLoop(backend, SpeechToText(), tts, talk.respond, on_event, LoopOptions(),
                      retract=talk.retract)
    loop.on_responder_end = talk.release_thread
    samples = [(0, resident_mb())]
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(1.0):
            samples.append((heard[0], resident_mb()))

    sampler = threading.Thread(target=sample, name="soak-memory", daemon=True)
    loop.warm_up()
    loop.start()
    sampler.start()
    try:
        quiet_since = None
        while not (backend.finished.is_set() or loop.ended.is_set() or backend.error):
            time.sleep(0.5)
            played = backend.frames_delivered * 0.02 >= script_s
            quiet_since = (quiet_since or time.monotonic()) if played and loop.quiet() else None
            if quiet_since and time.monotonic() - quiet_since >= 2.0:
                break
    finally:
        stop.set()
        sampler.join()
        loop.stop()
        talk.close()
    report(f"  voice call: {heard[0]} turns heard, {samples[-1][1]:.0f} MB resident")
    return trace(samples)


def model_parts(parts: SoakParts, path: Path, home: Path, options: SoakOptions, models_dir: Path,
                report: Report) -> dict:
    """The parts that need the model, each a part of its own, on the model loaded once: the long
    conversation, the chat and the call."""
    with contextlib.ExitStack() as stack:
        host = ModelHost(models_dir)
        stack.callback(host.close)
        db = open_database(path)
        stack.callback(db.conn.close)
        card = host.load(options.model, options.load)
        store = ConversationStore(db)
        report(f"A conversation of {options.long_turns:,} turns…")
        long = parts.run("long conversation", lambda: long_conversation(host, store, options.long_turns))
        report(f"A chat of {options.chat_turns} turns…")
        chat = parts.run("chat", lambda: long_chat(host, store, options.chat_turns, report))
        voice = None
        if options.voice_turns:
            report(f"A voice call of {options.voice_turns} questions (real time)…")
            voice = parts.run("voice", lambda: long_voice_call(host, home, options.voice_turns, report))
        return {"card": card, "long": long, "chat": chat, "voice": voice}


def run_soak_benchmark(options: SoakOptions, models_dir: Path, report: Report,
                       folder: Path | None = None) -> dict:
    """Every part in turn; one that fails is a failure in the result, and the next runs."""
    parts = SoakParts(report)
    with tempfile.TemporaryDirectory(prefix="longwit-bench-soak-") as scratch:
        home = folder or Path(scratch)
        path = home / "longwit.db"
        report(f"Growing a database to {options.conversations * options.turns * 2:,} messages and "
               f"{options.documents} documents…")
        steps = parts.run("growth", lambda: grow(path, home, options, report)) or []
        # A model that does not load (or a database that does not open) skips the model's parts.
        model = parts.run("model", lambda: model_parts(parts, path, home, options, models_dir,
                                                       report)) or {}
        chat, voice = model.get("chat"), model.get("voice")
        fuzz = None
        if options.fuzz_cases:
            report(f"Fuzzing: {options.fuzz_cases:,} damaged or hostile inputs…")
            fuzz = parts.run("fuzz", lambda: fuzz_everything(home / "fuzz", options.fuzz_cases,
                                                             options.fuzz_seed, report))
        crash = None
        if options.kill_points:
            report(f"Kill points: {options.kill_points} on each of {', '.join(options.crash_workloads)}…")
            crash = parts.run("crash", lambda: run_crash_benchmark(
                CrashOptions(workloads=options.crash_workloads, points=options.kill_points), report))
        counts = parts.run("processed", lambda: processed(
            path, chat.turns if chat else 0, voice.turns if voice else 0))
    card = model.get("card")
    found = fuzz.pop("failures") if fuzz else []  # listed once, with the others
    return {
        "model": {"name": card.name, "n_ctx": card.n_ctx} if card else None,
        "options": {k: v for k, v in asdict(options).items() if k != "load"},
        "machine": machine(),
        "growth": [asdict(step) for step in steps],
        "growth_ratio": growth_ratio(steps),
        "long_conversation": model.get("long"),
        "chat_memory": asdict(chat) if chat else None,
        "voice_memory": asdict(voice) if voice else None,
        "fuzz": fuzz,
        "crash": crash,
        "processed": counts,
        "peak_rss_mb": peak_rss_mb(),
        "failures": parts.failures + found + crash_failures(crash),
    }


def growth_ratio(steps: list[GrowthStep]) -> dict[str, float]:
    """The last step's times against the first's (none when the growth failed)."""
    if not steps:
        return {}
    first, last = steps[0], steps[-1]
    return {name: round(getattr(last, name) / max(getattr(first, name), 1e-3), 2)
            for name in ("open_ms", "list_ms", "search_messages_ms", "search_documents_ms",
                         "read_conversation_ms")}
