"""Streaming generation with cancellation and honest figures.

Tokens come from `Llama.generate` (which reuses the longest cached prefix of the prompt); we decode
them incrementally so multi-byte characters never split, hold back text that might be the start of
a stop string, and stop on the model's end-of-generation tokens. Cancellation is checked between
tokens and, through llama.cpp's abort callback, inside a decode too: a long prefill stops within
one graph node instead of at the end of a 512-token batch.
"""

from __future__ import annotations

import codecs
import ctypes
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import llama_cpp

from engine.kv_cache import reusable_prefix
from engine.loader import LoadedModel


@dataclass(frozen=True)
class GenerationOptions:
    """Sampling settings; the defaults suit small instruction-tuned models."""

    max_tokens: int = 512
    temperature: float = 0.7
    top_p: float = 0.95
    top_k: int = 40
    min_p: float = 0.05
    repeat_penalty: float = 1.1
    # The most pieces generated ahead of what the reader has asked for; None: no limit, 0: only what
    # is asked for. The voice loop stops reading while it synthesizes a clause, and on a small CPU the
    # model writing on meanwhile slows that synthesis down by as much as it writes.
    read_ahead: int | None = None
    # Stop when the reply ends with a loop of at least this many tokens (see `runaway_repetition`);
    # None: never. Answers about documents use 16: a list of zeros in code may legitimately
    # repeat that long, a sentence quoted from a passage does not.
    repetition_tokens: int | None = 32
    # The sampler's seed for this reply alone (the model's own seed is restored afterwards, so one
    # seeded request does not make every later reply repeat itself); None: the model's.
    seed: int | None = None
    presence_penalty: float = 0.0  # what the OpenAI API calls them; llama.cpp applies both
    frequency_penalty: float = 0.0


REPEAT_MIN_TOKENS = 32
REPEAT_MIN_TIMES = 3
REPEAT_MAX_PERIOD = 64


