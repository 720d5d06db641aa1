"""`longwit bench engines`: the downloads and the answers, one after the other in one process, and
their table. A few minutes on a 2-core machine with the bundled SmolLM2."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from desktop.benchmarks.engines.answers import AnswerOptions, run_answer_benchmark
from desktop.benchmarks.engines.downloads import run_download_benchmark
from desktop.cli.bench_tables import ms, number, table
from engine.catalog import DEFAULT_MODEL, resolve_model
from engine.chat_benchmark import machine

Report = Callable[[str], None]


@dataclass(frozen=True)
class EnginesOptions:
    model: str = DEFAULT_MODEL  # a bundled model's name or a GGUF path
    n_ctx: int = 2048
    n_threads: int | None = None  # None: every core, for each way alike
    answer_tokens: int = 64
    long_prompt_tokens: int = 1000
    repeats: int = 3


def run_engines_benchmark(options: EnginesOptions, models_dir: Path, report: Report) -> dict[str, Any]:
    path = resolve_model(options.model, models_dir).path
    threads = options.n_threads or os.cpu_count() or 1
    answers = AnswerOptions(path, options.n_ctx, threads, options.answer_tokens,
                            options.long_prompt_tokens, options.repeats)
    # The load average around the run says how much other work shared the cores meanwhile.
    result: dict[str, Any] = {"machine": machine() | {"load_average_before": os.getloadavg()}}
    result["downloads"] = run_download_benchmark(path, report)
    result["answers"] = run_answer_benchmark(answers, models_dir, report)
    result["machine"]["load_average_after"] = os.getloadavg()
    return result


def seconds(value: float) -> str:
    return f"{value:.2f} s"


def download_section(downloads: dict[str, Any]) -> str:
    rows = [[row["case"], seconds(row["seconds"]), number(row["mb_per_s"]),
             ", ".join(f"{start:,}" for start in row["resumed_from"]) or "-",
             "ok" if row["sha256_ok"] and not row["part_left"] else "WRONG"]
            for row in downloads["rows"]]
    title = (f"Downloads: {downloads['file']} ({downloads['bytes'] / 1e6:,.1f} MB) from a loopback "
             f"server with Range; the cut is at byte {downloads['cut_after']:,} (reconnecting waits 1 s)")
    return title + "\n" + table(["case", "time", "MB/s", "resumed from byte", "SHA-256"], rows)


def answer_section(answers: dict[str, Any]) -> str:
    rows = [[row["engine"], row["prompt"], number(row["prompt_tokens"]), number(row["completion_tokens"]),
             ms(row["ttft_s"]), number(row["tokens_per_s"])] for row in answers["rows"]]
    title = (f"Answers: {answers['model']}, {answers['n_threads']} threads, {answers['n_ctx']:,}-token "
             f"window, up to {answers['answer_tokens']} tokens; median of {answers['repeats']}")
    return title + "\n" + table(["engine", "prompt", "prompt tok", "answer tok", "TTFT", "tok/s"], rows)


def ratio_section(answers: dict[str, Any]) -> str:
    rows = [[f"{r['engine']} / {r['against']}", r["prompt"], number(r["ttft_ratio"], "x"),
             number(r["tokens_per_s_ratio"], "x")] for r in answers["ratios"]]
    text = ("Ratios (TTFT above 1 and tok/s below 1: slower than what it is compared with)\n"
            + table(["engines", "prompt", "TTFT", "tok/s"], rows))
    if answers["llama_server_skipped"]:
        text += f"\nllama.cpp's server: skipped, {answers['llama_server_skipped']}."
    return text


def format_engines_table(result: dict[str, Any]) -> str:
    answers, computer = result["answers"], result["machine"]
    load = (f"Load average (1 min) {computer['load_average_before'][0]:.1f} before, "
            f"{computer['load_average_after'][0]:.1f} after, on {computer['cpu_count']} cores.")
    return "\n\n".join([download_section(result["downloads"]), answer_section(answers),
                        ratio_section(answers), load])
