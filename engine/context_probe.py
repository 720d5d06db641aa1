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
import re
import shlex
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import llama_cpp

from engine.catalog import BUNDLED_USABLE_TOKENS
from engine.chat_format import ChatMessage
from engine.chat_session import DEFAULT_SYSTEM_PROMPT, DOCUMENT_STOPS, RETRIEVED_PASSAGES
from engine.context_packer import FULL, ContextPacker, PackedContext, PackingOptions
from engine.document_prompt import DocumentChunk, PinnedDocument, document_block
from engine.errors import EngineError
from engine.evaluation.scoring import contains_answer
from engine.evaluation.squad import Paragraph, load_articles
from engine.filler_text import count_tokens
from engine.generation import GenerationOptions, abort_when, generate
from engine.kv_cache import forget_memory, reusable_prefix
from engine.loader import LoadedModel
from storage.locations import Location
from storage.model_probes import ProbeRecord, ProbeStore
from storage.passage_index import PassageIndex

DEFAULT_USABLE_TOKENS = 2048
"""What to assume for a model never probed: the smallest model we ship reads 1–2K tokens of real
text well (DESIGN.md), and larger models read at least as far, so 2K is a conservative guess."""

PROBE_DOCUMENT_ID = -1  # never a stored document's id, so nothing keyed by id can mix them up
FIT_MARGIN = 48  # tokens kept free below the packer's budget: the question varies in length
SENTENCE_END = re.compile(r"(?<=[.!?])\s+")

# Made-up facts with a number the model cannot know, and their questions. Each depth has its own
# kind of fact, the same at every length with a new number in every cell, so that lengths are
# compared on equal terms: with names in some cells, SmolLM2 missed every name and found every
# number whatever the length, and which length drew the names decided the result.
PLANTED_FACTS = (
    ("The archive's courier code is {}.", "What is the archive's courier code?"),
    ("The lighthouse keeper's locker number is {}.", "What is the lighthouse keeper's locker number?"),
    ("The old telescope's serial number is {}.", "What is the old telescope's serial number?"),
    ("The rescue team answers on radio channel {}.", "On which radio channel does the rescue team answer?"),
    ("The harbour master's permit is number {}.", "What number is the harbour master's permit?"),
)


class ProbeCancelled(Exception):
    """The probe was stopped by its cancel event; nothing it measured should be kept."""


@dataclass(frozen=True)
class ProbeOptions:
    lengths: tuple[int, ...] | None = None  # None: 1K doubling up to the window, then the window
    first_length: int = 1024
    depths: tuple[float, ...] = (0.1, 0.5, 0.9)
    real_paragraphs: int = 3  # real SQuAD paragraphs per cell, one question asked about each
    max_paragraph_chars: int = 700  # short paragraphs, so that three fit in the smallest documents
    answer_tokens: int = 40
    planted_share: float = 2 / 3  # of the depths where a length must find the planted fact
    real_ratio: float = 0.75  # of the shortest length's real accuracy a length must keep
    stop_after_failure: bool = True  # a length that fails makes longer ones pointless
    time_full_window: bool = True  # time a full window's pre-fill if no cell was one
    seed: int = 0


@dataclass(frozen=True)
class Asked:
    """A question put to the model about one cell's document, and what it said."""

    kind: str  # "planted" or "real"
    question: str
    golds: tuple[str, ...]
    answer: str = ""
    correct: bool = False


@dataclass(frozen=True)
class ProbeCell:
    length: int  # the document length asked for, in tokens
    depth: float
    document_tokens: int  # as measured in the model's tokens
    prompt_tokens: int
    prefill_tokens: int  # evaluated for this cell (the rest came from the cache)
    prefill_s: float
    answers: tuple[Asked, ...]

    @property
    def planted_found(self) -> bool:
        return any(a.correct for a in self.answers if a.kind == "planted")

    @property
    def real(self) -> tuple[int, int]:
        real = [a for a in self.answers if a.kind == "real"]
        return sum(a.correct for a in real), len(real)