def runaway_repetition(tokens: Sequence[int], min_tokens: int = REPEAT_MIN_TOKENS) -> bool:
    """Whether the reply ends with the same run of tokens three or more times over at least
    `min_tokens`: a small model at temperature 0 that starts a loop never leaves it ("Beyoncé and
    Beyonce and Beyonce and…"), and would otherwise fill the token limit."""
    size = len(tokens)
    for period in range(1, min(REPEAT_MAX_PERIOD, size // REPEAT_MIN_TIMES) + 1):
        times = max(REPEAT_MIN_TIMES, -(-min_tokens // period))
        span = period * times
        if span > size:
            continue
        tail = tokens[size - span :]
        if all(tail[i] == tail[i + period] for i in range(span - period)):
            return True
    return False


@dataclass(frozen=True)
class GenerationResult:
    text: str
    # "stop", "length" (token limit or end of window), "repetition" (a loop, cut) or "cancelled"
    finish_reason: str
    prompt_tokens: int
    cached_tokens: int  # prompt tokens reused from the KV cache, not evaluated again
    completion_tokens: int
    ttft_s: float | None  # from the call to the first token (includes prefill)
    tokens_per_s: float | None  # generation speed after the first token
    duration_s: float

    @classmethod
    def cancelled_before_start(cls) -> GenerationResult:
        return cls("", "cancelled", 0, 0, 0, None, None, 0.0)

    @property
    def prefilled_tokens(self) -> int:
        return self.prompt_tokens - self.cached_tokens


class StopStringFilter:
    """Passes text through, holding back any tail that could be the start of a stop string."""

    def __init__(self, stops: Sequence[str]) -> None:
        self.stops = [s for s in stops if s]
        self.pending = ""
        self.stopped = False

    def feed(self, text: str) -> str:
        self.pending += text
        found = [i for i in (self.pending.find(stop) for stop in self.stops) if i >= 0]
        if found:
            self.stopped = True
            out, self.pending = self.pending[: min(found)], ""
            return out
        hold = 0
        for stop in self.stops:
            for size in range(min(len(stop) - 1, len(self.pending)), 0, -1):
                if self.pending.endswith(stop[:size]):
                    hold = max(hold, size)
                    break
        out = self.pending[: len(self.pending) - hold]
        self.pending = self.pending[len(out) :]
        return out

    def flush(self) -> str:
        out, self.pending = ("" if self.stopped else self.pending), ""
        return out


@contextmanager
def seeded(model: LoadedModel, seed: int | None) -> Iterator[None]:
    """Sample with `seed` inside the block: llama-cpp-python builds its sampler from the model's
    seed when generation starts, so the seed is set for the whole of it and put back after."""
    if seed is None:
        yield
        return
    llama = model.llama
    own = llama._seed
    llama.set_seed(seed & 0xFFFFFFFF)  # llama.cpp's seed is 32 bits
    try:
        yield
    finally:
        llama.set_seed(own)


@contextmanager
def abort_when(model: LoadedModel, cancel: threading.Event) -> Iterator[None]:
    """Let llama.cpp abort a decode in progress once `cancel` is set."""

    @llama_cpp.ggml_abort_callback
    def should_abort(_data: ctypes.c_void_p) -> bool:
        return cancel.is_set()

    context = model.llama._ctx.ctx
    llama_cpp.llama_set_abort_callback(context, should_abort, None)
    try:
        yield
    finally:
        llama_cpp.llama_set_abort_callback(context, llama_cpp.ggml_abort_callback(0), None)


def generate(
    model: LoadedModel,
    prompt_tokens: Sequence[int],
    options: GenerationOptions,
    cancel: threading.Event,
    on_text: Callable[[str], None],
    stops: Sequence[str] = (),
    started_at: float | None = None,
    already_read: int = 0,
    held_s: Callable[[], float] = lambda: 0.0,
) -> GenerationResult:
    """Generate a reply to `prompt_tokens`, calling `on_text` with each new piece of text.

    Must run on the thread that owns the model. Never asks for more tokens than the window holds.
    `started_at` (perf_counter) is when the turn began, if work such as pre-filling a document
    came before this call; `already_read` counts prompt tokens that work read, so the figures
    say what this turn cost rather than what was left for this call. `held_s` says how long
    `on_text` kept generation waiting for its reader, which the speed leaves out.
    """
    llama = model.llama
    prompt_tokens = list(prompt_tokens)
    cached = reusable_prefix(model, prompt_tokens)
    if cached < llama.n_tokens:
        llama.n_tokens = cached  # what llama-cpp-python may reuse; the rest is evaluated again
        # The logits in hand belong to a later token (the end of the last answer): asked the same
        # prompt again, llama-cpp-python would sample from them and end the answer at once.
        llama._requires_eval = True
    if not (cached == llama.n_tokens == len(prompt_tokens) and not llama._requires_eval):
        # llama-cpp-python evaluates the last prompt token again to get fresh logits, unless the
        # whole prompt is cached together with the logits of a live decode.
        cached = min(cached, len(prompt_tokens) - 1)
    room = model.n_ctx - len(prompt_tokens)
    limit = max(0, min(options.max_tokens, room))
    vocab = llama._model.vocab
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    stop_filter = StopStringFilter(stops)
    pieces: list[str] = []
    count, first_at, finish = 0, None, "length"
    written: list[int] = []
    started = started_at or time.perf_counter()

    def emit(text: str) -> None:
        if text:
            pieces.append(text)
            on_text(text)

    with abort_when(model, cancel), seeded(model, options.seed):
        try:
            tokens = llama.generate(
                prompt_tokens,
                top_k=options.top_k,
                top_p=options.top_p,
                min_p=options.min_p,
                temp=options.temperature,
                repeat_penalty=options.repeat_penalty,
                presence_penalty=options.presence_penalty,
                frequency_penalty=options.frequency_penalty,
            )
            for token in tokens if limit > 0 else ():
                first_at = first_at or time.perf_counter()
                if cancel.is_set():
                    finish = "cancelled"
                    break
                if llama_cpp.llama_vocab_is_eog(vocab, token):
                    finish = "stop"
                    break
                count += 1
                written.append(token)
                emit(stop_filter.feed(decoder.decode(llama.detokenize([token]))))
                if stop_filter.stopped:
                    finish = "stop"
                    break
                if options.repetition_tokens and runaway_repetition(written, options.repetition_tokens):
                    finish = "repetition"
                    break
                if count >= limit:
                    break
        except RuntimeError:
            if not cancel.is_set():  # llama_decode failed for a reason other than our abort
                raise
            finish = "cancelled"
    emit(stop_filter.feed(decoder.decode(b"", final=True)) + stop_filter.flush())
    ended = time.perf_counter()
    generating_s = ended - first_at - held_s() if first_at else 0.0
    speed = (count - 1) / generating_s if count > 1 and generating_s > 0 else None
    return GenerationResult(
        text="".join(pieces),
        finish_reason=finish,
        prompt_tokens=len(prompt_tokens),
        cached_tokens=max(0, cached - already_read),
        completion_tokens=count,
        ttft_s=(first_at - started) if first_at else None,
        tokens_per_s=speed,
        duration_s=ended - started,
    )
