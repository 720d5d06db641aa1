"""`longwit bench memory`, part two: deliberate mode against one sample, on questions with a known
answer, and what it costs, in the same process with the same loaded model.

Two kinds of question. Arithmetic: small sums and products drawn by the seed, asked in a plain
chat ("What is 17 + 25?") with the model's own sampling (SmolLM2's card: 0.2). Reading: questions
people wrote about one page of a SQuAD article (four paragraphs, Wikipedia, CC BY-SA), asked with
the page pinned as a document, as `longwit ask --doc` asks (greedy, the answer checked against the
passages). Answers stop at 96 tokens either way. Each question is asked once, one sample with
deliberate mode's first seed (so the one sample is the answer deliberate mode starts from), then in
deliberate mode with K samples, each in a new conversation and timed from the question to the
whole answer, from a cache that holds none of its prompt.

An arithmetic answer is right when the first number in it that is not one of the question's is the
result ("17 + 25 = 42" is right, "The answer is 43" is not; a mere mention of the result among
other numbers is not enough). A reading answer is scored as in `bench answers`.
"""

from __future__ import annotations

import random
import re
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from desktop.benchmarks.answers import ModelRun, score
from engine.chat_session import ChatSession
from engine.deliberation import SEED, Deliberation
from engine.evaluation.corpus import PAGE_PARAGRAPHS, usable
from engine.evaluation.squad import Article, Question, load_articles
from engine.model_host import ModelCard, ModelHost
from engine.reply import Reply
from engine.sampling_defaults import generation_options_for
from media.ingest import ingest_file
from storage import ConversationStore, open_database

Report = Callable[[str], None]
ARITHMETIC, READING = "arithmetic", "reading"
# For both kinds and both ways: the first 50 words are scored, and a page's first answer that
# copied the page on to 512 tokens cost 20 s alone (and deliberate mode K times that).
ANSWER_TOKENS = 96
NUMBER = re.compile(r"-?\d[\d,]*")
WARM_UP_QUESTION = "Say hello."


@dataclass(frozen=True)
class Sum:
    """An arithmetic question and its result."""

    text: str
    operands: tuple[int, int]
    result: int


@dataclass(frozen=True)
class DeliberateRecord:
    kind: str  # ARITHMETIC or READING
    question: str
    golds: tuple[str, ...]
    single: str
    single_correct: bool
    single_s: float
    deliberate: str
    deliberate_correct: bool
    deliberate_s: float
    agreeing: int | None  # samples that agreed with the answer shown
    samples: int  # samples written (fewer than K only if stopped)
    completion_tokens: int  # every sample's


def draw_sums(count: int, seed: int) -> list[Sum]:
    """Sums of two numbers up to 50 and products of two up to 12, alternating; no operand is 0 or 1
    and none equals the result, so the scoring rule can tell an echo from an answer."""
    rng = random.Random(f"{seed}:arithmetic")
    sums = []
    while len(sums) < count:
        if len(sums) % 2 == 0:
            a, b = rng.randint(2, 50), rng.randint(2, 50)
            sums.append(Sum(f"What is {a} + {b}?", (a, b), a + b))
        else:
            a, b = rng.randint(2, 12), rng.randint(2, 12)
            sums.append(Sum(f"What is {a} times {b}?", (a, b), a * b))
    return sums


def arithmetic_correct(answer: str, item: Sum) -> bool:
    """The first number in the answer that is not one of the question's is the result."""
    for match in NUMBER.finditer(answer):
        value = int(match.group().replace(",", ""))
        if value not in item.operands:
            return value == item.result
    return False


def draw_page(count: int, seed: int) -> tuple[Article, str, list[Question]]:
    """Four consecutive paragraphs of an article, drawn by the seed among the pages with at least
    `count` answerable questions, and `count` of those questions."""
    rng = random.Random(f"{seed}:reading")
    pages = []
    for article in load_articles():
        for start in range(0, len(article.paragraphs) - PAGE_PARAGRAPHS + 1, PAGE_PARAGRAPHS):
            paragraphs = article.paragraphs[start : start + PAGE_PARAGRAPHS]
            questions = [q for p in paragraphs for q in p.questions if not q.impossible and usable(q)]
            if len(questions) >= count:
                pages.append((article, "\n\n".join(p.text for p in paragraphs), questions))
    article, text, questions = rng.choice(pages)
    return article, text, rng.sample(questions, count)


def timed(host: ModelHost, ask: Callable[[], Reply]) -> tuple[Reply, float]:
    """The whole answer, timed from a KV cache that holds none of this prompt: otherwise the second
    way would find the first way's identical prompt there and be charged only for its answers.
    A pinned page's saved state is restored, as for any new question about it."""
    host.forget_cache()
    started = time.perf_counter()
    reply = ask()
    for _piece in reply:
        pass
    return reply, time.perf_counter() - started


def both_ways(host: ModelHost, new_session: Callable[[], ChatSession], question: str,
              samples: int) -> tuple[Reply, float, Reply, float, Deliberation]:
    """One sample, then deliberate mode, each in a new conversation."""
    single, single_s = timed(host, lambda: new_session().ask(question))
    deliberation = Deliberation(samples)
    chosen, chosen_s = timed(host, lambda: new_session().ask(question, deliberation=deliberation))
    return single, single_s, chosen, chosen_s, deliberation


