"""`longwit bench answers`: how often Longwit answers real questions about real documents right,
beside the naive baseline, in the same process and with the same loaded model.

Each evaluation document is written as a file (text, PDF, EPUB or DOCX), read by the app's own
readers and stored in a scratch database; its state is pre-filled as when a person drops it into
the window. Each question is then asked through the real `ask` path (a new conversation with the
document pinned, `ChatSession.ask` with the defaults `longwit ask` uses) and, right after, through
the baseline (engine/evaluation/baseline.py). Only the answer text is scored: whether its first
50 words contain a gold answer, whether it says honestly that the document does not hold the
answer, and whether the passage it cites contains the gold answer.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from desktop.reply_stats import one_line
from engine.chat_benchmark import machine
from engine.chat_session import ChatSession
from engine.deliberation import Deliberation
from engine.document_answer import checked_answer
from engine.document_context import document_context
from engine.evaluation.baseline import NaiveBaseline
from engine.evaluation.corpus import CorpusOptions, EvalDocument, build_corpus
from engine.evaluation.scoring import SCORED_WORDS, contains_answer, is_refusal
from engine.evaluation.squad import Question
from engine.loader import LoadOptions
from engine.model_host import ModelCard, ModelHost
from engine.reply import Reply
from engine.sampling_defaults import generation_options_for
from engine.state_cache import StateCache
from media.document_files import Chapter, write_document
from media.ingest import ingest_file
from media.read_document import read_document
from storage import ConversationStore, DocumentStore, open_database

Report = Callable[[str], None]
BUNDLED_MODELS = ("smollm2-135m-instruct", "gemma-3-270m")


@dataclass(frozen=True)
class AnswerBenchmarkOptions:
    models: tuple[str, ...] = BUNDLED_MODELS
    load: LoadOptions = field(default_factory=LoadOptions)
    corpus: CorpusOptions = field(default_factory=CorpusOptions)
    questions_per_document: int | None = None  # fewer, for a quick look; None: all
    baseline: bool = True
    # PackingOptions fields to change, to measure what each part of the packer is worth
    # ({"evidence_windows": 0}, {"passage_context": False}, {"neighbours": 0}).
    packing: dict[str, Any] = field(default_factory=dict)
    deliberate: int | None = None  # answer in deliberate mode with this many samples


@dataclass(frozen=True)
class AnswerRecord:
    """One question answered by one system."""

    model: str
    # "longwit", "baseline", "single" (deliberate mode's plain first answer) or "first reading"
    # (the answer of the first of the readings alone, engine/rereading)
    system: str
    bucket: str
    document: str
    format: str
    question_id: str
    question: str
    golds: tuple[str, ...]
    impossible: bool
    answer: str
    correct: bool  # contains a gold answer (answerable), or says it is not there (unanswerable)
    refused: bool  # said the document does not hold the answer
    cited: bool
    cited_correct: bool | None  # a source shown with it contains a gold answer (None: no source)
    ttft_s: float | None
    mode: str  # "full", "passages", or "baseline"
    prompt_tokens: int
    model_text: str  # what the model wrote, before Longwit's checks (the same as `answer` for the baseline)
    # Whether a passage put right before the question holds a gold answer: retrieval's part in
    # the result, apart from the model's reading (None for an unanswerable question).
    gold_shown: bool | None
    agreeing: int | None = None  # deliberate mode: how many samples agreed with the answer shown
    # A hand-written question about what the document never mentions (reported apart).
    off_document: bool = False
    reading: int | None = None  # of the readings, the one shown (1 to 3); None: read once, streamed
    # Each reading's checked answer and how squarely it stands on the document (-1: "not found").
    readings: tuple[str, ...] = ()
    alignments: tuple[float, ...] = ()


def score(question: Question, answer: str) -> tuple[bool, bool]:
    refused = is_refusal(answer)
    if question.impossible:
        return refused, refused
    return (not refused and contains_answer(answer, question.answers, SCORED_WORDS)), refused


def gold_in(question: Question, passages: Sequence[str]) -> bool | None:
    if question.impossible:
        return None
    return any(contains_answer(p, question.answers) for p in passages)


def write_files(documents: list[EvalDocument], folder: Path) -> dict[str, Path]:
    return {
        d.name: write_document(folder / f"{d.name}.{d.format}", d.title,
                               [Chapter(s.heading, s.paragraphs) for s in d.sections])
        for d in documents
    }


class ModelRun:
    """One model's pass over the corpus, in a scratch home with its own database and states."""

    def __init__(self, host: ModelHost, card: ModelCard, home: Path, report: Report,
                 packing: dict[str, Any] | None = None, deliberate: int | None = None) -> None:
        self.host, self.card, self.home, self.report = host, card, home, report
        self.packing = packing or {}
        self.deliberate = deliberate
        # Deliberate mode's plain first answers, and the first of two readings alone, to add
        self.single: list[AnswerRecord] = []
        self.database = home / "longwit.db"
        self.db = open_database(self.database)
        self.conversations = ConversationStore(self.db)
        self.documents = DocumentStore(self.db)
        # One state cache for every question, as the window has: its connection is the model's
        # thread's, closed there as the host closes.
        self.states = StateCache(home / "states", self.database)

    def session(self, document_id: int) -> ChatSession:
        """A new conversation with the document pinned, as `longwit ask --doc` makes it."""
        conversation = self.conversations.create(model=self.card.name)
        self.documents.pin(conversation, document_id)
        context = document_context(self.documents, [document_id], self.home, self.database,
                                   str(self.card.path), self.states)
        options = generation_options_for(self.host, documents=True)
        session = ChatSession(self.host, self.conversations, conversation, options=options,
                              documents=context)
        if self.packing and session.packer is not None:
            session.packer.options = replace(session.packer.options, **self.packing)
        return session

    def longwit(self, document: EvalDocument, document_id: int, question: Question) -> AnswerRecord:
        deliberation = Deliberation(self.deliberate) if self.deliberate else None
        reply = self.session(document_id).ask(question.text, deliberation=deliberation)
        for _piece in reply:
            pass
        record = self.record(document, question, "longwit", reply.text, reply)
        reading = reply.reading
        if reading is not None and reading.chosen is not None:
            first = reading.readings[0]
            record = replace(record, reading=reading.readings.index(reading.chosen) + 1,
                             readings=tuple(r.checked.text for r in reading.readings),
                             alignments=tuple(round(r.alignment, 3) for r in reading.readings))
            self.single.append(self.record(
                document, question, "first reading", first.checked.text,
                ttft_s=first.result.ttft_s, prompt_tokens=first.result.prompt_tokens,
                passages=[p.chunk.text for p in first.context.sources]))
        if deliberation is not None and deliberation.groups is not None:
            record = replace(record, agreeing=deliberation.groups.agreeing)
            self.single.append(self.first_sample(document, question, reply, deliberation))
        return record

    def first_sample(self, document: EvalDocument, question: Question, reply: Reply,
                     deliberation: Deliberation) -> AnswerRecord:
        """Deliberate mode's first sample is the plain answer: checked as one would have been and
        scored as system "single", the same question's plain answer from the same run."""
        first = deliberation.answers[0]
        text = deliberation.texts[0]
        check = reply.context.check if reply.context else None
        shown = checked_answer(text, check).text if check is not None else text
        return self.record(document, question, "single", shown, ttft_s=first.ttft_s,
                           prompt_tokens=first.prompt_tokens)

    def record(self, document: EvalDocument, question: Question, system: str, answer: str,
               reply: Reply | None = None, ttft_s: float | None = None, prompt_tokens: int = 0,
               passages: Sequence[str] = ()) -> AnswerRecord:
        correct, refused = score(question, answer)
        cited, cited_correct, mode, model_text = False, None, "baseline", answer
        if reply is not None:
            result = reply.result
            ttft_s = result.ttft_s if result else None
            prompt_tokens = result.prompt_tokens if result else 0
            model_text = result.text if result else ""
            laid_out = reply.laid_out  # how the document was held, whichever reading is shown
            mode = laid_out.mode if laid_out else "chat"
            shown = {p.number: p.chunk.text for p in (reply.context.sources if reply.context else [])}
            passages = list(shown.values())
            # A source the person is shown under the answer: cited by the model, or matched to
            # the answer by its wording (not the closest passage offered with a "not found").
            cited_texts = [shown.get(c.number, c.quote) for c in reply.citations
                           if c.how in ("cited", "matched")]
            cited = bool(cited_texts) and not refused
            if cited:
                cited_correct = any(contains_answer(t, question.answers) for t in cited_texts)
        return AnswerRecord(self.card.name, system, document.bucket, document.name, document.format,
                            question.id, question.text, question.answers, question.impossible,
                            answer, correct, refused, cited, cited_correct, ttft_s, mode,
                            prompt_tokens, model_text, gold_in(question, passages),
                            off_document=question.off_document)

    def baseline(self, document: EvalDocument, naive: NaiveBaseline, question: Question) -> AnswerRecord:
        answer = self.host.call(lambda model: naive.answer(model, question.text))
        return self.record(document, question, "baseline", answer.text, ttft_s=answer.ttft_s,
                           prompt_tokens=answer.prompt_tokens, passages=answer.passages)