@dataclass(frozen=True)
class LengthResult:
    length: int
    planted_found: int
    depths: int
    real_correct: int
    real_asked: int
    passed: bool

    @property
    def real_accuracy(self) -> float:
        return self.real_correct / self.real_asked if self.real_asked else 0.0


@dataclass(frozen=True)
class ProbeResult:
    model: str
    path: str
    n_ctx: int
    window_tokens: int  # the longest document the window holds in full-context mode
    usable_tokens: int
    lengths: tuple[LengthResult, ...]
    cells: tuple[ProbeCell, ...]
    prefill_tokens: int  # tokens of the pre-fill timed for the full-window figure
    prefill_s: float
    question_article: str
    stopped_early: bool
    seconds: float
    llama_cpp_version: str

    @property
    def prefill_tokens_per_s(self) -> float:
        return self.prefill_tokens / self.prefill_s if self.prefill_s > 0 else 0.0

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "prefill_tokens_per_s": round(self.prefill_tokens_per_s, 1)}


def store_probe(store: ProbeStore, result: ProbeResult) -> ProbeRecord:
    """Keep a finished probe for its model file (a cancelled probe raises before it gets here)."""
    return store.record(result.path, result.usable_tokens, result.n_ctx, result.prefill_tokens,
                        result.prefill_s, result.to_json(), result.llama_cpp_version)


def describe_probe(record: ProbeRecord | None, model: str, path: str | Path | None = None) -> str:
    """One line for a model list: what the probe found; else, for a bundled file, the figure
    measured for it on the development machine; else how to run the probe."""
    if record is not None:
        return f"usable ~{record.usable_tokens:,} tokens (probed {record.probed_date})"
    how = f"`longwit probe --model {shlex.quote(model)}`"
    measured = BUNDLED_USABLE_TOKENS.get(Path(path).name) if path else None
    if measured is not None:
        return f"usable ~{measured:,} tokens (measured for this bundled model; {how} measures it here)"
    return f"not probed: run {how} (until then ~{DEFAULT_USABLE_TOKENS:,} tokens are assumed)"


def short_tokens(tokens: int) -> str:
    return f"{tokens // 1024}K" if tokens % 1024 == 0 else f"{tokens:,}"


def planted_fact(depth_index: int, rng: random.Random) -> tuple[str, Asked]:
    """The planted sentence for a cell at this depth, and its question."""
    sentence, question = PLANTED_FACTS[depth_index % len(PLANTED_FACTS)]
    value = str(rng.randint(1000, 9899))
    return sentence.format(value), Asked("planted", question, (value,))


def choose_questions(options: ProbeOptions) -> tuple[str, list[list[tuple[Paragraph, Asked]]]]:
    """One SQuAD article (by the seed) and, per depth, paragraphs of it each with one answerable
    question, preferring questions whose gold answer is at most four words."""
    rng = random.Random(options.seed)
    needed = len(options.depths) * options.real_paragraphs

    def answerable(paragraph: Paragraph) -> list:
        return [q for q in paragraph.questions if not q.impossible and q.answers]

    def eligible(paragraph: Paragraph) -> bool:
        return len(paragraph.text) <= options.max_paragraph_chars and bool(answerable(paragraph))

    articles = [a for a in load_articles() if sum(map(eligible, a.paragraphs)) >= needed]
    if not articles:
        raise EngineError(f"The evaluation articles hold fewer than {needed} short paragraphs with "
                          "questions; ask about fewer depths or paragraphs.")
    article = rng.choice(articles)
    chosen = []
    for paragraph in rng.sample([p for p in article.paragraphs if eligible(p)], needed):
        questions = answerable(paragraph)
        short = [q for q in questions if min(len(a.split()) for a in q.answers) <= 4]
        question = rng.choice(short or questions)
        chosen.append((paragraph, Asked("real", question.text, question.answers)))
    per = options.real_paragraphs
    return article.title, [chosen[i * per:(i + 1) * per] for i in range(len(options.depths))]


