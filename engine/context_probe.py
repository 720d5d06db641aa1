"""How much of its context window a model file really reads (`longwit probe`).

Small models lose what sits deep in a long context: SmolLM2 135M has an 8K window but reads 1–2K
tokens of real text well. The probe measures this on real text laid out exactly as the app lays out
a pinned document in full-context mode (ContextPacker, DEFAULT_SYSTEM_PROMPT, the question after
the document), so the packer can decide from it whether a document goes in whole.

The grid: document lengths doubling from 1K tokens up to the longest document the window holds
whole (that length is the last), at depths 10%, 50% and 90%. Each cell is a document of SQuAD
paragraphs from other articles, with one planted sentence (a made-up number, new in every cell) and
a few real SQuAD paragraphs whose human-written questions are asked, all at that depth. It is
pre-filled once and every question reuses it from the KV cache; greedy answers are right when they
contain a gold answer (SQuAD normalisation). A length passes when the planted fact is found at two
depths of three and the real questions keep 75% of the accuracy of the shortest length (a 135M
model misses real questions even at 1K; what matters is when that gets worse). The usable length
is the longest one before the first that fails, never less than the shortest tried.

The probe stops growing the length once a length fails: longer ones would fail too, and the whole
grid for Gemma 3 270M at 32K takes about 10 minutes on two cores. The speed of a full window's
pre-fill comes from the longest cell when it was a full window, else from one cold pre-fill of a
full window timed alone.
"""

from __future__ import annotations

import itertools
import math
import random
import threading
import time
from collections.abc import Callable, Sequence

import llama_cpp

from engine.chat_format import ChatMessage
from engine.chat_session import DEFAULT_SYSTEM_PROMPT, DOCUMENT_STOPS, RETRIEVED_PASSAGES
from engine.context_packer import (
    FULL,
    QUESTION_ALLOWANCE,
    ContextPacker,
    PackedContext,
    PackingOptions,
)
from engine.document_prompt import DocumentChunk, PinnedDocument
from engine.errors import EngineError
from engine.evaluation.scoring import contains_answer
from engine.evaluation.squad import load_articles
from engine.generation import GenerationOptions, abort_when, generate
from engine.kv_cache import forget_memory, reusable_prefix
from engine.loader import LoadedModel
from engine.probe_documents import DocumentMaker, choose_questions, planted_fact
from engine.probe_records import (
    Asked,
    LengthResult,
    ProbeCancelled,
    ProbeCell,
    ProbeOptions,
    ProbeResult,
    short_tokens,
)
from storage.passage_index import PassageIndex


def pack(model: LoadedModel, document: PinnedDocument, question: str,
         evidence: bool = True) -> PackedContext:
    """The prompt as the app lays it out for a question about this one document: the whole
    document, and (with `evidence`) the best sentence windows of the chunks BM25 finds, right
    before the question. The planted question goes without: its words match the planted sentence
    exactly, so BM25 would repeat it right before the question and the cell would measure BM25."""
    packer = ContextPacker(DEFAULT_SYSTEM_PROMPT, [document], PackingOptions(usable_tokens=None))
    hits = search(document, question) if evidence else []
    return packer.pack(model, [ChatMessage("user", question)], hits, start=0)


def search(document: PinnedDocument, question: str) -> list[DocumentChunk]:
    """The document's chunks by BM25 for the question, as the store would rank them."""
    index = PassageIndex([chunk.text for chunk in document.chunks])
    try:
        return [document.chunks[i] for i in index.search(question, RETRIEVED_PASSAGES)]
    finally:
        index.close()


def prefill(model: LoadedModel, prefix: Sequence[int], cancel: threading.Event) -> tuple[int, float]:
    """Read `prefix` into the KV cache (reusing what is there); (tokens evaluated, seconds)."""
    reusable = reusable_prefix(model, prefix)
    model.llama.n_tokens = reusable
    started = time.perf_counter()
    try:
        with abort_when(model, cancel):
            model.llama.eval(list(prefix[reusable:]))
    except RuntimeError:
        if cancel.is_set():
            raise ProbeCancelled from None
        raise
    return len(prefix) - reusable, time.perf_counter() - started


