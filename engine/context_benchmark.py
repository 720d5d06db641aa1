"""`longwit bench context`: how well and how fast Longwit answers over long documents.

(a) A needle-in-a-haystack grid: a sentence planted at a known depth of a synthetic document of a
known length; each cell is answered twice from the same cached prefix, once the plain way (the
document, then the question) and once Longwit's way (the best passages repeated before the
question), so the two accuracies are measured side by side. (b) Time to first token for a question
about a document: cold (pre-fill and save the state), warm (same process, prefix in memory) and
restored (a new process loading the saved state), as ratios to cold, with the state's size on disk.
Documents go through the real store, BM25 search, packer and state cache.
"""

from __future__ import annotations

import hashlib
import json
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import sqlite_utils

from engine.chat_session import ChatSession
from engine.document_context import document_context
from engine.errors import EngineError
from engine.filler_text import sentences
from engine.generation import GenerationOptions
from engine.loader import LoadedModel, LoadOptions
from engine.model_host import ModelHost
from engine.state_cache import StateCache
from engine.turn_timing import ask_timed
from storage import ConversationStore, DocumentStore, NewChunk, open_database

COLOURS = ("blue", "green", "amber", "violet", "scarlet", "silver", "copper", "ivory", "jade")
CHUNK_CHARS = 700
ROOM_TOKENS = 1200  # beside the document: system prompt, question, passage and answer
CHUNKS_PER_PAGE = 4
TTFT_QUESTION = "Who repaired the broken clock, and when?"
# Later questions, each different (as a person's would be): warm and restored runs pay for their
# own words and passage, and only the document comes from the cache. The median is reported.
LATER_QUESTIONS = (
    "And who photographed the harbour office?",
    "What did the forest ranger carry during the long winter?",
    "Who noticed the unusual blue stone?",
)


@dataclass(frozen=True)
class ContextBenchmarkOptions:
    model: str | None = None
    load: LoadOptions = field(default_factory=LoadOptions)
    lengths: tuple[int, ...] = (1024, 2048, 4096, 8192, 16384, 32768)  # capped by the window
    depths: tuple[float, ...] = (0.0, 0.25, 0.5, 0.75, 1.0)
    ttft_tokens: tuple[int, ...] = (4096, 8192, 16384, 30000)
    answer_tokens: int = 24


@dataclass(frozen=True)
class Needle:
    sentence: str
    question: str
    answer: str

    @classmethod
    def make(cls, rng: random.Random) -> Needle:
        colour, code = rng.choice(COLOURS), str(rng.randint(1000, 9999))
        return cls(f"The access code for the {colour} vault is {code}.",
                   f"What is the access code for the {colour} vault?", code)


def haystack_chunks(model: LoadedModel, tokens: int, seed: int, needle: Needle | None,
                    depth: float) -> list[str]:
    """Filler chunks of about CHUNK_CHARS adding up to about `tokens`, needle at `depth`."""
    source, chunks, total = sentences(random.Random(seed)), [], 0
    while total < tokens:
        text = ""
        while len(text) < CHUNK_CHARS:
            text += next(source) + " "
        chunks.append(text.strip())
        total += model.count_tokens(chunks[-1])
    if needle is not None:
        at = min(len(chunks) - 1, int(depth * len(chunks)))
        parts = chunks[at].split(". ")
        parts.insert(len(parts) // 2 if depth not in (0.0, 1.0) else (0 if depth == 0 else len(parts)),
                     needle.sentence.rstrip("."))
        chunks[at] = ". ".join(parts)
    return chunks