class DocumentMaker:
    """Builds one cell's document from filler paragraphs, measuring each once per probe."""

    def __init__(self, model: LoadedModel, filler: list[tuple[str, str]]) -> None:
        self.model = model
        self.filler = filler
        self.counts: dict[str, int] = {}

    def tokens(self, text: str) -> int:
        if text not in self.counts:
            self.counts[text] = count_tokens(self.model, text) + 1  # and its line break
        return self.counts[text]

    def make(self, length: int, offset: int, depth: float, cluster: list[tuple[str, str]],
             planted: str) -> PinnedDocument:
        """At most `length` tokens: filler from `offset` on, with the planted sentence and the
        `cluster` of asked-about paragraphs at `depth`. The filler before the cluster starts the
        same way at every depth of a length, so later cells reuse that part of the cache."""
        target = length
        for _ in range(4):  # paragraphs measured alone add up to a little less than the whole
            document = self.build(target, offset, depth, cluster, planted)
            over = (document.token_count or 0) - length
            if over <= 0:
                break
            target -= over + 8
        return document

    def build(self, length: int, offset: int, depth: float, cluster: list[tuple[str, str]],
              planted: str) -> PinnedDocument:
        inside = sum(self.tokens(text) for _, text in cluster) + (self.tokens(planted) if planted else 0)
        before = depth * max(0, length - inside)
        parts: list[tuple[str, str]] = []
        used, index = 0, offset
        while used + self.tokens(self.filler[index % len(self.filler)][1]) / 2 <= before:
            parts.append(self.filler[index % len(self.filler)])
            used += self.tokens(parts[-1][1])
            index += 1
        if planted and parts:  # the planted sentence ends the paragraph before the asked-about ones
            parts[-1] = (parts[-1][0], f"{parts[-1][1]} {planted}")
        elif planted:
            parts.append((cluster[0][0] if cluster else "Notes", planted))
        parts += cluster
        used += inside
        while used < length:
            title, text = self.filler[index % len(self.filler)]
            index += 1
            if used + self.tokens(text) > length:
                text = self.cut(text, length - used)
                if text:
                    parts.append((title, text))
                break
            parts.append((title, text))
            used += self.tokens(text)
        chunks = tuple(DocumentChunk(-(i + 1), PROBE_DOCUMENT_ID, i, text, Location(section=title))
                       for i, (title, text) in enumerate(parts))
        document = PinnedDocument(PROBE_DOCUMENT_ID, "Collected articles", chunks)
        # Known up front, so the packer neither measures it again nor remembers it under an id.
        return PinnedDocument(PROBE_DOCUMENT_ID, document.title, chunks,
                              count_tokens(self.model, document_block(1, document)))

    def cut(self, text: str, room: int) -> str:
        """The leading sentences of `text` that fit in `room` tokens."""
        sentences = SENTENCE_END.split(text)
        while sentences and count_tokens(self.model, " ".join(sentences)) + 1 > room:
            sentences.pop()
        return " ".join(sentences)


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
    """The longest document the packer still puts in whole, less a margin for the question."""
    budget = model.n_ctx - min(PackingOptions().answer_reserve, model.n_ctx // 4)
    sample = maker.make(64, 0, 0.0, [], "")
    overhead = len(pack(model, sample, "?").tokens) - (sample.token_count or 0)
    return max(64, budget - overhead - FIT_MARGIN)


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
        prefill_tokens, prefill_s = prefill(model, packed.tokens[: packed.prefix_tokens], cancel)
        progress(1.0, f"A full window pre-filled in {prefill_s:.1f} s.")
    return ProbeResult(model.name, str(model.ref.path), model.n_ctx, largest, usable, tuple(results),
                       tuple(cells), prefill_tokens, prefill_s, title, len(results) < len(lengths),
                       time.perf_counter() - started, llama_cpp.__version__)