def largest_document(model: LoadedModel, maker: DocumentMaker) -> int:
    """The longest document the packer still puts in whole, less the question allowance."""
    budget = model.n_ctx - min(PackingOptions().answer_reserve, model.n_ctx // 4)
    sample = maker.make(64, 0, 0.0, [], "")
    overhead = len(pack(model, sample, "?").tokens) - (sample.token_count or 0)
    # The packer puts a document in whole only when its question allowance still fits after it.
    return max(64, budget - overhead - QUESTION_ALLOWANCE)


def grid_lengths(options: ProbeOptions, largest: int) -> list[int]:
    if options.lengths:
        lengths = sorted({n for n in options.lengths if n <= largest})
        if any(n > largest for n in options.lengths):
            lengths.append(largest)
        return lengths
    lengths, length = [], options.first_length
    while length <= largest:
        lengths.append(length)
        length *= 2
    if not lengths or largest - lengths[-1] >= lengths[-1] // 4:
        lengths.append(largest)
    return lengths


def ask_cell(model: LoadedModel, document: PinnedDocument, questions: list[Asked],
             options: ProbeOptions, cancel: threading.Event) -> tuple[PackedContext, int, float, list]:
    """Pre-fill the document once, then ask each question after it from the cache."""
    first = pack(model, document, questions[0].question)
    evaluated, seconds = prefill(model, first.tokens[: first.prefix_tokens], cancel)
    # Greedy, without llama.cpp's repeat penalty (it also penalises the prompt's last tokens, where
    # the words to quote sit): how the app answers about documents.
    settings = GenerationOptions(max_tokens=options.answer_tokens, temperature=0.0, top_k=1,
                                 repeat_penalty=1.0)
    stops = (*model.chat_format.answer_stop_strings(), *DOCUMENT_STOPS)
    answered = []
    for asked in questions:
        if cancel.is_set():
            raise ProbeCancelled
        packed = pack(model, document, asked.question, evidence=asked.kind == "real")
        if packed.mode != FULL:
            raise EngineError("The probe's document did not fit the window whole; this is a bug.")
        result = generate(model, packed.tokens, settings, cancel, lambda _text: None, stops)
        if result.finish_reason == "cancelled":
            raise ProbeCancelled
        text = result.text.strip()
        answered.append(Asked(asked.kind, asked.question, asked.golds, text,
                              contains_answer(text, asked.golds)))
    return first, evaluated, seconds, answered


def judge(length: int, cells: list[ProbeCell], baseline: float | None,
          options: ProbeOptions) -> LengthResult:
    found = sum(cell.planted_found for cell in cells)
    correct = sum(cell.real[0] for cell in cells)
    asked = sum(cell.real[1] for cell in cells)
    accuracy = correct / asked if asked else 0.0
    planted_ok = found >= math.ceil(options.planted_share * len(cells) - 1e-9)
    # A model that answers no real question even at the shortest length cannot be trusted with a
    # whole document at any length: only the shortest passes (SmolLM2 135M found every planted
    # fact up to 7.5K tokens and answered 0 of 9 real questions at 1K without evidence windows).
    real_ok = accuracy > 0 if baseline is None else (
        baseline > 0 and accuracy >= options.real_ratio * baseline - 1e-9)
    return LengthResult(length, found, len(cells), correct, asked, planted_ok and real_ok)


def probe_context(model: LoadedModel, options: ProbeOptions, progress: Callable[[float, str], None],
                  cancel: threading.Event) -> ProbeResult:
    """Run the grid on the model's own thread (send it with ModelHost.call); raises ProbeCancelled
    when `cancel` is set, between cells or inside a pre-fill or an answer."""
    started = time.perf_counter()
    memo_before = set(model.memo)
    try:
        return run_grid(model, options, progress, cancel, started)
    finally:
        for key in set(model.memo) - memo_before:  # the probe's documents are gone after it
            del model.memo[key]


def run_grid(model: LoadedModel, options: ProbeOptions, progress: Callable[[float, str], None],
             cancel: threading.Event, started: float) -> ProbeResult:
    title, question_sets = choose_questions(options)
    filler = [(a.title, p.text) for a in load_articles() if a.title != title for p in a.paragraphs]
    maker = DocumentMaker(model, filler)
    largest = largest_document(model, maker)
    lengths = grid_lengths(options, largest)
    rng = random.Random(options.seed)
    planned = len(lengths) * len(options.depths)
    cells: list[ProbeCell] = []
    results: list[LengthResult] = []
    for length in lengths:
        offset = rng.randrange(len(filler))  # each length starts elsewhere: a cold first cell
        row = []
        for index, depth in enumerate(options.depths):
            if cancel.is_set():
                raise ProbeCancelled
            sentence, planted = planted_fact(index, rng)
            cluster = [(title, paragraph.text) for paragraph, _ in question_sets[index]]
            document = maker.make(length, offset, depth, cluster, sentence)
            questions = [planted, *(asked for _, asked in question_sets[index])]
            packed, evaluated, seconds, answered = ask_cell(model, document, questions, options, cancel)
            cell = ProbeCell(length, depth, document.token_count or 0, len(packed.tokens), evaluated,
                             seconds, tuple(answered))
            cells.append(cell)
            row.append(cell)
            right, asked = cell.real
            progress(len(cells) / planned,
                     f"{short_tokens(length)} tokens, depth {depth:.0%}: planted "
                     f"{'✓' if cell.planted_found else '✗'}, real {right}/{asked}")
        baseline = results[0].real_accuracy if results else None
        results.append(judge(length, row, baseline, options))
        if not results[-1].passed and options.stop_after_failure:
            break
    if cancel.is_set():  # stopped after the last cell: nothing measured is kept
        raise ProbeCancelled
    passed = [r.length for r in itertools.takewhile(lambda r: r.passed, results)]
    usable = passed[-1] if passed else lengths[0]  # never less than the shortest length tried
    timed = max(cells, key=lambda c: c.prefill_tokens)
    prefill_tokens, prefill_s = timed.prefill_tokens, timed.prefill_s
    if options.time_full_window and timed.length < largest:
        progress(len(cells) / (len(cells) + 1),
                 f"Timing the pre-fill of a full window ({largest:,} tokens)…")
        document = maker.make(largest, rng.randrange(len(filler)), 0.0, [], "")
        packed = pack(model, document, "?")
        forget_memory(model)  # cold, as a new document would be
        if packed.mode != FULL:
            raise EngineError("The probe's full window did not fit whole; this is a bug.")
        prefill_tokens, prefill_s = prefill(model, packed.tokens[: packed.prefix_tokens], cancel)
        progress(1.0, f"A full window pre-filled in {prefill_s:.1f} s.")
    return ProbeResult(model.name, str(model.ref.path), model.n_ctx, largest, usable, tuple(results),
                       tuple(cells), prefill_tokens, prefill_s, title, len(results) < len(lengths),
                       time.perf_counter() - started, llama_cpp.__version__)
