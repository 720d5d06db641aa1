"""`longwit bench chat`: what Longwit's chat path costs and saves, next to plain llama-cpp-python.

Numbers on their own say little on a machine nobody else has, so every figure is measured twice in
the same process, side by side: once through Longwit (ModelHost, ChatSession, a real SQLite store)
and once through a second, separate `llama_cpp.Llama` that does the same work the obvious way:
reset, prefill the whole prompt, generate the same number of tokens. The ratios are what matter.
The follow-up turn is the point of the exercise: Longwit keeps the conversation in the KV cache, so
its time to first token should stay flat as the earlier conversation grows, while the baseline's
grows with it. First turns start from an empty cache on both sides, so they measure overhead only.
"""

from __future__ import annotations

import os
import random
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import llama_cpp

from engine.catalog import resolve_model
from engine.chat_session import ChatSession
from engine.filler_text import OBJECTS, filler_text
from engine.generation import GenerationOptions
from engine.loader import GGML_KV_TYPES, LoadedModel, LoadOptions, gpu_offload_supported
from engine.model_host import ModelCard, ModelHost
from engine.turn_timing import baseline_turn, longwit_figures, timed_ask
from storage import ConversationStore, open_database

SHORT_QUESTION = "Name five animals that live in the ocean and say one thing about each."
LONG_INSTRUCTION = "\n\nWhat is the text above about? Answer in a few sentences."
FIRST_QUESTION = "Which of the things we talked about would you look at first, and why?"
FOLLOW_UP_QUESTION = "Give me three more ideas along the same lines, as a numbered list."
CANCEL_QUESTION = (
    "Write a long essay of at least two thousand words about the history of bridges, with many "
    "sections."
)
SEED = 20240611

@dataclass(frozen=True)
class ChatBenchmarkOptions:
    model: str | None = None  # bundled name or GGUF path, as resolve_model takes
    load: LoadOptions = field(default_factory=LoadOptions)
    history_tokens: tuple[int, ...] = (256, 1024, 2048)  # earlier conversation before a follow-up
    long_prompt_tokens: int = 2048
    answer_tokens: int = 32  # the most tokens generated per measured turn
    repeats: int = 3  # each cell is the median of this many runs


@dataclass
class Bench:
    """What every measurement needs: both models, the store, and the settings."""

    host: ModelHost
    baseline: llama_cpp.Llama
    store: ConversationStore
    options: ChatBenchmarkOptions
    progress: Callable[[str], None]
    generation: GenerationOptions = field(init=False)

    def __post_init__(self) -> None:
        self.generation = GenerationOptions(max_tokens=self.options.answer_tokens, temperature=0)


# ---- Deterministic text ------------------------------------------------------------------------


def long_message(model: LoadedModel, target_tokens: int) -> str:
    body_tokens = max(1, target_tokens - model.count_tokens(LONG_INSTRUCTION))
    return filler_text(model, body_tokens, random.Random(SEED)) + LONG_INSTRUCTION


def history_messages(model: LoadedModel, target_tokens: int) -> list[tuple[str, str]]:
    """Alternating user and assistant messages whose text adds up to about `target_tokens`."""
    rng = random.Random(SEED + target_tokens)
    messages: list[tuple[str, str]] = []
    total = 0
    while total < target_tokens:
        question = f"What do you know about {rng.choice(OBJECTS)}?"
        answer = filler_text(model, rng.randint(40, 90), rng)
        messages += [("user", question), ("assistant", answer)]
        total += model.count_tokens(question) + model.count_tokens(answer)
    return messages


# ---- Sessions -----------------------------------------------------------------------------------


def new_session(bench: Bench, history: Sequence[tuple[str, str]] = ()) -> ChatSession:
    conversation = bench.store.create("Chat benchmark")
    for role, content in history:
        bench.store.add_message(conversation, role, content)
    return ChatSession(bench.host, bench.store, conversation, options=bench.generation)


def empty_cache(bench: Bench) -> None:
    bench.host.forget_cache()


# ---- Medians and ratios -------------------------------------------------------------------------


