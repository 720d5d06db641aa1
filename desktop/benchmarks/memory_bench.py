"""`longwit bench memory`: what issue 14's parts do for answers, each beside its baseline, in one
process with one loaded model (the bundled chat model unless told otherwise).

1. Memory across conversations (desktop/benchmarks/memory_facts.py, memory_spoken.py): scripted
   facts told in some conversations, typed and spoken, and asked about in new ones, with memory
   and with memory off.
2. Deliberate mode (desktop/benchmarks/deliberate_questions.py): arithmetic and reading questions
   answered by one sample and by K samples reconciled, with the cost.
3. The compression meter (desktop/benchmarks/meter_throughput.py): its tokens per second against a
   plain pre-fill of the same tokens.

Each part appends its records as they are measured, so Ctrl-C ends the run with what was measured
so far, marked `interrupted`.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from desktop.benchmarks.deliberate_questions import DeliberateRecord, deliberate_summary, run_deliberate
from desktop.benchmarks.memory_facts import (
    FACTS,
    FactAnswer,
    ProposalRecord,
    Report,
    memory_summary,
    run_typed,
)
from desktop.benchmarks.memory_spoken import Speech, SpokenCall, run_spoken
from desktop.benchmarks.meter_throughput import MeterRun, meter_summary, run_meter
from engine.chat_benchmark import machine
from engine.deliberation import DEFAULT_SAMPLES
from engine.loader import LoadOptions
from engine.model_host import ModelCard, ModelHost
from media.speech_to_text import SpeechToText
from media.text_to_speech import TextToSpeech
from storage import ConversationStore, open_database

PARTS = ("memory", "deliberate", "meter")


@dataclass(frozen=True)
class MemoryBenchmarkOptions:
    model: str | None = None
    parts: tuple[str, ...] = PARTS
    facts: int = len(FACTS)  # the first this many of the script
    spoken: bool = True  # also tell and ask them aloud (real time)
    arithmetic: int = 20
    reading: int = 10
    samples: int = DEFAULT_SAMPLES  # deliberate mode's K
    meter_tokens: int = 4096  # capped by the window
    meter_repeats: int = 2
    seed: int = 0  # which sums, which page, which article
    load: LoadOptions = field(default_factory=LoadOptions)


@dataclass
class Measured:
    """Everything measured so far, part by part (filled as it goes)."""

    proposals: list[ProposalRecord] = field(default_factory=list)
    answers: list[FactAnswer] = field(default_factory=list)
    calls: list[SpokenCall] = field(default_factory=list)
    deliberate: list[DeliberateRecord] = field(default_factory=list)
    meter: list[MeterRun] = field(default_factory=list)
    document: dict[str, Any] = field(default_factory=dict)
    speech_model: str | None = None


def run_memory_part(host: ModelHost, folder: Path, options: MemoryBenchmarkOptions,
                    report: Report, measured: Measured) -> None:
    facts = FACTS[: options.facts]
    db = open_database(folder / "typed.db")
    try:
        run_typed(host, ConversationStore(db), facts, report, measured.proposals, measured.answers)
    finally:
        db.conn.close()
    if options.spoken:
        speech = Speech(SpeechToText(), TextToSpeech(), folder)
        measured.speech_model = speech.stt.options.model
        run_spoken(host, speech, facts, report, measured.proposals, measured.answers, measured.calls)


def run_parts(host: ModelHost, card: ModelCard, options: MemoryBenchmarkOptions, report: Report,
              measured: Measured) -> None:
    with tempfile.TemporaryDirectory(prefix="longwit-bench-memory-") as folder:
        if "memory" in options.parts:
            run_memory_part(host, Path(folder), options, report, measured)
        if "deliberate" in options.parts:
            run_deliberate(host, card, options.arithmetic, options.reading, options.samples,
                           options.seed, report, measured.deliberate)
        if "meter" in options.parts:
            run_meter(host, options.meter_tokens, options.meter_repeats, options.seed, report,
                      measured.meter, measured.document)


def run_memory_benchmark(options: MemoryBenchmarkOptions, models_dir: Path, report: Report) -> dict:
    """Every chosen part; on Ctrl-C, what was measured so far with `interrupted` set."""
    started = {"date": datetime.now(UTC).isoformat(timespec="seconds"),
               "load_average_start": list(os.getloadavg())}
    measured = Measured()
    card: ModelCard | None = None
    interrupted = False
    host = ModelHost(models_dir)
    try:
        report("Loading the model…")
        card = host.load(options.model, options.load)
        run_parts(host, card, options, report, measured)
    except KeyboardInterrupt:
        interrupted = True
    finally:
        host.close()
    return result_of(options, card, measured, started, interrupted)


def result_of(options: MemoryBenchmarkOptions, card: ModelCard | None, measured: Measured,
              started: dict[str, Any], interrupted: bool) -> dict:
    chosen = options.parts
    return {
        "benchmark": "memory", "date": started["date"], "interrupted": interrupted,
        "model": {"name": card.name, "n_ctx": card.n_ctx, "n_threads": card.n_threads} if card else None,
        "options": {key: value for key, value in asdict(options).items() if key != "load"},
        "machine": machine() | {"load_average_start": started["load_average_start"],
                                "load_average_end": list(os.getloadavg())},
        "memory": {
            "facts": options.facts, "recall": False, "speech_model": measured.speech_model,
            "modes": {"typed": "told typed, asked typed"}
            | ({"spoken": "told aloud, asked aloud"} if options.spoken else {}),
            "summary": memory_summary(measured.proposals, measured.answers),
            "proposals": [asdict(p) for p in measured.proposals],
            "calls": [asdict(c) for c in measured.calls],
            "answers": [asdict(a) for a in measured.answers],
        } if "memory" in chosen else None,
        "deliberate": {
            "samples": options.samples,
            "summary": deliberate_summary(measured.deliberate),
            "records": [asdict(r) for r in measured.deliberate],
        } if "deliberate" in chosen else None,
        "meter": {
            "document": measured.document, "summary": meter_summary(measured.meter),
            "runs": [asdict(r) | {"tokens_per_s": round(r.tokens_per_s, 1)} for r in measured.meter],
        } if "meter" in chosen else None,
    }


def format_memory_table(result: dict) -> str:
    from desktop.cli.bench_tables import table

    model = result["model"]["name"] if result["model"] else "no model"
    sections = [f"Memory, deliberation and the meter: {model}"
                + (" (interrupted: what was measured)" if result["interrupted"] else "")]
    if result["memory"] is not None and result["memory"]["summary"]:
        rows = [[row["mode"], row["system"], str(row["questions"]), f"{row['accuracy']:.0%}",
                 f"{row['fact_shown_share']:.0%}",
                 str(row["proposals_made"]) if row["system"] == "memory" else "—",
                 str(row["proposals_accepted"]) if row["system"] == "memory" else "—"]
                for row in result["memory"]["summary"]]
        sections.append("Facts told in earlier conversations, asked in a new one\n" + table(
            ["told and asked", "system", "n", "accuracy", "fact in the prompt", "proposed",
             "accepted"], rows))
    if result["deliberate"] is not None and result["deliberate"]["summary"]:
        rows = [[row["kind"], str(row["questions"]), f"{row['single_accuracy']:.0%}",
                 f"{row['deliberate_accuracy']:.0%}",
                 ", ".join(f"{k}: {n}" for k, n in row["agreement"].items()),
                 f"{row['single_mean_s']:.2f} s", f"{row['deliberate_mean_s']:.2f} s",
                 f"{row['cost_ratio']:.1f}x" if row["cost_ratio"] else "—"]
                for row in result["deliberate"]["summary"]]
        sections.append(f"Deliberate mode (K={result['deliberate']['samples']}) against one sample\n"
                        + table(["questions", "n", "one sample", "deliberate", "samples agreeing",
                                 "one, per question", "deliberate", "cost"], rows))
    meter = result["meter"]
    if meter is not None and meter["summary"] is not None:
        summary = meter["summary"]
        rows = [[meter["document"].get("title", "—"), f"{summary['tokens']:,}",
                 f"{summary['bits_per_byte']:.3f}", f"{summary['meter_tokens_per_s']:,.0f}",
                 f"{summary['prefill_tokens_per_s']:,.0f}", f"{summary['ratio']:.2f}"]]
        sections.append("Compression meter against a plain pre-fill of the same tokens\n" + table(
            ["document", "tokens", "bits per byte", "meter tok/s", "pre-fill tok/s",
             "meter / pre-fill"], rows))
    return "\n\n".join(sections)