def run_document(run: ModelRun, document: EvalDocument, path: Path, text: str | None,
                 options: AnswerBenchmarkOptions, records: list[AnswerRecord],
                 prefills: list[dict]) -> None:
    """Store, pre-fill and ask about one document; `text` is the document as the readers read
    it, for the baseline (None: no baseline)."""
    stored = ingest_file(path, run.documents).document
    assert stored is not None
    started = time.perf_counter()
    packed = run.session(stored.id).prefill()
    prefills.append({"model": run.card.name, "document": document.name, "bucket": document.bucket,
                     "format": document.format, "chars": document.chars,
                     "tokens": sum(packed.document_tokens.values()) if packed else None,
                     "mode": packed.mode if packed else None,
                     "seconds": round(time.perf_counter() - started, 3)})
    naive = NaiveBaseline(text) if text is not None else None
    questions = document.questions[: options.questions_per_document]
    try:
        for question in questions:
            # Interleaved, so that the machine's mood is shared by both.
            mine = run.longwit(document, stored.id, question)
            other = run.baseline(document, naive, question) if naive is not None else None
            records.extend(r for r in (mine, other, *run.single) if r is not None)
            run.single.clear()
            run.report(progress_line(mine, other))
    finally:
        if naive is not None:
            naive.close()


def progress_line(mine: AnswerRecord, other: AnswerRecord | None) -> str:
    line = f"  {mine.bucket:<8} {'✓' if mine.correct else '✗'} Longwit: {one_line(mine.answer, 60)}"
    if other is not None:
        line += f"  |  {'✓' if other.correct else '✗'} baseline: {one_line(other.answer, 40)}"
    return f"{line}  (gold: {mine.golds[0] if mine.golds else '—'})"