def store_document(documents: DocumentStore, title: str, chunks: list[str]) -> int:
    text = "\n\n".join(chunks)
    starts, offset = [], 0
    for chunk in chunks:
        starts.append(offset)
        offset += len(chunk) + 2
    rows = [NewChunk(c, s, page=i // CHUNKS_PER_PAGE + 1) for i, (c, s) in
            enumerate(zip(chunks, starts, strict=True))]
    digest = hashlib.sha256(text.encode()).hexdigest()
    return documents.add(title, None, digest, "text", len(text.encode()), rows)


@dataclass
class Workspace:
    """A temporary Longwit home: database, saved states, the loaded model. One connection for the
    stores and one state cache for every session, as the window has; `close` ends both."""

    home: Path
    host: ModelHost
    options: ContextBenchmarkOptions
    db: sqlite_utils.Database | None = None
    states: StateCache = field(init=False)

    def __post_init__(self) -> None:
        self.states = StateCache(self.home / "states", self.database)

    @property
    def database(self) -> Path:
        return self.home / "longwit.db"

    def stores(self) -> tuple[ConversationStore, DocumentStore]:
        if self.db is None:
            self.db = open_database(self.database)
        return ConversationStore(self.db), DocumentStore(self.db)

    def close(self) -> None:
        """The stores' connection here, the state cache's on the model's thread that opened it."""
        if self.db is not None:
            self.db.conn.close()
            self.db = None
        self.host.call(lambda _model: self.states.close())

    def session(self, conversations: ConversationStore, documents: DocumentStore, document_id: int,
                passages: int | None = None) -> ChatSession:
        card = self.host.card
        context = document_context(documents, [document_id], self.home, self.database,
                                   str(card.path) if card else None, self.states)
        assert context is not None
        session = ChatSession(self.host, conversations, conversations.create("bench"),
                              options=GenerationOptions(max_tokens=self.options.answer_tokens,
                                                        temperature=0),
                              documents=context)
        if session.packer is not None:
            # This benchmark measures whole documents across the window (needles, the state cache),
            # not the usable context the app would hold this model to, and one reading's first
            # token: the later readings (engine/rereading) are measured by `bench answers`.
            changes: dict[str, Any] = {"usable_tokens": None, "rereading": False}
            if passages is not None:
                changes["evidence_windows"] = passages
            session.packer.options = replace(session.packer.options, **changes)
        return session


def answer(session: ChatSession, question: str) -> tuple[str, Any]:
    reply = session.ask(question)
    reply.finish()
    return reply.text, reply


def needle_cell(ws: Workspace, length: int, depth: float, seed: int) -> dict[str, Any]:
    needle = Needle.make(random.Random(seed))
    conversations, documents = ws.stores()
    chunks = ws.host.call(lambda m: haystack_chunks(m, length, seed, needle, depth))
    document_id = store_document(documents, f"Haystack {length}", chunks)
    plain = ws.session(conversations, documents, document_id, passages=0)
    plain.documents.state_cache = None  # measuring reading, not saving: keep the disk out of it
    plain_text, plain_reply = answer(plain, needle.question)
    longwit = ws.session(conversations, documents, document_id)
    longwit.documents.state_cache = None
    longwit_text, longwit_reply = answer(longwit, needle.question)
    mode = longwit_reply.context.mode if longwit_reply.context else None
    return {
        "length": length, "depth": depth, "document_tokens": plain_reply.context.prefix_tokens,
        "mode": mode, "baseline_correct": needle.answer in plain_text,
        "longwit_correct": needle.answer in longwit_text,
        "expected": needle.answer, "longwit_answer": longwit_text[:160],
        "baseline_answer": plain_text[:160],
    }


def needle_grid(ws: Workspace, progress: Callable[[str], None]) -> dict[str, Any]:
    n_ctx = ws.host.card.n_ctx if ws.host.card else 0
    # Up to the model's window: the lengths asked for that fit with room for the question and
    # answer, and the window itself (less that room) when a longer length was asked for.
    largest = (n_ctx - ROOM_TOKENS) // 256 * 256
    fits = [n for n in ws.options.lengths if n <= largest]
    if any(n > largest for n in ws.options.lengths) and largest not in fits and largest > 0:
        fits.append(largest)
    if not fits:
        progress(f"No needle grid: a {n_ctx:,}-token window leaves no room for a haystack "
                 f"beside {ROOM_TOKENS:,} tokens of prompt and answer (use --ctx).")
    cells = []
    for length in fits:
        for index, depth in enumerate(ws.options.depths):
            progress(f"Needle at {depth:.0%} of {length:,} tokens…")
            cells.append(needle_cell(ws, length, depth, seed=length * 10 + index))
    return {
        "lengths": fits, "depths": list(ws.options.depths), "cells": cells,
        "accuracy_longwit": accuracy(cells, "longwit_correct"),
        "accuracy_baseline": accuracy(cells, "baseline_correct"),
    }


def accuracy(cells: list[dict[str, Any]], key: str) -> float | None:
    return round(sum(c[key] for c in cells) / len(cells), 3) if cells else None


def timed_first_token(session: ChatSession, question: str) -> dict[str, Any]:
    reply, wall = ask_timed(session, question)
    result = reply.result
    assert result is not None
    return {
        "ttft_s": round(wall, 4),
        "prefix": reply.prefix.how if reply.prefix else None,
        "prefix_tokens": reply.context.prefix_tokens if reply.context else 0,
        "prefilled_tokens": result.prefilled_tokens,
        "mode": reply.context.mode if reply.context else None,
    }


def load_options_json(load: LoadOptions) -> dict[str, Any]:
    return {"n_ctx": load.n_ctx, "max_ctx": load.max_ctx, "n_threads": load.n_threads,
            "gpu_layers": load.gpu_layers, "flash_attn": load.flash_attn, "kv_type": load.kv_type}


def restored_in_new_process(ws: Workspace, document_id: int, question: str) -> dict[str, Any]:
    """Run the same question in a fresh Python process that finds the saved state on disk."""
    request = {"home": str(ws.home), "model": ws.options.model, "document_id": document_id,
               "question": question,
               "load": load_options_json(ws.options.load), "answer_tokens": ws.options.answer_tokens,
               "models_dir": str(ws.host.models_dir)}
    code = "from engine.context_benchmark import restored_probe; restored_probe()"
    done = subprocess.run([sys.executable, "-c", code], input=json.dumps(request), text=True,
                          capture_output=True, check=False, timeout=1800)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise EngineError(f"The restored-state run in a new process failed: {last}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def restored_probe() -> None:
    """The child side of restored_in_new_process: load, ask once, print one JSON line."""
    request = json.loads(sys.stdin.read())
    options = ContextBenchmarkOptions(model=request["model"], load=LoadOptions(**request["load"]),
                                      answer_tokens=request["answer_tokens"])
    host = ModelHost(Path(request["models_dir"]))
    try:
        started = time.perf_counter()
        host.load(options.model, options.load)
        load_s = time.perf_counter() - started
        ws = Workspace(Path(request["home"]), host, options)
        try:
            conversations, documents = ws.stores()
            figures = timed_first_token(ws.session(conversations, documents, request["document_id"]),
                                        request["question"])
        finally:
            ws.close()
        figures["load_s"] = round(load_s, 4)
        print(json.dumps(figures))
    finally:
        host.close()


def state_bytes(ws: Workspace) -> int:
    return sum(p.stat().st_size for p in (ws.home / "states").glob("*.state"))


def ttft_case(ws: Workspace, tokens: int) -> dict[str, Any]:
    conversations, documents = ws.stores()
    chunks = ws.host.call(lambda m: haystack_chunks(m, tokens, tokens, None, 0.0))
    document_id = store_document(documents, f"Document of {tokens:,} tokens", chunks)
    ws.host.forget_cache()
    before = state_bytes(ws)
    cold = timed_first_token(ws.session(conversations, documents, document_id), TTFT_QUESTION)
    saved = state_bytes(ws) - before
    warm = median_run([
        timed_first_token(ws.session(conversations, documents, document_id), question)
        for question in LATER_QUESTIONS
    ])
    restored = median_run([
        restored_in_new_process(ws, document_id, question) for question in LATER_QUESTIONS
    ])
    return {"tokens": tokens, "document_tokens": cold["prefix_tokens"], "cold": cold, "warm": warm,
            "restored": restored, "warm_speedup": speedup(cold, warm),
            "restored_speedup": speedup(cold, restored), "state_bytes": saved}


def median_run(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The run with the median time to first token, with every run's time alongside."""
    ordered = sorted(runs, key=lambda run: run["ttft_s"])
    return {**ordered[len(ordered) // 2], "runs_s": [run["ttft_s"] for run in runs]}


def speedup(cold: dict[str, Any], case: dict[str, Any]) -> float | None:
    return round(cold["ttft_s"] / case["ttft_s"], 1) if case["ttft_s"] else None


def ttft_table(ws: Workspace, progress: Callable[[str], None]) -> list[dict[str, Any]]:
    n_ctx = ws.host.card.n_ctx if ws.host.card else 0
    cases = []
    for tokens in ws.options.ttft_tokens:
        if tokens + ROOM_TOKENS > n_ctx:
            progress(f"Skipping {tokens:,} tokens: the window is {n_ctx:,} (use --ctx or Gemma).")
            continue
        progress(f"Time to first token for a document of {tokens:,} tokens (cold, warm, restored)…")
        cases.append(ttft_case(ws, tokens))
    return cases


def run_context_benchmark(
    options: ContextBenchmarkOptions, models_dir: Path, progress: Callable[[str], None],
    grid: bool = True, ttft: bool = True,
) -> dict[str, Any]:
    host = ModelHost(models_dir)
    try:
        progress("Loading the model…")
        card = host.load(options.model, options.load)
        with tempfile.TemporaryDirectory(prefix="longwit-context-bench-") as folder:
            ws = Workspace(Path(folder), host, options)
            result: dict[str, Any] = {"model": card.name, "n_ctx": card.n_ctx,
                                      "n_threads": card.n_threads, "gpu_layers": card.gpu_layers}
            try:
                if grid:
                    result["needle"] = needle_grid(ws, progress)
                if ttft:
                    result["ttft"] = ttft_table(ws, progress)
            finally:
                ws.close()  # before the folder goes
            return result
    finally:
        host.close()

