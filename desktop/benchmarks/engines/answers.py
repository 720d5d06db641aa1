"""The same answers three ways, from one process: the model in-process (a `ModelHost` that loaded
it), through a remote engine to llama.cpp's own server (llama-cpp-python's `llama_cpp.server`, a
child process), and through a remote engine to `longwit serve` (a child process). Every way loads
the same file with the same window and threads (flash attention on, as Longwit loads), is sent the
same prompts in the same order, and is timed by the same code (`ModelHost.stream`: time to first
token and tokens/s from the first token on), so the ratios say what the server and the HTTP hop
add. Each request opens with its own number, so no way answers one from a whole cached prompt;
each reuses only the chat template's opening, as the others do."""

from __future__ import annotations

import contextlib
import random
import statistics
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from desktop.benchmarks.openai_servers import llama_server, llama_server_missing, longwit_server
from engine.chat_format import ChatMessage
from engine.filler_text import filler_text
from engine.generation import GenerationOptions, GenerationResult
from engine.loader import LoadOptions
from engine.model_host import ModelHost
from engine.remote.remote_model import RemoteEngine

Report = Callable[[str], None]
IN_PROCESS, LLAMA_SERVER, LONGWIT_SERVE = "in-process", "llama.cpp server", "longwit serve"
SHORT_QUESTION = "Write a short story about a lighthouse keeper."
LONG_QUESTION = "Summarize the text above in five sentences."


@dataclass(frozen=True)
class AnswerOptions:
    model: Path  # the GGUF file every way loads
    n_ctx: int = 2048
    n_threads: int = 2
    answer_tokens: int = 64
    long_prompt_tokens: int = 1000
    repeats: int = 3


def timed_answer(host: ModelHost, messages: list[ChatMessage],
                 options: GenerationOptions) -> GenerationResult:
    """One answer: the prompt laid out first (a remote engine may ask its server to count it),
    then only the answer is timed."""
    tokens = host.call(lambda model: model.prompt_tokens(messages))
    return host.stream(tokens, options).wait()


def prompts(host: ModelHost, long_tokens: int) -> dict[str, str]:
    passage = host.call(lambda model: filler_text(model, long_tokens, random.Random(13)))
    return {"short": SHORT_QUESTION, "long": f"{passage}\n\n{LONG_QUESTION}"}


@contextlib.contextmanager
def engine_hosts(options: AnswerOptions, models_dir: Path, report: Report
                 ) -> Iterator[tuple[dict[str, ModelHost], str | None]]:
    """The model in-process and each server reached as a remote engine (one ModelHost each), and
    why llama.cpp's server was left out, if it was."""
    skipped = llama_server_missing()
    hosts: dict[str, ModelHost] = {}
    with tempfile.TemporaryDirectory(prefix="longwit-bench-") as folder, contextlib.ExitStack() as stack:
        work = Path(folder)
        report("Loading the model in-process…")
        hosts[IN_PROCESS] = stack.enter_context(closing_host(models_dir))
        hosts[IN_PROCESS].load(str(options.model), LoadOptions(n_ctx=options.n_ctx,
                                                               n_threads=options.n_threads, seed=1))
        servers = {}
        if skipped is None:
            report("Starting llama.cpp's server…")
            servers[LLAMA_SERVER] = stack.enter_context(llama_server(
                options.model, work, n_ctx=options.n_ctx, n_threads=options.n_threads, verbose=False,
                extra=["--n_threads_batch", str(options.n_threads), "--flash_attn", "True"]))
        report("Starting longwit serve…")
        servers[LONGWIT_SERVE] = stack.enter_context(longwit_server(
            options.model, work, work / "home", n_ctx=options.n_ctx, n_threads=options.n_threads))
        for name, server in servers.items():
            hosts[name] = stack.enter_context(closing_host(models_dir))
            hosts[name].connect(RemoteEngine(server.url, n_ctx=options.n_ctx))
        yield hosts, skipped


@contextlib.contextmanager
def closing_host(models_dir: Path) -> Iterator[ModelHost]:
    host = ModelHost(models_dir)
    try:
        yield host
    finally:
        host.close()


def run_answer_benchmark(options: AnswerOptions, models_dir: Path, report: Report) -> dict[str, Any]:
    """Medians per way and prompt, and the ratios against in-process and between the servers."""
    generation = GenerationOptions(max_tokens=options.answer_tokens, temperature=0.0, seed=1)
    with engine_hosts(options, models_dir, report) as (hosts, skipped):
        texts = prompts(hosts[IN_PROCESS], options.long_prompt_tokens)
        runs: dict[str, dict[str, list[GenerationResult]]] = {
            way: {name: [] for name in texts} for way in hosts}
        number = 0
        for repeat in range(options.repeats):
            for name, text in texts.items():
                number += 1  # the same request, with the same number, goes every way in turn
                messages = [ChatMessage("user", f"Request {number}. {text}")]
                report(f"Answering ({repeat + 1}/{options.repeats}, {name} prompt)…")
                for way, host in hosts.items():
                    runs[way][name].append(timed_answer(host, messages, generation))
        cards = {way: host.card for way, host in hosts.items()}
    rows = [row(way, name, results) for way, by_prompt in runs.items()
            for name, results in by_prompt.items()]
    return {"model": cards[IN_PROCESS].name, "n_ctx": options.n_ctx, "n_threads": options.n_threads,
            "answer_tokens": options.answer_tokens, "repeats": options.repeats,
            "engines": {way: card.engine for way, card in cards.items()},
            "rows": rows, "ratios": ratios(rows), "llama_server_skipped": skipped}


def median(values: list[float | None]) -> float | None:
    present = [value for value in values if value is not None]
    return statistics.median(present) if present else None


def row(way: str, prompt: str, results: list[GenerationResult]) -> dict[str, Any]:
    return {"engine": way, "prompt": prompt,
            "prompt_tokens": median([r.prompt_tokens for r in results]),
            "completion_tokens": median([r.completion_tokens for r in results]),
            "ttft_s": median([r.ttft_s for r in results]),
            "tokens_per_s": median([r.tokens_per_s for r in results])}


def ratio(top: float | None, bottom: float | None) -> float | None:
    return top / bottom if top is not None and bottom else None


def ratios(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each server against in-process, and longwit serve against llama.cpp's server, per prompt:
    TTFT ratio above 1 and tok/s ratio below 1 mean slower than the way compared with."""
    found = {(r["engine"], r["prompt"]): r for r in rows}
    pairs = [(LLAMA_SERVER, IN_PROCESS), (LONGWIT_SERVE, IN_PROCESS), (LONGWIT_SERVE, LLAMA_SERVER)]
    out = []
    for way, against in pairs:
        for prompt in ("short", "long"):
            a, b = found.get((way, prompt)), found.get((against, prompt))
            if a is None or b is None:
                continue
            out.append({"engine": way, "against": against, "prompt": prompt,
                        "ttft_ratio": ratio(a["ttft_s"], b["ttft_s"]),
                        "tokens_per_s_ratio": ratio(a["tokens_per_s"], b["tokens_per_s"])})
    return out