def run_answer_benchmark(options: AnswerBenchmarkOptions, models_dir: Path, report: Report) -> dict:
    corpus = build_corpus(options.corpus)
    records: list[AnswerRecord] = []
    prefills: list[dict] = []
    cards = []
    with tempfile.TemporaryDirectory(prefix="longwit-bench-answers-") as folder:
        paths = write_files(corpus, Path(folder) / "files")
        # Read once for every model's baseline, by the same readers ingestion uses.
        texts = {name: read_document(path).text for name, path in paths.items()} \
            if options.baseline else {}
        for model in options.models:
            report(f"Loading {model}…")
            host = ModelHost(models_dir)
            run: ModelRun | None = None
            try:
                card = host.load(model, options.load)
                cards.append({"name": card.name, "n_ctx": card.n_ctx, "gpu_layers": card.gpu_layers,
                              "n_threads": card.n_threads})
                home = Path(folder) / card.name
                home.mkdir()
                run = ModelRun(host, card, home, report, options.packing, options.deliberate)
                try:
                    for document in corpus:
                        report(f"{card.name}: {document.name} ({document.format}, "
                               f"{document.chars:,} characters, {len(document.questions)} questions)")
                        run_document(run, document, paths[document.name], texts.get(document.name),
                                     options, records, prefills)
                finally:
                    run.db.conn.close()
            finally:
                host.close(last=run.states.close if run is not None else None)
    return {
        "corpus": {"seed": options.corpus.seed, "buckets": list(options.corpus.buckets),
                   "off_document_per_article": options.corpus.off_document,
                   "documents": len(corpus),
                   "questions": sum(len(d.questions[: options.questions_per_document])
                                    for d in corpus)},
        "models": cards,
        "packing": options.packing,
        "deliberate": options.deliberate,
        "machine": machine(),
        "prefills": prefills,
        "records": [asdict(r) for r in records],
    }
