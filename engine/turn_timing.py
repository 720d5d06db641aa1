"""One chat turn timed each way, for the benchmarks: through Longwit's own path (a ChatSession on the
ModelHost, with a real store), from the moment the question is asked to its first text, and through
a plain `llama_cpp.Llama` doing the same work the obvious way (reset, prefill the whole prompt,
generate as many tokens). `longwit bench chat` (engine/chat_benchmark.py) and `longwit bench context`
(engine/context_benchmark.py) measure with these."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import llama_cpp

from engine.chat_session import ChatSession
from engine.generation import GenerationOptions, GenerationResult
from engine.reply import Reply


def ask_timed(session: ChatSession, text: str) -> tuple[Reply, float]:
    """Ask through the product path; the wall time to the first text includes saving the
    question, packing the window and handing work to the model's thread."""
    started = time.perf_counter()
    reply = session.ask(text)
    first_at = None
    for _piece in reply:
        first_at = first_at or time.perf_counter()
    reply.finish()
    return reply, (first_at or time.perf_counter()) - started


def timed_ask(session: ChatSession, text: str) -> tuple[GenerationResult, float]:
    reply, wall = ask_timed(session, text)
    assert reply.result is not None
    return reply.result, wall


def longwit_figures(result: GenerationResult, wall_ttft_s: float) -> dict[str, Any]:
    return {
        "ttft_s": wall_ttft_s,
        "engine_ttft_s": result.ttft_s,
        "tokens_per_s": result.tokens_per_s,
        "prompt_tokens": result.prompt_tokens,
        "cached_tokens": result.cached_tokens,
        "prefilled_tokens": result.prefilled_tokens,
        "completion_tokens": result.completion_tokens,
    }


def baseline_turn(llama: llama_cpp.Llama, gen: GenerationOptions, tokens: Sequence[int],
                  like: GenerationResult) -> dict[str, Any]:
    """The same prompt through the plain Llama, from an empty cache, sampling as many tokens as
    Longwit did (one more when Longwit stopped on an end-of-generation token it sampled)."""
    samples = max(1, like.completion_tokens + (like.finish_reason == "stop"))
    llama.reset()
    first_at = None
    started = time.perf_counter()
    stream = llama.generate(
        list(tokens),
        top_k=gen.top_k,
        top_p=gen.top_p,
        min_p=gen.min_p,
        temp=gen.temperature,
        repeat_penalty=gen.repeat_penalty,
    )
    for count, token in enumerate(stream, start=1):
        first_at = first_at or time.perf_counter()
        llama.detokenize([token])
        if count >= samples:
            break
    stream.close()
    ended = time.perf_counter()
    done = like.completion_tokens
    return {
        "ttft_s": (first_at - started) if first_at else None,
        "tokens_per_s": (done - 1) / (ended - first_at) if first_at and done > 1 else None,
        "prompt_tokens": len(tokens),
        "prefilled_tokens": len(tokens),
        "completion_tokens": done,
    }