def median_of(values: Sequence[Any]) -> Any:
    numbers = [v for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
    if not numbers:
        return next((v for v in values if v is not None), None)
    return statistics.median(numbers)


def median_record(records: Sequence[dict[str, Any]]) -> dict[str, Any]:
    return {key: rounded(key, median_of([r[key] for r in records])) for key in records[0]}


def rounded(key: str, value: Any) -> Any:
    if not isinstance(value, float):
        return value
    if key.endswith("per_s"):
        return round(value, 1)
    if key.endswith("_s"):
        return round(value, 4)
    if key.endswith("_tokens"):
        return round(value)
    return round(value, 2)


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    if not numerator or not denominator:
        return None
    return round(numerator / denominator, 2)


# ---- The measurements ---------------------------------------------------------------------------


def warm_file_cache(path: Path) -> None:
    """Read the file once so that neither side pays for the first read from disk."""
    with path.open("rb") as handle:
        while handle.read(16 * 2**20):
            pass


def baseline_settings(card: ModelCard, load: LoadOptions) -> dict[str, Any]:
    """The plain Llama: same context, threads, batch, offload and attention kernel as Longwit
    (so that the comparison is about reuse and overhead, not about build settings)."""
    return {
        "model_path": str(card.path),
        "n_ctx": card.n_ctx,
        "n_batch": min(load.n_batch, card.n_ctx),
        "n_threads": card.n_threads,
        "n_threads_batch": card.n_threads,
        "n_gpu_layers": card.gpu_layers,
        "flash_attn": load.flash_attn,
        "type_k": GGML_KV_TYPES[load.kv_type],
        "type_v": GGML_KV_TYPES[load.kv_type],
        "seed": load.seed,
        "verbose": False,
    }


def measure_load(
    host: ModelHost, options: ChatBenchmarkOptions
) -> tuple[dict[str, Any], llama_cpp.Llama]:
    """Load both ways, alternating, `repeats` times; keep the last plain Llama for what follows."""
    records: list[dict[str, Any]] = []
    baseline: llama_cpp.Llama | None = None
    for _ in range(max(1, options.repeats)):
        started = time.perf_counter()
        card = host.load(options.model, options.load)
        wall = time.perf_counter() - started
        if baseline is not None:
            baseline.close()
        started = time.perf_counter()
        baseline = llama_cpp.Llama(**baseline_settings(card, options.load))
        records.append(
            {
                "longwit_load_s": card.load_s,
                "longwit_wall_s": wall,
                "baseline_s": time.perf_counter() - started,
            }
        )
    figures = median_record(records)
    figures["ratio"] = ratio(figures["baseline_s"], figures["longwit_wall_s"])
    assert baseline is not None
    return figures, baseline


def first_turn_run(bench: Bench, text: str) -> tuple[dict[str, Any], dict[str, Any]]:
    empty_cache(bench)
    session = new_session(bench)
    result, wall = timed_ask(session, text)
    assert session.last_packing is not None
    tokens = session.last_packing.tokens
    return longwit_figures(result, wall), baseline_turn(bench.baseline, bench.generation, tokens, result)


def measure_prompt(bench: Bench, text: str, message_tokens: int) -> dict[str, Any]:
    """A first turn in a new conversation, with nothing cached on either side."""
    runs = [first_turn_run(bench, text) for _ in range(max(1, bench.options.repeats))]
    longwit = median_record([run[0] for run in runs])
    baseline = median_record([run[1] for run in runs])
    return {
        "message_tokens": message_tokens,
        "longwit": longwit,
        "baseline": baseline,
        "ttft_ratio": ratio(baseline["ttft_s"], longwit["ttft_s"]),
        "tokens_per_s_ratio": ratio(longwit["tokens_per_s"], baseline["tokens_per_s"]),
    }


def follow_up_run(bench: Bench, history: list[tuple[str, str]]) -> dict[str, Any]:
    empty_cache(bench)
    session = new_session(bench, history)
    first, first_wall = timed_ask(session, FIRST_QUESTION)
    result, wall = timed_ask(session, FOLLOW_UP_QUESTION)
    assert session.last_packing is not None
    baseline = baseline_turn(bench.baseline, bench.generation, session.last_packing.tokens, result)
    return {
        "first_prompt_tokens": first.prompt_tokens,
        "longwit_first_ttft_s": first_wall,
        "prompt_tokens": result.prompt_tokens,
        "longwit_ttft_s": wall,
        "longwit_engine_ttft_s": result.ttft_s,
        "baseline_ttft_s": baseline["ttft_s"],
        "cached_tokens": result.cached_tokens,
        "prefilled_tokens": result.prefilled_tokens,
        "baseline_prefilled_tokens": baseline["prefilled_tokens"],
        "completion_tokens": result.completion_tokens,
    }


def measure_follow_up(bench: Bench, target_tokens: int) -> dict[str, Any]:
    """A follow-up question after a first one, in a conversation of about `target_tokens`."""
    history = bench.host.call(lambda model: history_messages(model, target_tokens))
    total = bench.host.call(lambda model: sum(model.count_tokens(text) for _, text in history))
    runs = [follow_up_run(bench, history) for _ in range(max(1, bench.options.repeats))]
    figures = {"history_tokens": target_tokens, "history_tokens_actual": total}
    figures.update(median_record(runs))
    figures["ratio"] = ratio(figures["baseline_ttft_s"], figures["longwit_ttft_s"])
    return figures


CANCEL_AFTER_PIECES = 5
CANCEL_INTO_PREFILL_S = 0.1


def cancel_latency(bench: Bench, text: str, during_prefill: bool) -> float | None:
    """Seconds from cancel() to the end of the reply (the cut answer saved), or None if the
    answer ended on its own before it could be cancelled."""
    empty_cache(bench)
    session = new_session(bench)
    session.options = GenerationOptions(max_tokens=2048, temperature=bench.generation.temperature)
    reply = session.ask(text)
    if during_prefill:
        time.sleep(CANCEL_INTO_PREFILL_S)
    else:
        for count, _piece in enumerate(reply.stream, start=1):
            if count == CANCEL_AFTER_PIECES:
                break
    cancelled_at = time.perf_counter()
    reply.cancel()
    result = reply.finish()
    latency = time.perf_counter() - cancelled_at
    return latency if result.finish_reason == "cancelled" else None


def measure_cancel(bench: Bench, long_text: str) -> dict[str, Any]:
    """Cancellation from another thread, mid-answer and in the middle of a long prefill."""
    runs = max(1, bench.options.repeats)
    generation = [cancel_latency(bench, CANCEL_QUESTION, False) for _ in range(runs)]
    prefill = [cancel_latency(bench, long_text, True) for _ in range(runs)]
    return {
        "during_generation_s": rounded("_s", median_of(generation)),
        "during_prefill_s": rounded("_s", median_of(prefill)),
        "target_s": 0.1,
    }


def measure_chats(bench: Bench) -> dict[str, Any]:
    options = bench.options
    bench.progress("Short prompt…")
    short = measure_prompt(
        bench, SHORT_QUESTION, bench.host.call(lambda m: m.count_tokens(SHORT_QUESTION))
    )
    bench.progress(f"Long prompt (about {options.long_prompt_tokens:,} tokens)…")
    text = bench.host.call(lambda m: long_message(m, options.long_prompt_tokens))
    long = measure_prompt(bench, text, bench.host.call(lambda m: m.count_tokens(text)))
    bench.progress("Cancellation…")
    cancel = measure_cancel(bench, text)
    follow_ups = []
    for target in sorted(options.history_tokens):
        bench.progress(f"Follow-up after about {target:,} tokens of conversation…")
        follow_ups.append(measure_follow_up(bench, target))
    growth = speedup = None
    if follow_ups:
        growth = ratio(follow_ups[-1]["longwit_ttft_s"], follow_ups[0]["longwit_ttft_s"])
        speedup = follow_ups[-1]["ratio"]
    return {
        "short_prompt": short,
        "long_prompt": long,
        "follow_up": follow_ups,
        "cancel": cancel,
        "followup_ttft_growth": growth,
        "followup_speedup_at_largest": speedup,
    }


def machine() -> dict[str, Any]:
    return {
        "cpu_count": os.cpu_count(),
        "llama_cpp_version": llama_cpp.__version__,
        "gpu_offload": gpu_offload_supported(),
    }


def run_chat_benchmark(
    options: ChatBenchmarkOptions,
    models_dir: Path,
    progress: Callable[[str], None] = lambda s: None,
) -> dict:
    """Load the model both ways and measure every case; a JSON-ready dict of medians."""
    progress("Loading the model…")
    warm_file_cache(resolve_model(options.model, models_dir).path)
    host = ModelHost(models_dir)
    baseline: llama_cpp.Llama | None = None
    try:
        load, baseline = measure_load(host, options)
        card = host.card
        assert card is not None
        with tempfile.TemporaryDirectory(prefix="longwit-bench-") as folder:
            db = open_database(Path(folder) / "bench.db")
            try:
                bench = Bench(host, baseline, ConversationStore(db), options, progress)
                chats = measure_chats(bench)
            finally:
                db.close()
    finally:
        if baseline is not None:
            baseline.close()
        host.close()
    header = {"model": card.name, "n_ctx": card.n_ctx, "n_threads": card.n_threads}
    header.update(gpu_layers=card.gpu_layers, answer_tokens=options.answer_tokens)
    plain = baseline_settings(card, options.load)
    del plain["model_path"], plain["verbose"]
    return {
        **header,
        "repeats": options.repeats,
        "baseline_settings": plain,
        "load": load,
        **chats,
        "machine": machine(),
    }
