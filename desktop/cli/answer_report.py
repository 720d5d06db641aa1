"""The answer evaluation's figures per model and size bucket, Longwit beside the baseline, and the
table `longwit bench answers` prints."""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import asdict, dataclass

from engine.evaluation.corpus import BUCKETS

ALL = "all"


@dataclass(frozen=True)
class Figures:
    """One system's results on one slice of the questions."""

    questions: int
    accuracy: float  # right answers (honest replies to unanswerable questions count as right)
    answerable_accuracy: float | None
    honest_on_unanswerable: float | None  # share of unanswerable questions answered "not there"
    refused_answerable: float | None  # share of answerable questions wrongly answered "not there"
    citation_precision: float | None  # of answers that cite, those whose cited passage has the gold
    ttft_median_s: float | None
    gold_shown: float | None  # of answerable questions, those whose gold was in the passages shown
    # Of the hand-written questions about what the document never mentions (not counted above),
    # the share answered "not there", and how many there were.
    honest_off_document: float | None = None
    off_document_questions: int = 0


def share(flags: Iterable[bool]) -> float | None:
    values = list(flags)
    return sum(values) / len(values) if values else None


def figures(records: list[dict]) -> Figures:
    """SQuAD's questions' figures, and apart from them the off-document questions' honesty."""
    off = [r for r in records if r.get("off_document")]
    records = [r for r in records if not r.get("off_document")]
    answerable = [r for r in records if not r["impossible"]]
    impossible = [r for r in records if r["impossible"]]
    citing = [r for r in records if r["cited_correct"] is not None]
    times = [r["ttft_s"] for r in records if r["ttft_s"] is not None]
    return Figures(
        questions=len(records),
        accuracy=share(r["correct"] for r in records) or 0.0,
        answerable_accuracy=share(r["correct"] for r in answerable),
        honest_on_unanswerable=share(r["refused"] for r in impossible),
        refused_answerable=share(r["refused"] for r in answerable),
        citation_precision=share(r["cited_correct"] for r in citing),
        ttft_median_s=statistics.median(times) if times else None,
        gold_shown=share(r["gold_shown"] for r in answerable if r.get("gold_shown") is not None),
        honest_off_document=share(r["refused"] for r in off),
        off_document_questions=len(off),
    )


def summarize(records: list[dict]) -> list[dict]:
    """Rows of (model, bucket, system) figures, buckets in size order, then all of them."""
    rows = []
    models = list(dict.fromkeys(r["model"] for r in records))
    for model in models:
        mine = [r for r in records if r["model"] == model]
        buckets = [b for b in BUCKETS if any(r["bucket"] == b for r in mine)] + [ALL]
        for bucket in buckets:
            for system in ("longwit", "first reading", "single", "baseline"):
                chosen = [r for r in mine if r["system"] == system and bucket in (ALL, r["bucket"])]
                if chosen:
                    rows.append({"model": model, "bucket": bucket, "system": system,
                                 **asdict(figures(chosen))})
    return rows


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def seconds(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f} s"


def off_document(row: dict) -> str:
    count = row.get("off_document_questions", 0)
    return f"{percent(row.get('honest_off_document'))} of {count}" if count else "—"


def format_answers_table(result: dict) -> str:
    rows = result["summary"]
    header = ("model", "size", "system", "n", "accuracy", "vs baseline (or single)", "honest (unans.)",
              "honest (off-doc.)", "refused (ans.)", "citation prec.", "gold shown", "TTFT p50")
    lines = []
    for row in rows:
        # Against the baseline; without one, deliberate mode against its own plain first answers.
        other = next((r for system in ("baseline", "single") for r in rows
                      if r["model"] == row["model"] and r["bucket"] == row["bucket"]
                      and r["system"] == system), None)
        delta = ""
        if row["system"] == "longwit" and other is not None:
            delta = f"{(row['accuracy'] - other['accuracy']) * 100:+.1f} pts"
        lines.append((row["model"], row["bucket"], row["system"], str(row["questions"]),
                      percent(row["accuracy"]), delta, percent(row["honest_on_unanswerable"]),
                      off_document(row),
                      percent(row["refused_answerable"]), percent(row["citation_precision"]),
                      percent(row["gold_shown"]), seconds(row["ttft_median_s"])))
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *lines, strict=True)]
    out = ["  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))]
    out.append("  ".join("-" * w for w in widths))
    out += ["  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)) for line in lines]
    corpus = result["corpus"]
    out.append(f"{corpus['questions']} questions on {corpus['documents']} documents "
               f"(seed {corpus['seed']}); accuracy counts an honest 'not in the document' as right "
               "only for the unanswerable ones; the hand-written off-document questions are counted "
               "apart (honest, off-doc.: share of n).")
    return "\n".join(out)
