"""`longwit bench recall`: whether recalling earlier conversations and documents makes answers
better, measured on real text with human-written questions, beside the same question asked with
recall off, in the same process with the same loaded model.

The setting is what recall is for: the person read or discussed something before and asks about it
later, in a new conversation. Paragraphs of SQuAD articles (Wikipedia, CC BY-SA; see
engine/evaluation/data/README.md) go into a scratch database before any question: half as earlier
conversations ("Notes to keep: …", answered "Noted."), half as stored documents pinned nowhere.
Each question about one of them is then asked in a new conversation twice, recall on and off; a few
control questions about paragraphs that were never stored show what recall does when it has
nothing to find. Only the answer text is scored, as in `bench answers`.
"""

from __future__ import annotations

import random
import statistics
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from engine.chat_benchmark import machine
from engine.chat_session import ChatSession
from engine.evaluation.corpus import usable
from engine.evaluation.scoring import SCORED_WORDS, contains_answer
from engine.evaluation.squad import Paragraph, Question, load_articles
from engine.loader import LoadOptions
from engine.model_host import ModelHost
from engine.sampling_defaults import generation_options_for
from media.ingest import ingest_file
from storage import ConversationStore, DocumentStore, open_database

Report = Callable[[str], None]
RECALL, ALONE = "recall", "no recall"
AS_CONVERSATION, AS_DOCUMENT, NEVER_STORED = "conversation", "document", "never stored"
NOTES = "Notes to keep: {text}"
ANSWER_TOKENS = 96


@dataclass(frozen=True)
class RecallBenchmarkOptions:
    model: str | None = None
    questions: int = 30  # about stored paragraphs, half in conversations, half in documents
    controls: int = 6  # about paragraphs never stored
    seed: int = 0
    load: LoadOptions = field(default_factory=LoadOptions)


@dataclass(frozen=True)
class Case:
    paragraph: Paragraph
    question: Question
    stored_as: str


@dataclass(frozen=True)
class RecallRecord:
    system: str  # RECALL or ALONE
    stored_as: str
    question: str
    golds: tuple[str, ...]
    answer: str
    correct: bool
    recalled: int  # texts recalled into the prompt (0 with recall off)
    gold_recalled: bool  # a recalled text holds a gold answer
    ttft_s: float | None
    prompt_tokens: int


@dataclass(frozen=True)
class RecallFigures:
    system: str
    stored_as: str
    questions: int
    accuracy: float
    recalled_share: float  # questions where recall brought something
    gold_recalled_share: float  # questions where what it brought held the answer
    ttft_median_s: float | None


def draw_cases(options: RecallBenchmarkOptions) -> list[Case]:
    """One answerable question from each of `questions + controls` paragraphs, drawn by the seed;
    paragraphs of every article, so the stored ones are each other's distractors."""
    rng = random.Random(options.seed)
    pool = [(paragraph, [q for q in paragraph.questions if not q.impossible and usable(q)])
            for article in load_articles() for paragraph in article.paragraphs]
    pool = [(p, qs) for p, qs in pool if qs]
    chosen = rng.sample(pool, options.questions + options.controls)
    cases = []
    for index, (paragraph, questions) in enumerate(chosen):
        stored_as = (NEVER_STORED if index >= options.questions
                     else AS_CONVERSATION if index % 2 == 0 else AS_DOCUMENT)
        cases.append(Case(paragraph, rng.choice(questions), stored_as))
    return cases


def store_material(cases: list[Case], home: Path, store: ConversationStore) -> None:
    """The earlier conversations and documents, as the person would have left them."""
    documents = DocumentStore(store.db)
    for number, case in enumerate(cases):
        if case.stored_as == AS_CONVERSATION:
            conversation = store.create(title=f"Notes {number}")
            store.add_message(conversation, "user", NOTES.format(text=case.paragraph.text))
            store.add_message(conversation, "assistant", "Noted.")
        elif case.stored_as == AS_DOCUMENT:
            path = home / f"notes-{number}.txt"
            path.write_text(case.paragraph.text, encoding="utf-8")
            ingest_file(path, documents)