def record(kind: str, question: str, golds: tuple[str, ...], correct: Callable[[str], bool],
           asked: tuple[Reply, float, Reply, float, Deliberation]) -> DeliberateRecord:
    single, single_s, chosen, chosen_s, deliberation = asked
    groups = deliberation.groups
    return DeliberateRecord(kind, question, golds, single.text, correct(single.text), single_s,
                            chosen.text, correct(chosen.text), chosen_s,
                            groups.agreeing if groups else None, len(deliberation.answers),
                            sum(a.completion_tokens for a in deliberation.answers))


def progress_line(item: DeliberateRecord) -> str:
    agreed = f"{item.agreeing} of {item.samples} agree" if item.agreeing else "stopped"
    return (f"  {item.kind:<10} {'✓' if item.single_correct else '✗'} one sample "
            f"({item.single_s:.1f} s)  {'✓' if item.deliberate_correct else '✗'} deliberate "
            f"({item.deliberate_s:.1f} s, {agreed})  (gold: {item.golds[0]})")


def run_arithmetic(host: ModelHost, folder: Path, count: int, samples: int, seed: int,
                   report: Report, records: list[DeliberateRecord]) -> None:
    db = open_database(folder / "arithmetic.db")
    try:
        store = ConversationStore(db)
        # The first sample of each deliberation uses SEED: the one sample is that very answer.
        options = replace(generation_options_for(host, documents=False, max_tokens=ANSWER_TOKENS),
                          seed=SEED)

        def new_session() -> ChatSession:
            return ChatSession(host, store, store.create(title="Arithmetic"), options=options)

        timed(host, lambda: new_session().ask(WARM_UP_QUESTION))  # llama.cpp's first decode
        report(f"Deliberate mode (K={samples}): {count} arithmetic questions…")
        for item in draw_sums(count, seed):
            asked = both_ways(host, new_session, item.text, samples)
            records.append(record(ARITHMETIC, item.text, (str(item.result),),
                                  lambda text, item=item: arithmetic_correct(text, item), asked))
            report(progress_line(records[-1]))
    finally:
        db.conn.close()


def run_reading(host: ModelHost, card: ModelCard, folder: Path, count: int, samples: int,
                seed: int, report: Report, records: list[DeliberateRecord]) -> None:
    article, text, questions = draw_page(count, seed)
    home = folder / "reading"
    home.mkdir()
    path = home / f"{article.title}.txt"
    path.write_text(text, encoding="utf-8")
    run = ModelRun(host, card, home, report)
    try:
        stored = ingest_file(path, run.documents).document
        assert stored is not None
        run.session(stored.id).prefill()  # as when the page is dropped: read once, its state kept
        report(f"Deliberate mode (K={samples}): {count} questions about a page of "
               f"'{article.title}'…")
        def new_session() -> ChatSession:
            session = run.session(stored.id)
            session.options = replace(session.options, max_tokens=ANSWER_TOKENS)
            return session

        for question in questions:
            asked = both_ways(host, new_session, question.text, samples)
            records.append(record(READING, question.text, question.answers,
                                  lambda answer, q=question: score(q, answer)[0], asked))
            report(progress_line(records[-1]))
    finally:
        run.db.conn.close()
        host.call(lambda _model: run.states.close())  # its connection is the model thread's


def run_deliberate(host: ModelHost, card: ModelCard, arithmetic: int, reading: int, samples: int,
                   seed: int, report: Report, records: list[DeliberateRecord]) -> None:
    with tempfile.TemporaryDirectory(prefix="longwit-bench-deliberate-") as scratch:
        if arithmetic:
            run_arithmetic(host, Path(scratch), arithmetic, samples, seed, report, records)
        if reading:
            run_reading(host, card, Path(scratch), reading, samples, seed, report, records)


def deliberate_summary(records: Sequence[DeliberateRecord]) -> list[dict]:
    """Per kind: accuracy of one sample and of deliberate mode, how the samples agreed, and the
    cost (mean seconds a question, and their ratio)."""
    rows = []
    for kind in (ARITHMETIC, READING):
        chosen = [r for r in records if r.kind == kind]
        if not chosen:
            continue
        single_s = sum(r.single_s for r in chosen) / len(chosen)
        deliberate_s = sum(r.deliberate_s for r in chosen) / len(chosen)
        agreement: dict[str, int] = {}
        for r in chosen:
            key = str(r.agreeing) if r.agreeing is not None else "none"
            agreement[key] = agreement.get(key, 0) + 1
        rows.append({
            "kind": kind, "questions": len(chosen),
            "single_correct": sum(r.single_correct for r in chosen),
            "single_accuracy": sum(r.single_correct for r in chosen) / len(chosen),
            "deliberate_correct": sum(r.deliberate_correct for r in chosen),
            "deliberate_accuracy": sum(r.deliberate_correct for r in chosen) / len(chosen),
            "agreement": dict(sorted(agreement.items(), reverse=True)),
            "single_mean_s": round(single_s, 3), "deliberate_mean_s": round(deliberate_s, 3),
            "cost_ratio": round(deliberate_s / single_s, 2) if single_s else None,
        })
    return rows