def ask(host: ModelHost, store: ConversationStore, case: Case, recall: bool) -> RecallRecord:
    """The question in a new conversation, through the real chat path."""
    conversation = store.create(title="Question")
    store.set_recall(conversation, recall)
    # Greedy and short, for both systems alike: the first 50 words are scored.
    options = generation_options_for(host, documents=False, max_tokens=ANSWER_TOKENS, temperature=0.0)
    session = ChatSession(host, store, conversation, options=options, recall=True)
    reply = session.ask(case.question.text)
    for _piece in reply:
        pass
    answer = reply.text
    recalled = list(reply.recalled)
    result = reply.result
    return RecallRecord(
        RECALL if recall else ALONE, case.stored_as, case.question.text, case.question.answers,
        answer, contains_answer(answer, case.question.answers, SCORED_WORDS), len(recalled),
        any(contains_answer(item.text, case.question.answers) for item in recalled),
        result.ttft_s if result else None, result.prompt_tokens if result else 0)


def summarize(records: list[RecallRecord]) -> list[RecallFigures]:
    rows = []
    for stored_as in (AS_CONVERSATION, AS_DOCUMENT, "stored", NEVER_STORED):
        for system in (RECALL, ALONE):
            chosen = [r for r in records if r.system == system and (
                r.stored_as == stored_as or (stored_as == "stored" and r.stored_as != NEVER_STORED))]
            if not chosen:
                continue
            times = [r.ttft_s for r in chosen if r.ttft_s is not None]
            rows.append(RecallFigures(
                system, stored_as, len(chosen), sum(r.correct for r in chosen) / len(chosen),
                sum(r.recalled > 0 for r in chosen) / len(chosen),
                sum(r.gold_recalled for r in chosen) / len(chosen),
                statistics.median(times) if times else None))
    return rows


def run_recall_benchmark(options: RecallBenchmarkOptions, models_dir: Path, report: Report) -> dict:
    cases = draw_cases(options)
    records: list[RecallRecord] = []
    with tempfile.TemporaryDirectory(prefix="longwit-bench-recall-") as folder:
        home = Path(folder)
        db = open_database(home / "longwit.db")
        store = ConversationStore(db)
        host = ModelHost(models_dir)
        try:
            card = host.load(options.model, options.load)
            report(f"Storing {sum(c.stored_as != NEVER_STORED for c in cases)} paragraphs…")
            store_material(cases, home, store)
            for case in cases:
                # Interleaved, so that the machine's mood is shared by both.
                pair = [ask(host, store, case, recall) for recall in (True, False)]
                records.extend(pair)
                report(f"  {case.stored_as:<12} {'✓' if pair[0].correct else '✗'} recall "
                       f"({pair[0].recalled} recalled)  {'✓' if pair[1].correct else '✗'} alone  "
                       f"(gold: {case.question.answers[0]})")
        finally:
            host.close()
            db.conn.close()
    return {
        "model": {"name": card.name, "n_ctx": card.n_ctx, "n_threads": card.n_threads},
        "options": {"questions": options.questions, "controls": options.controls,
                    "seed": options.seed},
        "machine": machine(),
        "summary": [asdict(row) for row in summarize(records)],
        "records": [asdict(r) for r in records],
    }


def format_recall_table(result: dict) -> str:
    from desktop.cli.bench_tables import table

    rows = [[row["stored_as"], row["system"], str(row["questions"]), f"{row['accuracy']:.0%}",
             f"{row['recalled_share']:.0%}", f"{row['gold_recalled_share']:.0%}",
             f"{row['ttft_median_s']:.2f} s" if row["ttft_median_s"] is not None else "—"]
            for row in result["summary"]]
    return table(["asked about", "system", "n", "accuracy", "recalled something", "answer recalled",
                  "TTFT p50"], rows)
